"""The mutation score of the last `mutmut run`, per core module, from mutants/**/*.meta.

Usage: python scripts/mutation_score.py [--survivors] [--root mutants/src]

mutmut 3 records one exit code per mutant: 1 (a test failed: killed), 0 (every test passed:
survived), 33 (no test ran the mutated function), 36/152/-24 (timeout: counted as killed,
as mutmut does), None (not run yet). The score is killed / (killed + survived + no tests).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

STATUS = {
    0: "survived",
    1: "killed",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    152: "timeout",
    -24: "timeout",
}


def collect(root: Path) -> dict[str, str]:
    """Mutant name -> status, for every mutant mutmut generated under ``root``."""
    out: dict[str, str] = {}
    for meta in sorted(root.glob("**/*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            out[name] = "pending" if code is None else STATUS.get(code, f"exit {code}")
    return out


def module_of(mutant: str) -> str:
    return mutant.split(".x", 1)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default="mutants/src", type=Path)
    ap.add_argument("--survivors", action="store_true", help="list every surviving mutant")
    args = ap.parse_args()
    status = collect(args.root)
    if not status:
        raise SystemExit(f"no mutmut results under {args.root}: run `make mutation` first")
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, st in status.items():
        per_module[module_of(name)][st] += 1
    total: Counter[str] = Counter()
    print("| module | mutants | killed | survived | no tests | score |")
    print("|---|---|---|---|---|---|")
    for mod in sorted(per_module):
        c = per_module[mod]
        total.update(c)
        print(_row(mod, c))
    print(_row("**all core modules**", total))
    if total["pending"]:
        print(f"\n{total['pending']} mutants not run yet: the run was cut short.")
    if args.survivors:
        print()
        for name, st in sorted(status.items()):
            if st in ("survived", "no tests"):
                print(f"{st}: {name}")


def _row(label: str, c: Counter[str]) -> str:
    killed = c["killed"] + c["timeout"]
    judged = killed + c["survived"] + c["no tests"]
    score = f"{killed / judged:.1%}" if judged else "-"
    n = sum(c.values())
    return f"| {label} | {n} | {killed} | {c['survived']} | {c['no tests']} | {score} |"


if __name__ == "__main__":
    main()
