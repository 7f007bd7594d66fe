"""Aggregate run records over seeds: one :class:`Entry` per (task, length, cell, scheme, state).

Steps to solve are summarised with unsolved seeds counted as "more than the budget", so the
median is "not solved" when more than half the seeds did not solve. The ranking within a group
(task, length, cell) is: most seeds solved, then fewest median steps, then best final metric.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Entry", "group_entries", "rank"]

_KEY = ("task", "length", "cell", "scheme", "state", "seed")


@dataclass(frozen=True)
class Entry:
    """The seeds of one (task, length, cell, scheme, state), summarised."""

    task: str
    length: int
    cell: str
    scheme: str
    state: str
    records: tuple[dict[str, Any], ...]
    suffix: str = ""

    @property
    def label(self) -> str:
        """Short label: the scheme, plus the state kind when it is not zeros (echo: the state)."""
        if self.task == "echo" and self.scheme == "pytorch":
            base = self.state
        else:
            base = self.scheme if self.state == "zeros" else f"{self.scheme}/{self.state}"
        return base + self.suffix

    @property
    def n(self) -> int:
        """Number of seeds."""
        return len(self.records)

    @property
    def solved(self) -> int:
        """Number of seeds that solved the task."""
        return sum(1 for r in self.records if r.get("solved"))

    @property
    def budget(self) -> int:
        """The step budget (largest over seeds)."""
        return max(int(r["config"]["steps"]) for r in self.records)

    @property
    def metric(self) -> str:
        """The task's metric name."""
        return str(self.records[0]["task"]["metric"])

    @property
    def baseline(self) -> float:
        """The task's baseline loss."""
        return float(self.records[0]["task"]["baseline"])

    def steps(self) -> list[float]:
        """Steps to solve per seed, ``inf`` where not solved."""
        return [float(r["steps_to_solve"]) if r.get("solved") else math.inf for r in self.records]

    def median_steps(self) -> float:
        """Median steps to solve (``inf`` when most seeds did not solve)."""
        return float(statistics.median(self.steps()))

    def final(self, key: str | None = None) -> list[float]:
        """Final test value per seed: ``test_accuracy`` for accuracy tasks, else ``test_loss``."""
        if key is None:
            key = "test_accuracy" if self.metric == "accuracy" else "test_loss"
        return [float(r["final"].get(key, math.nan)) for r in self.records]

    def median_final(self, key: str | None = None) -> float:
        """Median of :meth:`final` (NaN counts as worst)."""
        vals = self.final(key)
        worst = -math.inf if (key or self.metric) in ("accuracy", "test_accuracy") else math.inf
        return float(statistics.median([worst if math.isnan(v) else v for v in vals]))

    def ms_per_step(self) -> float:
        """Median wall time per training step in milliseconds."""
        return 1000.0 * statistics.median(float(r["seconds_per_step"]) for r in self.records)

    def diverged(self) -> int:
        """Number of seeds whose loss became NaN/inf."""
        return sum(1 for r in self.records if r.get("diverged"))

    def sort_key(self) -> tuple[float, float, float]:
        """Ranking key (smaller is better): solved seeds, median steps, final metric."""
        final = self.median_final()
        if self.metric == "accuracy":
            final = -final
        return (-self.solved / self.n, self.median_steps(), final)


def group_entries(
    records: Sequence[dict[str, Any]],
) -> dict[tuple[str, int, str], list[Entry]]:
    """Entries by group (task, length, cell), each list ranked best first.

    Records are pooled over seeds only: runs that differ in any other field (hidden size, steps,
    learning rate, ...) form separate entries, labelled with the fields that differ.
    """
    by: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        c = r["config"]
        rest = tuple(sorted((k, v) for k, v in c.items() if k not in _KEY))
        by[(c["task"], int(c["length"]), c["cell"], c["scheme"], c["state"], rest)].append(r)
    variants: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for key in by:
        variants[key[:5]].append(key[5])
    groups: dict[tuple[str, int, str], list[Entry]] = defaultdict(list)
    for key, recs in by.items():
        recs.sort(key=lambda r: int(r["config"]["seed"]))
        suffix = ""
        if len(variants[key[:5]]) > 1:
            dicts = [dict(v) for v in variants[key[:5]]]
            mine = dict(key[5])
            differ = [k for k in sorted(mine) if any(d.get(k) != mine[k] for d in dicts)]
            suffix = " [" + ", ".join(f"{k}={mine[k]}" for k in differ) + "]"
        task, length, cell, scheme, state = key[:5]
        groups[key[:3]].append(Entry(task, length, cell, scheme, state, tuple(recs), suffix))
    return {k: rank(v) for k, v in sorted(groups.items())}


def rank(entries: Sequence[Entry]) -> list[Entry]:
    """Entries best first (see the module docstring)."""
    return sorted(entries, key=lambda e: (e.sort_key(), e.label))
