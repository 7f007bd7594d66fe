"""The targets of issue 9 for the recommended start, ``auto``, on the standard harness
(LSTM 128, batch 50, Adam 1e-3, gradient clip 1): adding at T=750 (5 seeds, 3000 steps) and
T=1500 (5 seeds, 5000 steps), adding with unnormalized inputs (x100, T=200, 3 seeds; the
fixed-scale starts beside it), copy at delay 100 (5 seeds, 10,000 steps) and delay 500 (1 seed,
10,000 steps). ``auto`` calibrates on 4 training batches with ``horizon`` left to the data.
Runs stop when solved; resumable. Usage::

    python benchmarks/evidence.py [--workers 1] [--list]

Results: benchmarks/results/evidence/results.jsonl; report: ``rnninit report
benchmarks/results/evidence``.
"""

from __future__ import annotations

import _sweep_cli
from rnninit_bench import RunConfig, build_sweep

#: (task, length, seeds, steps), in the order they run, for the scheme under test.
PLAN: list[tuple[str, int, int, int]] = [
    ("adding", 750, 5, 3000),
    ("adding", 1500, 5, 5000),
    ("adding_x100", 200, 3, 3000),
    ("copy", 100, 5, 10_000),
    ("copy", 500, 1, 10_000),
]

#: The fixed-scale starts the unnormalized task compares against (seed 0 each; the default 3).
FIXED_SCALE: dict[str, int] = {
    "pytorch": 3,
    "chrono": 1,
    "flax": 1,
    "keras": 1,
    "sonnet": 1,
    "orthogonal": 1,
}


def configs(scheme: str = "auto") -> list[RunConfig]:
    """Every run of :data:`PLAN`, task by task, then the fixed-scale starts on adding x100."""
    ours = [
        c
        for task, length, seeds, steps in PLAN
        for c in build_sweep([task], [scheme], ["lstm"], [length], seeds=seeds, steps=steps)
    ]
    fixed = [
        c
        for name, seeds in FIXED_SCALE.items()
        for c in build_sweep(["adding_x100"], [name], ["lstm"], [200], seeds=seeds, steps=3000)
    ]
    return ours + fixed


def main() -> int:
    p = _sweep_cli.parser(__doc__, "evidence", workers=1)
    p.add_argument("--scheme", default="auto", help="the scheme under test (default auto)")
    args = p.parse_args()
    return _sweep_cli.run(configs(args.scheme), args)


if __name__ == "__main__":
    raise SystemExit(main())
