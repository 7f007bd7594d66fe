"""Write ``REPORT.md`` and its PNG plots from a results file alone (``rnninit report DIR``).

The report has: an honest verdict per (task, length, cell) group (the winner, and how PyTorch's
default did, saying so where rnninit's schemes do not beat it), a summary table (seeds solved,
steps to solve, final metric, time per step), the longest T each scheme solves, the
initial-state task, and the plots.
"""

from __future__ import annotations

import datetime as _dt
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .crossdata import crossdata_lines
from .plots import plot_curves, plot_selection, plot_solve_bars, plotted
from .realdata_registry import is_realdata
from .results import load_results
from .states_report import echo_section
from .summary import Entry, group_entries

__all__ = [
    "RNNINIT_SCHEMES",
    "clearly_better",
    "default_entry",
    "format_final",
    "is_state_group",
    "title_of",
    "verdict",
    "write_report",
]

#: Schemes rnninit contributes; the rest (pytorch, folk_*) are the baselines users already have.
RNNINIT_SCHEMES = frozenset(
    {"keras", "flax", "sonnet", "orthogonal", "chrono", "uniform_gate", "irnn", "auto"}
)
_CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn_relu": "relu RNN"}


def _g(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3g}"


def _fmt_steps(e: Entry) -> str:
    steps = sorted(e.steps())
    if not any(math.isfinite(s) for s in steps):
        return f"not solved in {e.budget}"
    med = e.median_steps()
    head = "not solved" if not math.isfinite(med) else f"{int(med)}"
    lo = int(steps[0])
    hi = f"{int(steps[-1])}" if math.isfinite(steps[-1]) else f">{e.budget}"
    return head if len(steps) == 1 else f"{head} ({lo}–{hi})"


def format_final(e: Entry, key: str | None = None) -> str:
    """The final metric of an entry: the median and, over several seeds, the range.

    >>> from rnninit_bench.summary import Entry
    >>> runs = ({"final": {"test_loss": 0.5}},)
    >>> format_final(Entry("copy", 100, "lstm", "chrono", "zeros", runs), "test_loss")
    '0.5'
    """
    vals = e.final(key)
    med = e.median_final(key)
    if len(vals) == 1:
        return _g(vals[0])
    return f"{_g(med)} ({_g(min(vals))}–{_g(max(vals))})"


def title_of(group: tuple[str, int, str]) -> str:
    """The heading of a result group ``(task, length, cell)``.

    >>> title_of(("copy", 100, "lstm"))
    'copy T=100, LSTM'
    """
    task, length, cell = group
    t = "" if task.startswith("digits") else f" T={length}"
    return f"{task}{t}, {_CELL_NAMES.get(cell, cell)}"


def _slug(group: tuple[str, int, str]) -> str:
    task, length, cell = group
    return f"{task}_T{length}_{cell}"


def clearly_better(a: Entry, b: Entry) -> bool:
    """Whether ``a`` beats ``b`` beyond the seed spread.

    ``a`` solved on most seeds and ``b`` on fewer than half; or both solved on every seed and
    a's slowest seed is faster than b's fastest; otherwise (partly or not solved) a's worst final
    value beats b's best.
    """
    fa_solved, fb_solved = a.solved / a.n, b.solved / b.n
    if fa_solved > 0.5 and fb_solved < 0.5:
        return True
    if fb_solved > 0.5 and fa_solved < 0.5:
        return False
    sa, sb = a.steps(), b.steps()
    if a.solved == a.n and b.solved == b.n:
        return max(sa) < min(sb)
    fa, fb = a.final(), b.final()
    if any(math.isnan(v) for v in fa):
        return False
    if any(math.isnan(v) for v in fb):
        return True
    if a.metric == "accuracy":
        return min(fa) > max(fb)
    return max(fa) < min(fb)


def _describe(e: Entry) -> str:
    metric = "accuracy" if e.metric == "accuracy" else e.metric.upper()
    solved = f"{e.solved}/{e.n} seeds solved"
    if e.solved:
        solved += f", median steps {_fmt_steps(e)}"
    div = f", {e.diverged()} diverged" if e.diverged() else ""
    return f"{solved}, final test {metric} {format_final(e)}{div}"


