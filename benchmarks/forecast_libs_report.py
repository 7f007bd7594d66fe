"""The report of the forecasting-libraries sweep (benchmarks/forecast_libs.py): FORECAST_LIBS.md,
loss curves, CD diagram.

    python benchmarks/forecast_libs_report.py benchmarks/results/forecast_libs --min-seeds 5

Per task and start, over the seeds:

* **test MASE** (lower is better): the median over seeds and the seed spread (MAD, median
  absolute deviation), the best median in bold; the median test MAE;
* against ``library`` (PyTorch's default, the model as the library builds it) and against
  ``auto_every_step``: the outcome on the task (a tie when the two medians differ by at most the
  larger seed spread, the rule of docs/realdata.md) and the two-sided Wilcoxon signed-rank test
  over the seeds, paired by seed (for one seed every start begins from the same library model
  and sees the same data; n = 5 seeds: the smallest possible p is 0.0625); whether the start is
  first or ties the first;
* across the tasks: win/tie/loss against ``library`` and ``auto_every_step``, the Wilcoxon test
  over the tasks' medians (n = 3 tasks: the smallest possible p is 0.25, so only the counts
  speak), first-or-tied counts, mean ranks and aeon's critical-difference diagram.

The curves: per start the median over seeds of DeepAR's validation loss per epoch, and of
neuralforecast's training loss every 50 steps.
"""

from __future__ import annotations

import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from _report_common import cd_section, load_runs, mad, mean_ranks, report_cli
from rnninit_bench.crossdata import Problem, compare, first_or_tied, wilcoxon_p

MAIN = [
    "library",
    "flax",
    "orthogonal",
    "auto",
    "auto_every_step",
    "auto_every_step_target0.1",
]
REFS = ("library", "auto_every_step")
#: The sweep's tasks in its order (benchmarks/forecast_libs.py TASKS); others after them.
TASKS = ["pf_deepar_ar", "pf_deepar_co2", "nf_lstm_airpassengers"]


def _fmt_p(p: float) -> str:
    return "–" if math.isnan(p) else f"{p:.3f}"


def _paired(rs_a: list[dict[str, Any]], rs_b: list[dict[str, Any]]) -> float:
    """Wilcoxon p of two starts' MASE over the seeds both ran (paired by seed)."""
    a = {r["seed"]: r["test_mase"] for r in rs_a}
    b = {r["seed"]: r["test_mase"] for r in rs_b}
    seeds = sorted(set(a) & set(b))
    return wilcoxon_p([a[s] for s in seeds], [b[s] for s in seeds])


