"""PNG plots of a benchmark (matplotlib, Agg backend): learning curves and steps-to-solve bars.

Every start has one colour, the same in every plot (:data:`COLOURS`: the named schemes and the
initial-state kinds); a start without a colour of its own (a scheme spec such as
``chrono+input=lecun_normal``) takes the first colour of :data:`SPARE_COLOURS` that no other
series of the same plot uses, so that no two series of a plot share a colour; a scheme spec's
median curve is dashed. A plot holds at most :data:`MAX_SERIES` series (:func:`plotted`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .summary import Entry

__all__ = [
    "COLOURS",
    "MAX_SERIES",
    "SPARE_COLOURS",
    "colours",
    "plot_curves",
    "plot_selection",
    "plot_solve_bars",
    "plotted",
]

#: The fixed colour of each named start, by label: the schemes, then the initial-state kinds
#: of the echo task (whose entries are labelled by their state). Black is left to the baseline
#: and solve lines.
COLOURS: dict[str, str] = {
    "auto": "#d62728",  # red: the recommended start
    "pytorch": "#7f7f7f",  # grey: the default
    "flax": "#1f77b4",
    "sonnet": "#17becf",
    "chrono": "#2ca02c",
    "keras": "#ff7f0e",
    "orthogonal": "#9467bd",
    "uniform_gate": "#8c564b",
    "irnn": "#bcbd22",
    "folk_normal": "#e377c2",
    "folk_xavier": "#000080",
    "zeros": "#7f7f7f",  # PyTorch's default state
    "normal": "#1f77b4",
    "xavier_uniform": "#ff7f0e",
    "learned": "#2ca02c",
    "learned_noisy": "#9467bd",
    "folk_randn": "#e377c2",
}

#: Colours for starts without one of their own, distinct from each other and from COLOURS.
SPARE_COLOURS: tuple[str, ...] = (
    "#e6ab02",  # mustard
    "#1b9e77",  # teal
    "#666600",  # olive
    "#ff00ff",  # magenta
    "#a6cee3",
    "#fb9a99",
    "#b2df8a",
    "#fdbf6f",
    "#cab2d6",
    "#b15928",
)

#: The most series one plot holds: as many as a plot can give distinct colours, at worst.
MAX_SERIES = 10


def colours(labels: Sequence[str]) -> list[str]:
    """One colour per label, all distinct: the label's own (:data:`COLOURS`) where it has one
    that no earlier label of the plot took, else the first spare colour not yet used.

    Raises:
        ValueError: a label repeated, or more labels than :data:`MAX_SERIES`.

    >>> colours(["auto", "chrono+input=lecun_normal", "pytorch"])
    ['#d62728', '#e6ab02', '#7f7f7f']
    """
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels must be distinct, got {list(labels)}")
    if len(labels) > MAX_SERIES:
        raise ValueError(f"one plot holds at most {MAX_SERIES} series, got {len(labels)}")
    used: set[str] = set()
    out = []
    for label in labels:
        colour = COLOURS.get(label)
        if colour is None or colour in used:
            colour = next(c for c in SPARE_COLOURS if c not in used)
        used.add(colour)
        out.append(colour)
    return out


def plotted(entries: Sequence[Entry]) -> list[Entry]:
    """The entries one plot shows: all of them if there are at most :data:`MAX_SERIES`, else the
    named starts (no ``+`` overrides in the scheme; the specs stay in the report's tables),
    best first as ranked, at most :data:`MAX_SERIES` of them.

    >>> from rnninit_bench.summary import Entry
    >>> many = [Entry("adding", 200, "lstm", f"chrono+gain={g}", "zeros", ()) for g in range(11)]
    >>> [e.scheme for e in plotted([*many, Entry("adding", 200, "lstm", "auto", "zeros", ())])]
    ['auto']
    """
    if len(entries) <= MAX_SERIES:
        return list(entries)
    named = [e for e in entries if "+" not in e.scheme]
    return named[:MAX_SERIES]


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

    One colour per entry (:func:`colours`): the median over seeds as a thick line, each seed as
    a thin one. Loss plots draw the task's baseline (dashed) and the solved threshold (dotted)
    on a log scale.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    accuracy = entries[0].metric == "accuracy"
    for e, color in zip(entries, colours([e.label for e in entries]), strict=True):
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
        style = "--" if "+" in e.scheme else "-"  # a scheme spec: a variant of a named start
        ax.plot(
            mx,
            my,
            color=color,
            linestyle=style,
            linewidth=2.0,
            label=f"{e.label} ({e.solved}/{e.n})",
        )
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


def plot_selection(entries: Sequence[Entry], title: str, path: Path) -> Path:
    """Early stopping at a glance: validation MASE (left) and test MASE (right) vs step.

    One colour per entry (:func:`colours`): the median over the seeds still running at each
    evaluation; on the right, each seed's reported test error as a dot at the step its
    validation error chose (``selected_step``). A dashed line at 1: the in-sample (seasonal)
    naive forecast's error.

    >>> import tempfile
    >>> rec = {"evals": {"step": [10, 20, 30], "valid_mase": [0.9, 0.7, 0.8],
    ...                  "test_mase": [1.0, 0.8, 0.9]}, "selected_step": 20,
    ...        "final": {"test_mase": 0.8}}
    >>> e = Entry("fc-Lynx", 22, "lstm", "auto", "zeros", (rec,))
    >>> plot_selection([e], "Lynx", Path(tempfile.mkdtemp()) / "s.png").stat().st_size > 1000
    True
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.2), sharex=True)
    for e, color in zip(entries, colours([e.label for e in entries]), strict=True):
        for ax, key in zip(axes, ("valid_mase", "test_mase"), strict=True):
            xs = [[float(v) for v in r["evals"]["step"]] for r in e.records]
            ys = [[float(v) for v in r["evals"].get(key, [])] for r in e.records]
            mx, my = _median_curve(xs, ys)
            ax.plot(mx, my, color=color, linewidth=1.6, label=e.label)
        chosen = [r for r in e.records if r.get("selected_step") is not None]
        axes[1].scatter(
            [float(r["selected_step"]) for r in chosen],
            [float(r["final"]["test_mase"]) for r in chosen],
            color=color,
            s=14,
            zorder=3,
        )
    for ax, name in zip(axes, ("validation MASE", "test MASE (dots: reported)"), strict=True):
        ax.axhline(1.0, color="k", linestyle="--", linewidth=1)
        ax.set_xlabel("training step")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=7, ncol=2)
    fig.suptitle(f"{title}: early stopping on the validation part")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_solve_bars(entries: Sequence[Entry], title: str, path: Path) -> Path:
    """Median steps to solve per entry, with the range over solved seeds as an error bar.

    Entries that did not solve (median "not solved") are drawn hatched at the budget and
    annotated with the number of seeds that solved. Each bar has its start's colour
    (:func:`colours`).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.7 * len(entries) + 2.0), 4.0))
    budget = max(e.budget for e in entries)
    palette = colours([e.label for e in entries])
    for i, e in enumerate(entries):
        med = e.median_steps()
        solved = [s for s in e.steps() if math.isfinite(s)]
        if math.isfinite(med):
            lo, hi = min(solved), max(solved)
            ax.bar(i, med, color=palette[i])
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