def is_state_group(group: tuple[str, int, str]) -> bool:
    """Whether the group is the initial-state task (``echo``), whose starts are initial states
    (the recurrent weights are PyTorch's default in every run) rather than weight schemes.

    >>> is_state_group(("echo", 10, "lstm")), is_state_group(("adding", 100, "lstm"))
    (True, False)
    """
    return group[0] == "echo"


def default_entry(entries: Sequence[Entry]) -> Entry | None:
    """PyTorch's default in a group: the ``pytorch`` weights with the zeros initial state
    (``torch.nn.LSTM``'s start when no ``h0`` is given); None when it was not run."""
    return next((e for e in entries if e.scheme == "pytorch" and e.state == "zeros"), None)


def verdict(group: tuple[str, int, str], entries: Sequence[Entry]) -> str:
    """One honest paragraph on a group: who wins, and against PyTorch's default.

    Where no start solved the task within the budget there is no winner: the paragraph says so
    and gives the best final metric without judging a gap. In the initial-state task (echo) the
    starts are initial states and PyTorch's default is the zeros state.
    """
    best = entries[0]
    default = default_entry(entries)
    state = is_state_group(group)
    kind = "initial state" if state else "start"
    if best.solved == 0:
        text = (
            f"no {kind} solved it within the budget of {best.budget} steps; "
            f"best final metric: `{best.label}` ({_describe(best)})"
        )
        if default is not None and default is not best:
            text += f"; PyTorch default{' (zeros)' if state else ''}: {_describe(default)}"
        elif default is best:
            text += " (PyTorch's default)"
        return text + "."
    if state:
        text = f"best initial state: `{best.label}` ({_describe(best)})"
        if default is None:
            return text + "; the zeros state was not run."
        if default is best:
            return text + ": **the zeros state (PyTorch's default) is best.**"
        how = "beyond" if clearly_better(best, default) else "only within"
        return text + f"; zeros: {_describe(default)}; the gap is {how} the seed spread"
    text = f"winner `{best.label}` ({_describe(best)})"
    if default is None:
        return text + "; PyTorch's default was not run here."
    if best is default:
        return text + ": **PyTorch's default wins; no rnninit scheme beats it here.**"
    text += f". PyTorch default: {_describe(default)}."
    if best.scheme.split("+")[0] not in RNNINIT_SCHEMES:  # a spec counts by its base scheme
        text += f" A folk baseline wins: **rnninit's schemes do not beat `{best.label}` here.**"
    elif min(best.n, default.n) < 2:
        text += " One seed only: no seed spread to judge the gap by."
    elif clearly_better(best, default):
        text += " rnninit's best beats the default beyond the seed spread."
    else:
        text += " **The lead over the default is within the seed spread.**"
    return text


