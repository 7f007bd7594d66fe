"""Which configurations a sweep runs: the full suite, the quick preset, and sharding.

Per-task defaults (the settings of the reference run in anchors.md for adding/copy): LSTM/GRU
128 units, batch 50, Adam 1e-3, gradient-norm clip 1. Relu RNNs (``pytorch``, ``folk_normal``
and ``irnn`` on ``rnn_relu``) train with Adam 1e-4: IRNN diverges at larger rates on long
sequences (Le et al. 2015: "the learning rate must shrink with T"). The initial-state task
(echo) trains its whole budget even once solved, so that every state kind is compared after the
same number of steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rnninit.errors import UnknownNameError

from .config import BENCH_SCHEMES, RunConfig, scheme_fits
from .models import BENCH_STATES, CELLS
from .realdata_registry import REALDATA_TASKS, is_realdata
from .realdata_sweep import realdata_defaults
from .spec import parse_scheme
from .tasks import DEFAULT_LENGTHS, TASKS

__all__ = ["TASK_DEFAULTS", "build_sweep", "parse_shard", "quick_sweep", "shard"]

#: Per-task defaults of the full suite.
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "adding": {"hidden": 128, "batch": 50, "steps": 3000, "test_size": 1000},
    "adding_x100": {"hidden": 128, "batch": 50, "steps": 3000, "test_size": 1000},
    "copy": {"hidden": 128, "batch": 50, "steps": 3000, "test_size": 1000},
    "digits": {"hidden": 128, "batch": 50, "steps": 2000, "test_size": 397, "eval_every": 100},
    "digits_perm": {"hidden": 128, "batch": 50, "steps": 2000, "test_size": 397, "eval_every": 100},
    "digits_raw": {"hidden": 128, "batch": 50, "steps": 2000, "test_size": 397, "eval_every": 100},
    "echo": {
        "hidden": 64,
        "batch": 32,
        "steps": 1500,
        "test_size": 1000,
        "eval_every": 100,
        "stop_on_solve": False,
    },
}

RELU_LR = 1e-4


def _check(kind: str, given: Iterable[str], valid: Sequence[str]) -> list[str]:
    out = []
    for name in given:
        if name not in valid:
            raise UnknownNameError(kind, name, valid)
        out.append(name)
    return out


def build_sweep(
    tasks: Sequence[str] | None = None,
    schemes: Sequence[str] | None = None,
    cells: Sequence[str] | None = None,
    lengths: Sequence[int] | None = None,
    states: Sequence[str] | None = None,
    seeds: int = 3,
    steps: int | None = None,
    **overrides: Any,
) -> list[RunConfig]:
    """The configurations of a sweep: tasks x lengths x cells x fitting schemes x states x seeds.

    Defaults: every task at its :data:`~rnninit_bench.tasks.DEFAULT_LENGTHS`, every cell, every
    scheme that fits the cell (:func:`~rnninit_bench.config.scheme_fits`); the state kind is
    ``zeros`` except on ``echo``, which compares every kind with the ``pytorch`` scheme.
    ``lengths`` applies to the tasks that have a length (not digits). ``overrides`` set any other
    :class:`RunConfig` field (hidden, batch, lr, ...).

    >>> configs = build_sweep(["adding"], ["pytorch", "auto"], ["lstm", "gru"], [100], seeds=2)
    >>> len(configs), configs[0].steps, configs[0].hidden
    (8, 3000, 128)
    """
    task_list = _check("task", tasks or TASKS, (*TASKS, *REALDATA_TASKS))
    cell_list = _check("cell", cells or CELLS, CELLS)
    scheme_list = list(schemes or BENCH_SCHEMES)
    for scheme in scheme_list:
        parse_scheme(scheme, BENCH_SCHEMES)  # a name or a spec with overrides
    state_list = _check("state", states, BENCH_STATES) if states else None
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds!r}")
    out: list[RunConfig] = []
    for task in task_list:
        real = realdata_defaults(task) if is_realdata(task) else None
        fixed = task.startswith("digits") or real is not None  # real data: length from the data
        defaults = DEFAULT_LENGTHS[task] if real is None else (real.pop("length"),)
        task_lengths = defaults if (lengths is None or fixed) else tuple(lengths)
        if task == "echo":
            task_states = state_list or list(BENCH_STATES)
            task_schemes = scheme_list if schemes else ["pytorch"]
            task_cells = [c for c in cell_list if c != "rnn_relu"] if not cells else cell_list
        else:
            task_states = state_list or ["zeros"]
            task_schemes = scheme_list
            task_cells = cell_list
            if real is not None and not cells:
                task_cells = ["lstm", "gru"]
        for length in task_lengths:
            for cell in task_cells:
                for scheme in task_schemes:
                    if not scheme_fits(scheme, cell):
                        continue
                    for state in task_states:
                        for seed in range(seeds):
                            fields: dict[str, Any] = dict(real or TASK_DEFAULTS[task])
                            if cell == "rnn_relu":
                                fields["lr"] = RELU_LR
                            if steps is not None:
                                fields["steps"] = steps
                            fields.update(overrides)
                            out.append(
                                RunConfig(
                                    task=task,
                                    length=int(length),
                                    cell=cell,
                                    scheme=scheme,
                                    state=state,
                                    seed=seed,
                                    **fields,
                                )
                            )
    return out


def quick_sweep(seeds: int = 2) -> list[RunConfig]:
    """The ``--quick`` preset: small models and budgets, under 2 minutes on 2 idle cores.

    Adding at T=100 (LSTM 64: default, forget-bias-1 keras, chrono, flax, auto; 300 steps), the
    same with values scaled by 100 (``adding_x100``: default, flax, auto; 300 steps), copy at
    delay 20 (default, auto; 400 steps), digits (default, flax, auto; 500 steps), and the
    initial-state task (zeros, the two folk random states, learned, learned_noisy; LSTM 32, 400
    steps). ``auto`` solves adding by 200 steps, where PyTorch's default does not solve it in
    the full suite's 3000 at T=200. IRNN, the folk weight schemes and longer budgets are in the
    full suite.

    >>> configs = quick_sweep(seeds=1)
    >>> sorted({c.task for c in configs}), "auto" in {c.scheme for c in configs}
    (['adding', 'adding_x100', 'copy', 'digits', 'echo'], True)
    """
    small: dict[str, Any] = {"hidden": 64, "test_size": 500, "log_every": 25, "eval_every": 200}
    configs: list[RunConfig] = []
    configs += build_sweep(
        ["adding"],
        ["pytorch", "keras", "chrono", "flax", "auto"],
        ["lstm"],
        [100],
        seeds=seeds,
        steps=300,
        **small,
    )
    configs += build_sweep(
        ["adding_x100"],
        ["pytorch", "flax", "auto"],
        ["lstm"],
        [100],
        seeds=seeds,
        steps=300,
        **small,
    )
    configs += build_sweep(
        ["copy"],
        ["pytorch", "auto"],
        ["lstm"],
        [20],
        seeds=seeds,
        steps=400,
        **small,
    )
    configs += build_sweep(
        ["digits"],
        ["pytorch", "flax", "auto"],
        ["lstm"],
        seeds=seeds,
        steps=500,
        **{**small, "test_size": 397, "eval_every": 100},
    )
    configs += build_sweep(
        ["echo"],
        ["pytorch"],
        ["lstm"],
        [10],
        ["zeros", "folk_randn", "folk_xavier", "learned", "learned_noisy"],
        seeds=seeds,
        steps=400,
        hidden=32,
        test_size=500,
        eval_every=100,
    )
    return configs


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"i/n"`` (0 <= i < n) as used by ``--shard``."""
    try:
        i_text, n_text = text.split("/")
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise ValueError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"--shard i/n needs 0 <= i < n, got {text!r}")
    return i, n


def shard(configs: Sequence[RunConfig], index: int, count: int) -> list[RunConfig]:
    """The configurations of shard ``index`` of ``count``: those whose id mod count is index.

    Every configuration lands in exactly one shard, whatever order the list is in.

    >>> configs = build_sweep(["adding"], ["pytorch", "chrono"], ["lstm"], [50], seeds=2)
    >>> parts = [shard(configs, i, 3) for i in range(3)]
    >>> sorted(c.id for p in parts for c in p) == sorted(c.id for c in configs)
    True
    """
    return [c for c in configs if int(c.id, 16) % count == index]
