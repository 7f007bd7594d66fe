"""The verdict per task as a plain-text table, printed where ``rnninit bench`` was typed.

Made to be read in ten seconds:

* a legend line first: what ``2/2 solved @175`` and ``0.171 (0.16–0.17)`` mean;
* one row per (task, length, cell) group: the best start, PyTorch's default on the same line,
  and whether the gap is beyond the seed spread (the rules of
  :func:`rnninit_bench.report.clearly_better`). Where no start solved the task there is no
  winner: the row says "no start solved it" and judges no gap. The initial-state task (echo)
  is labelled as such; its starts are initial states, PyTorch's default there is the zeros
  state, and a default that is itself the best start is not printed twice;
* the reason behind the answer, when ``auto`` is the best start somewhere: the scale of the
  input weights (the ablation on adding T=200 in docs/BENCHMARKS.md; README's "Which factor
  matters").

Plain text, so it reads the same in any terminal, log file or CI output.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnninit.schemes import AUTO

from .report import clearly_better, default_entry, format_final, is_state_group, title_of
from .summary import Entry

__all__ = ["INPUT_SCALE_REASON", "LEGEND", "verdict_table"]

#: The first line of the table: what its cells mean.
LEGEND = (
    "legend: '2/2 solved @175' = seeds that solved the task / seeds run, @ the median training "
    "steps to solve; '0.171 (0.16–0.17)' = final test metric, median (min–max over seeds)"
)

#: The last line when ``auto`` is the best start of a task: why (README, "Which factor matters").
INPUT_SCALE_REASON = (
    "why: the scale of the input weights decides these tasks, and auto calibrates it on the "
    "data (ablation, adding T=200: ~2400 steps to solve at PyTorch's scale, 150 with auto's; "
    "gate biases and recurrent init: under 2x)"
)

_NONE_SOLVED = "none solved: not judged"


def _metric(e: Entry) -> str:
    return "acc" if e.metric == "accuracy" else e.metric


def _cell(e: Entry, state: bool) -> str:
    steps = e.median_steps()
    at = f" @{int(steps)}" if e.solved and steps != float("inf") else ""
    label = f"{e.label} state" if state else e.label
    return f"{label}: {e.solved}/{e.n} solved{at}, {_metric(e)} {format_final(e)}"


def _best(best: Entry, state: bool) -> str:
    if best.solved == 0:
        kind = "initial state" if state else "start"
        return f"no {kind} solved it (best {_metric(best)}: {best.label} {format_final(best)})"
    return _cell(best, state)


def _default(best: Entry, default: Entry | None, state: bool) -> str:
    if default is None:
        return "-"
    if default is best:
        return "same as the best" + (" (zeros is PyTorch's default state)" if state else "")
    return _cell(default, state)


def _gap(best: Entry, default: Entry | None) -> str:
    if default is None:
        return "default not run"
    if best.solved == 0:
        return _NONE_SOLVED
    if best is default:
        return "the default is best"
    if min(best.n, default.n) < 2:
        return "one seed: not judged"
    return "beyond seed spread" if clearly_better(best, default) else "within seed spread"


def _auto_wins(group: tuple[str, int, str], entries: Sequence[Entry]) -> bool:
    """Whether ``auto`` solved a weight-init task and beat the default beyond the seed spread."""
    best, default = entries[0], default_entry(entries)
    if is_state_group(group) or best.solved == 0 or best.scheme.split("+")[0] != AUTO:
        return False
    return default is not None and _gap(best, default) == "beyond seed spread"


def verdict_table(groups: dict[tuple[str, int, str], list[Entry]]) -> str:
    """The verdict table for ranked groups (as :func:`~rnninit_bench.summary.group_entries`
    returns them): the :data:`LEGEND` line, then columns task, best start, PyTorch default,
    gap; then :data:`INPUT_SCALE_REASON` when ``auto`` solved a task and beat the default there
    beyond the seed spread.

    >>> print(verdict_table({}))  # doctest: +ELLIPSIS
    legend: '2/2 solved @175' = seeds that solved the task / seeds run, @ the median ...
    task  best start  PyTorch default  gap
    ----  ----------  ---------------  ---
    """
    rows: list[Sequence[str]] = [("task", "best start", "PyTorch default", "gap")]
    for group, entries in groups.items():
        state = is_state_group(group)
        best, default = entries[0], default_entry(entries)
        title = f"initial state: {title_of(group)}" if state else title_of(group)
        rows.append(
            (title, _best(best, state), _default(best, default, state), _gap(best, default))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = [LEGEND]
    for k, r in enumerate(rows):
        out.append("  ".join(text.ljust(w) for text, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    if any(_auto_wins(group, entries) for group, entries in groups.items()):
        out.append(INPUT_SCALE_REASON)
    return "\n".join(out)