def _summary_table(groups: dict[tuple[str, int, str], list[Entry]]) -> list[str]:
    lines = [
        "| task | T | cell | scheme | state | seeds solved | steps to solve: median (range) "
        "| final test metric: median (range) | final / baseline | ms/step |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (task, length, cell), entries in groups.items():
        for e in entries:
            metric = "acc" if e.metric == "accuracy" else e.metric
            ratio = "" if e.metric == "accuracy" else _g(e.median_final() / e.baseline)
            lines.append(
                f"| {task} | {length} | {cell} | {e.scheme} | {e.state} | {e.solved}/{e.n} | "
                f"{_fmt_steps(e)} | {metric} {format_final(e)} | {ratio} | {e.ms_per_step():.1f} |"
            )
    return lines


def _longest_table(groups: dict[tuple[str, int, str], list[Entry]]) -> list[str]:
    tried: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for (task, _length, cell), entries in groups.items():
        if task in ("adding", "copy"):
            for e in entries:
                tried[(task, cell, e.label)].append(e)
    if not tried:
        return []
    lines = [
        "| task | cell | scheme | T tried (seeds solved) | longest T solved by every seed "
        "| by any seed |",
        "|---|---|---|---|---|---|",
    ]
    for (task, cell, label), entries in sorted(tried.items()):
        entries.sort(key=lambda e: e.length)
        all_t = [e.length for e in entries if e.solved == e.n]
        any_t = [e.length for e in entries if e.solved > 0]
        desc = ", ".join(f"{e.length} ({e.solved}/{e.n})" for e in entries)
        lines.append(
            f"| {task} | {cell} | {label} | {desc} | {max(all_t) if all_t else 'none'} | "
            f"{max(any_t) if any_t else 'none'} |"
        )
    return lines


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Read ``folder``'s results file(s) and write ``REPORT.md`` and ``plots/*.png`` to ``out``.

    ``out`` defaults to ``folder``. Returns the report's path.

    Raises:
        FileNotFoundError: no results file in ``folder``.
    """
    records = load_results(folder)
    out_dir = Path(folder if out is None else out)
    if out_dir.is_file():
        out_dir = out_dir.parent
    plots = out_dir / "plots"
    groups = group_entries(records)
    vers: dict[str, Any] = records[0].get("versions", {}) if records else {}
    seconds = sum(float(r.get("wall_seconds", 0.0)) for r in records)
    lines = [
        "# rnninit benchmark report",
        "",
        f"{len(records)} runs in {len(groups)} groups, {seconds / 60:.1f} CPU-minutes of training; "
        f"written {_dt.date.today().isoformat()} from the results file alone; "
        f"torch {vers.get('torch', '?')}, rnninit {vers.get('rnninit', '?')}, "
        f"python {vers.get('python', '?')}.",
        "",
        "Solved: adding, smoothed training MSE < 0.01; copy and echo, smoothed training CE under "
        "a tenth of the memoryless baseline; digits, test accuracy >= 0.90. Runs stop when "
        "solved, so the final metric of a solved run is the one at its solving step. "
        "Medians and ranges are over seeds. ms/step is the wall time of a training step on the "
        "machine as it was while the run trained: on a shared CPU it measures the load as much "
        "as the model, so compare it across rows only for runs made on an idle machine.",
        "",
        "## Verdict per task",
        "",
    ]
    for group, entries in groups.items():
        lines.append(f"- **{title_of(group)}**: {verdict(group, entries)}")
    lines += ["", "## Summary", "", *_summary_table(groups), ""]
    longest = _longest_table(groups)
    if longest:
        lines += ["## Longest T solved within the budget", "", *longest, ""]
    echo = echo_section(groups)
    if echo:
        lines += ["## Initial-state task (echo)", "", *echo, ""]
    if any(is_realdata(str(r["config"]["task"])) for r in records):
        lines += ["## Real data across data sets", "", *crossdata_lines(records, plots), ""]
    lines += ["## Plots", ""]
    for group, entries in groups.items():
        slug, title = _slug(group), title_of(group)
        shown = plotted(entries)
        if len(shown) < len(entries):
            lines += [
                f"{title}: the plots show {len(shown)} of the {len(entries)} starts, the named "
                "ones; the scheme specs are in the tables above.",
                "",
            ]
        plot_curves(shown, title, plots / f"curves_{slug}.png")
        lines.append(f"![{title}: curves](plots/curves_{slug}.png)")
        if any("selected_step" in r for e in shown for r in e.records):
            plot_selection(shown, title, plots / f"selection_{slug}.png")
            lines.append(f"![{title}: early stopping](plots/selection_{slug}.png)")
        (plots / f"solve_{slug}.png").unlink(missing_ok=True)  # from an earlier report
        if any(e.solved for e in shown):  # bars of "not solved" alone carry no information
            plot_solve_bars(shown, f"{title}: steps to solve", plots / f"solve_{slug}.png")
            lines.append(f"![{title}: steps to solve](plots/solve_{slug}.png)")
        lines.append("")
    ms = [e.ms_per_step() for es in groups.values() for e in es]
    if ms:
        lines.append(f"Median training step over all entries: {statistics.median(ms):.1f} ms.")
    path = out_dir / "REPORT.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
