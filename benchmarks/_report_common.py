"""What the reports of the library sweeps (rl_report.py, forecast_libs_report.py) share: the seed
spread, the mean ranks over problems and aeon's critical-difference diagram, on the problems of
``rnninit_bench.crossdata`` (the real-data page's statistics)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np
from rnninit_bench.crossdata import Problem


def mad(vals: list[float]) -> float:
    """Median absolute deviation of ``vals`` around their median (the seed spread)."""
    med = statistics.median(vals)
    return float(statistics.median(abs(v - med) for v in vals))


def mean_ranks(probs: list[Problem], starts: list[str]) -> dict[str, float]:
    """Average rank of each start over ``probs`` (rank 1 the best, ties averaged)."""
    from scipy.stats import rankdata

    total: dict[str, float] = defaultdict(float)
    for p in probs:
        for s, r in zip(starts, rankdata([-p.score(s) for s in starts]), strict=True):
            total[s] += float(r)
    return {s: total[s] / len(probs) for s in starts}


def cd_diagram(probs: list[Problem], starts: list[str], path: Path) -> bool:
    """aeon's critical-difference diagram of ``starts`` over ``probs`` into ``path``; False when
    aeon is missing, there are fewer than 2 problems or fewer than 3 starts (aeon's Friedman
    test needs 3)."""
    if len(probs) < 2 or len(starts) < 3:
        return False
    try:
        from aeon.visualisation import plot_critical_difference
    except ImportError:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = np.array([[p.score(s) for s in starts] for p in probs], dtype=float)
    fig, _ = plot_critical_difference(scores, list(starts), lower_better=False, alpha=0.1)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight", dpi=120)
    plt.close(fig)
    return True
