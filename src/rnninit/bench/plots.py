"""PNG plots of a benchmark (matplotlib, Agg backend): learning curves and steps-to-solve bars."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .summary import Entry

__all__ = ["plot_curves", "plot_solve_bars"]


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _median_curve(xs: list[list[float]], ys: list[list[float]]) -> tuple[list[float], list[float]]:
    """Median over seeds at each logged step present in at least one seed."""
    import statistics

    at: dict[float, list[float]] = {}
    for x, y in zip(xs, ys, strict=True):
        for a, b in zip(x, y, strict=True):
            if math.isfinite(b):
                at.setdefault(a, []).append(b)
    steps = sorted(at)
    return steps, [statistics.median(at[s]) for s in steps]


def plot_curves(entries: Sequence[Entry], title: str, path: Path) -> Path:
    """Training loss per logged window (or test accuracy for accuracy tasks) vs step.

    One colour per entry: the median over seeds as a thick line, each seed as a thin one. Loss
    plots draw the task's baseline (dashed) and the solved threshold (dotted) on a log scale.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    accuracy = entries[0].metric == "accuracy"
    cmap = plt.get_cmap("tab10")
    for i, e in enumerate(entries):
        color = cmap(i % 10)
        xs, ys = [], []
        for r in e.records:
            if accuracy:
                x, y = r["evals"]["step"], r["evals"].get("test_accuracy", [])
            else:
                x, y = r["curve"]["step"], r["curve"]["train_loss"]
            xs.append([float(v) for v in x])
            ys.append([float(v) for v in y])
            if len(e.records) > 1:
                ax.plot(x, y, color=color, alpha=0.25, linewidth=0.8)
        mx, my = _median_curve(xs, ys)
        ax.plot(mx, my, color=color, linewidth=2.0, label=f"{e.label} ({e.solved}/{e.n})")
    task = entries[0].records[0]["task"]
    if accuracy:
        if task.get("solve_accuracy") is not None:  # real-data tasks have no solved threshold
            ax.axhline(
                float(task["solve_accuracy"]), color="k", linestyle=":", linewidth=1, label="solved"
            )
        ax.axhline(0.1, color="k", linestyle="--", linewidth=1, label="chance")
        ax.set_ylabel("test accuracy")
    else:
        ax.axhline(
            float(task["baseline"]),
            color="k",
            linestyle="--",
            linewidth=1.2,
            label=f"baseline {float(task['baseline']):.3g}",
        )
        if task.get("solve_loss") is not None:
            ax.axhline(
                float(task["solve_loss"]),
                color="k",
                linestyle=":",
                linewidth=1,
                label=f"solved < {float(task['solve_loss']):.3g}",
            )
        ax.set_yscale("log")
        ax.set_ylabel("training loss (mean over each logged window)")
    ax.set_xlabel("training step")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_solve_bars(entries: Sequence[Entry], title: str, path: Path) -> Path:
    """Median steps to solve per entry, with the range over solved seeds as an error bar.

    Entries that did not solve (median "not solved") are drawn hatched at the budget and
    annotated with the number of seeds that solved.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(entries) + 2.0), 4.0))
    budget = max(e.budget for e in entries)
    for i, e in enumerate(entries):
        med = e.median_steps()
        solved = [s for s in e.steps() if math.isfinite(s)]
        if math.isfinite(med):
            lo, hi = min(solved), max(solved)
            ax.bar(i, med, color="tab:blue")
            ax.errorbar(i, med, yerr=[[med - lo], [hi - med]], color="k", capsize=3)
        else:
            ax.bar(i, budget, color="lightgray", hatch="//", edgecolor="gray")
        ax.text(
            i,
            (med if math.isfinite(med) else budget) * 1.01,
            f"{e.solved}/{e.n}",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.axhline(budget, color="k", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(entries)))
    ax.set_xticklabels([e.label for e in entries], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("steps to solve (median; hatched: not solved)")
    ax.set_ylim(0, budget * 1.12)
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