def curves(runs: list[dict[str, Any]], task: str, starts: list[str], path: Path) -> bool:
    """Median over seeds of the validation loss per epoch (DeepAR) or the training loss every
    50 steps (neuralforecast), one line per start; False when no run has a curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    drawn, label = False, ""
    for start in starts:
        rs = [r for r in runs if r["task"] == task and r["start"] == start]
        if rs and rs[0]["val_loss"]:
            ys = [r["val_loss"] for r in rs]
            n = min(len(y) for y in ys)
            x, y = np.arange(1, n + 1), np.median([y[:n] for y in ys], axis=0)
            label = "validation loss per epoch"
        elif rs and rs[0]["train_loss"]:
            ys = [[v for _, v in r["train_loss"]] for r in rs]
            n = min(len(y) for y in ys)
            x = np.array([s for s, _ in rs[0]["train_loss"][:n]])
            y = np.median([y[:n] for y in ys], axis=0)
            label = "training loss (steps)"
        else:
            continue
        style = "-" if start.startswith("auto") else "--"
        ax.plot(x, y, style, label=f"{start} ({len(rs)})")
        drawn = True
    if drawn:
        ax.set_xlabel(label)
        ax.set_ylabel("loss (median over seeds)")
        ax.set_title(task)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    plt.close(fig)
    return drawn


def _settings(r: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in r["settings"].items())


def report(folder: Path, min_seeds: int = 5, tiny: bool = False) -> Path:
    """Write FOLDER/FORECAST_LIBS.md (and plots/); ``--tiny`` runs count only with ``tiny``."""
    runs = [r for r in load_runs(folder) if tiny or not r.get("tiny")]
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        by[(r["task"], r["start"])].append(r)
    seen = list(dict.fromkeys(r["task"] for r in runs))
    tasks = [t for t in TASKS if t in seen] + [t for t in seen if t not in TASKS]
    starts_all = list(dict.fromkeys(r["start"] for r in runs))
    order = [s for s in MAIN if s in starts_all] + [s for s in starts_all if s not in MAIN]
    seconds = sum(r["wall_seconds"] for r in runs)
    lines = [
        "# Forecasting libraries' own training loops, only the start differing",
        "",
        f"{len(runs)} runs, {seconds / 3600:.2f} h of wall time on one torch thread each (one "
        "worker on a shared 2-core CPU). Command: `while OMP_NUM_THREADS=1 python "
        "benchmarks/forecast_libs.py --worker-id f1 --max-runs 1; do :; done`, then "
        f"`python benchmarks/forecast_libs_report.py {folder} --min-seeds {min_seeds}`. "
        "The model is the library's own with its defaults, trained by its own fit; the starts "
        "other than `library` are applied by the `RnnInit` Lightning callback when training "
        "starts. Metric: test MASE on the held-out last horizon (lower is better; see "
        "benchmarks/forecast_libs.py).",
        "",
    ]
    if runs:
        lines += [
            "Versions: " + ", ".join(sorted({f"{k} {v}" for r in runs for k, v in
                                             r["versions"].items()})) + ".",
            "",
        ]  # fmt: skip
    per_task: dict[str, dict[str, tuple[float, ...]]] = {}
    for task in tasks:
        first = next(r for r in runs if r["task"] == task)
        lines += [
            f"## {task}",
            "",
            f"{first['library']}, data: {first['data']}. Settings: {_settings(first)}.",
            "",
        ]
        full = {s: by[(task, s)] for s in order if len(by.get((task, s), [])) >= min_seeds}
        prob = Problem(
            f"fc-{task}",
            "lstm",
            0,
            "mase",
            {s: tuple(r["test_mase"] for r in sorted(rs, key=lambda r: r["seed"]))
             for s, rs in full.items()},
        )  # fmt: skip
        best = min((prob.median(s) for s in full), default=math.nan)
        head = "| start | seeds | test MASE, median (MAD) | MAE, median |"
        rule = "|---|---|---|---|"
        for ref in REFS:
            head += f" vs {ref} | p (seeds) |"
            rule += "---|---|"
        head += " first or tied | train s, median |"
        rule += "---|---|"
        lines += [head, rule]
        for s in order:
            rs = by.get((task, s), [])
            if not rs:
                continue
            mase = [r["test_mase"] for r in rs]
            med = statistics.median(mase)
            cell = f"{med:.4f} ({mad(mase):.4f})"
            if s in full and med == best:
                cell = f"**{cell}**"
            row = [s, str(len(rs)), cell, f"{statistics.median(r['test_mae'] for r in rs):.4g}"]
            for ref in REFS:
                if s == ref or s not in full or ref not in full:
                    row += ["", ""]
                else:
                    row += [prob.outcome(s, ref), _fmt_p(_paired(rs, by[(task, ref)]))]
            ft = ""
            if s in full:
                ft = "yes" if first_or_tied([prob], s, list(full)) else "no"
            train_s = statistics.median(r["train_seconds"] for r in rs)
            lines.append("| " + " | ".join([*row, ft, f"{train_s:.0f}"]) + " |")
        lines.append("")
        if curves(runs, task, order, folder / "plots" / f"curves_{task}.png"):
            lines += [f"![loss curves, {task}](plots/curves_{task}.png)", ""]
        per_task[task] = {s: prob.values[s] for s in full}
    lines += ["## Across tasks", ""]
    common = [s for s in order if all(s in v for v in per_task.values())]
    probs = [Problem(f"fc-{t}", "lstm", 0, "mase", {s: v[s] for s in common})
             for t, v in per_task.items()]  # fmt: skip
    if len(probs) < 2 or not all(ref in common for ref in REFS):
        lines += [
            f"Fewer than 2 tasks have `library` and `auto_every_step` on {min_seeds} seeds yet.",
            "",
        ]
    else:
        left = [s for s in order if s not in common]
        lines += [
            f"{len(probs)} tasks; the starts with {min_seeds}+ seeds on every task"
            + (f" (left out, fewer seeds: {', '.join(left)})." if left else "."),
            "",
            "| start | W/T/L vs library | p | W/T/L vs auto_every_step | p | first or tied "
            "| mean rank |",
            "|---|---|---|---|---|---|---|",
        ]
        ranks = mean_ranks(probs, common)
        for s in common:
            row = [s]
            for ref in REFS:
                if s == ref:
                    row += ["", ""]
                    continue
                w, t, l_, p = compare(probs, s, ref)
                row += [f"{w}/{t}/{l_}", _fmt_p(p)]
            row += [f"{first_or_tied(probs, s, common)}/{len(probs)}", f"{ranks[s]:.2f}"]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        note = " (with 3 tasks no test can)"
        lines += cd_section(probs, common, folder / "plots" / "cd_forecast_libs.png", note)
    out = folder / "FORECAST_LIBS.md"
    out.write_text("\n".join(lines) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    return report_cli(report, Path("benchmarks/results/forecast_libs"), __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
