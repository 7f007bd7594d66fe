"""The mutation score when a run cannot finish: every decided mutant counted exactly, the rest
estimated from a uniform random sample of them.

    python scripts/mutation_sample.py draw 300 --seed 0 > /tmp/sample.txt
    .venv/bin/mutmut run $(cat /tmp/sample.txt)          # runs exactly those mutants
    python scripts/mutation_sample.py estimate /tmp/sample.txt

``draw`` lists ``N`` mutants drawn without replacement (seeded) from those mutmut has not run
yet. ``estimate`` counts the decided mutants *outside* the sample exactly and estimates the
kills among the undecided ones (sample included) by the sample's kill rate: with ``U``
undecided, ``n`` sampled and ``k`` of them killed, the score is ``(K + U k / n) / N``. The 95%
interval is the Wilson interval of ``k / n``, scaled the same way (a finite-population
correction makes it narrower still; it is left out, so the interval is conservative). A
mutant is killed, survived or "no tests" as in scripts/mutation_score.py (no tests counts
against the score).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mutation_score import collect

KILLED = {"killed", "timeout"}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``k / n``.

    >>> [round(x, 3) for x in wilson(90, 100)]
    [0.826, 0.945]
    """
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--root", default="mutants/src", type=Path)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("draw", help="list N undecided mutants, drawn at random")
    d.add_argument("n", type=int)
    d.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("estimate", help="the score with the undecided part estimated")
    e.add_argument("sample", type=Path)
    args = ap.parse_args(argv)
    status = collect(args.root)
    if args.cmd == "draw":
        pending = sorted(name for name, st in status.items() if st == "pending")
        for name in random.Random(args.seed).sample(pending, min(args.n, len(pending))):
            print(name)
        return 0
    sample = [line.strip() for line in args.sample.read_text().splitlines() if line.strip()]
    drawn = set(sample)
    outside = {name: st for name, st in status.items() if name not in drawn}
    decided = {name: st for name, st in outside.items() if st != "pending"}
    undecided = len(outside) - len(decided) + len(sample)
    judged = [status[name] for name in sample if status[name] != "pending"]
    n, k = len(judged), sum(st in KILLED for st in judged)
    kills = sum(st in KILLED for st in decided.values())
    total = len(status)
    if n == 0:
        raise SystemExit("no sampled mutant has been run yet")
    low, high = wilson(k, n)
    print(f"mutants: {total}; decided outside the sample: {len(decided)} ({kills} killed)")
    print(f"undecided: {undecided}; sample run: {n} of {len(sample)}, {k} killed ({k / n:.1%})")
    score = (kills + undecided * k / n) / total
    lo, hi = (kills + undecided * low) / total, (kills + undecided * high) / total
    print(f"score: {score:.1%} (95% interval {lo:.1%} to {hi:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
