"""One benchmark run's configuration: a frozen dataclass with a stable id.

A run is a pure function of its :class:`RunConfig`: the model, the data and every random draw are
seeded from it, so the same configuration gives the same result on any machine with the same
library versions, and a sweep can be split over processes or cluster nodes by id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from rnninit.errors import UnknownNameError
from rnninit.schemes import AUTO

from .models import BENCH_STATES, CELLS
from .realdata_registry import REALDATA_TASKS, task_version
from .spec import SchemeSpec, parse_scheme
from .tasks import TASKS

__all__ = ["BENCH_SCHEMES", "RunConfig", "scheme_fits"]

#: Schemes the benchmark compares (rnninit schemes plus the folk baselines).
BENCH_SCHEMES: tuple[str, ...] = (
    "pytorch",
    "folk_normal",
    "folk_xavier",
    "keras",
    "flax",
    "sonnet",
    "orthogonal",
    "chrono",
    "uniform_gate",
    "irnn",
    AUTO,
)

_GATED_ONLY = {"chrono", "uniform_gate", "keras", "flax", "sonnet", "orthogonal", "folk_xavier"}


def scheme_fits(scheme: str, cell: str) -> bool:
    """Whether the benchmark pairs ``scheme`` (a name or a spec ``name+key=value``) with ``cell``.

    ``irnn`` runs on the relu RNN only (Le et al. 2015); the gate schemes on LSTM/GRU only; the
    relu RNN gets ``pytorch``, ``folk_normal``, ``irnn`` and ``auto``.

    >>> scheme_fits("irnn", "lstm"), scheme_fits("chrono+input=lecun_normal", "gru")
    (False, True)
    """
    base = scheme.split("+")[0]
    if base == "irnn":
        return cell == "rnn_relu"
    if base in _GATED_ONLY:
        return cell in ("lstm", "gru")
    return True


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run.

    Attributes:
        task, length: the task (see :mod:`rnninit_bench.tasks`) and its T.
        cell: ``lstm``, ``gru`` or ``rnn_relu``; scheme: the initialization scheme, a name of
            :data:`BENCH_SCHEMES` or a spec with overrides (``"chrono+input=lecun_normal"``).
        state: the initial-state kind (see :data:`rnninit_bench.models.BENCH_STATES`).
        hidden, batch, lr, clip, steps, seed: model width, batch size, Adam learning rate,
            gradient-norm clip, step budget, run seed.
        log_every: steps per logged point of the training-loss curve (the smoothing window).
        eval_every: steps between test evaluations.
        test_size: number of test sequences; data_seed: seed of the fixed test data.
        stop_on_solve: stop as soon as the task counts as solved (saves the budget).

    >>> c = RunConfig("adding", 200, "lstm", "chrono+input=lecun_normal", seed=1)
    >>> c.spec.base, c.group, len(c.id)
    ('chrono', ('adding', 200, 'lstm'), 16)
    """

    task: str
    length: int
    cell: str
    scheme: str
    state: str = "zeros"
    hidden: int = 128
    batch: int = 50
    lr: float = 1e-3
    clip: float = 1.0
    steps: int = 3000
    seed: int = 0
    log_every: int = 25
    eval_every: int = 250
    test_size: int = 1000
    data_seed: int = 0
    stop_on_solve: bool = True

    def __post_init__(self) -> None:
        if self.task not in TASKS and self.task not in REALDATA_TASKS:
            raise UnknownNameError("task", self.task, (*TASKS, *REALDATA_TASKS))
        if self.cell not in CELLS:
            raise UnknownNameError("cell", self.cell, CELLS)
        _ = self.spec  # parses and validates the scheme spec
        if self.state not in BENCH_STATES:
            raise UnknownNameError("state", self.state, BENCH_STATES)
        for name in ("length", "hidden", "batch", "steps", "log_every", "eval_every", "test_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.lr > 0 or not self.clip > 0:
            raise ValueError(f"lr and clip must be > 0, got lr={self.lr!r}, clip={self.clip!r}")

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a plain dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild a configuration; unknown keys are ignored (results from newer versions)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def id(self) -> str:
        """Stable id: the first 16 hex digits of SHA-256 of the canonical JSON of the config,
        with the task's protocol version when it is past 1
        (:func:`~rnninit_bench.realdata_registry.task_version`)."""
        data = self.to_dict()
        version = task_version(self.task)
        if version > 1:
            data["task_version"] = version
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def spec(self) -> SchemeSpec:
        """The parsed scheme: a name of :data:`BENCH_SCHEMES` with optional overrides
        (``"chrono+input=lecun_normal"``, see :mod:`rnninit_bench.spec`)."""
        return parse_scheme(self.scheme, BENCH_SCHEMES)

    @property
    def group(self) -> tuple[str, int, str]:
        """(task, length, cell): the runs that one plot or table compares."""
        return (self.task, self.length, self.cell)
