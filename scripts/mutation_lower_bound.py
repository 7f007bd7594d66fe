"""A lower bound of the mutation score when the last `mutmut run` did not reach every mutant.

Usage: python scripts/mutation_lower_bound.py [RERUN.json ...]

Per module, killed counts from mutants/**/*.meta (plus the survivors that
scripts/mutation_rerun.py found killed in RERUN.json files). For a module the run did not
finish, whose source is unchanged since the last complete run (BASE, the commit of the table in
docs/mutation.md) and whose mutant count is the same, the larger of the two killed counts: the
tests have only grown since, so that run's kills still stand. A module changed since BASE and
not finished counts its unrun mutants as surviving. Prints a Markdown table and the total.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mutation_score import collect, module_of

BASE = "b1011cd"
BASE_SECTION = "## The layered core, measured (2026-12-02)"


def base_counts() -> dict[str, tuple[int, int]]:
    """Module -> (mutants, killed) of the complete run at BASE, read from docs/mutation.md."""
    doc = Path("docs/mutation.md").read_text()
    section = doc[doc.index(BASE_SECTION) :]
    section = section[: section.index("\n## ", 1)]
    rows = re.finditer(r"^\| (rnninit\.[\w.]+) \| (\d+) \| (\d+) \|", section, re.M)
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in rows}


def main(reruns: list[str]) -> int:
    base = base_counts()
    diff = ["git", "diff", "--name-only", BASE, "HEAD", "--", "src/rnninit"]
    changed = set(subprocess.run(diff, capture_output=True, text=True, check=True).stdout.split())
    status = collect(Path("mutants/src"))
    for rerun in reruns:
        for name, result in json.loads(Path(rerun).read_text()).items():
            if result == "killed" and status.get(name) == "survived":
                status[name] = "killed"
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, s in status.items():
        by_module[module_of(name)][s] += 1
    print("| module | mutants | killed | not run here | score | killed counted from |")
    print("|---|---|---|---|---|---|")
    total_killed = total = 0
    for module in sorted(by_module):
        c = by_module[module]
        n, killed, pending = sum(c.values()), c["killed"] + c["timeout"], c["pending"]
        source = "this run"
        path = "src/" + module.replace(".", "/") + ".py"
        if pending:
            same = path not in changed and base.get(module, (0, 0))[0] == n
            if same and base[module][1] > killed:
                killed, source = base[module][1], f"the run at {BASE}"
            elif not same:
                source = "this run (unrun mutants counted as surviving)"
        total_killed += killed
        total += n
        print(f"| {module} | {n} | {killed} | {pending} | {100 * killed / n:.1f}% | {source} |")
    print(f"| **all core modules** | {total} | {total_killed} | | "
          f"{100 * total_killed / total:.1f}% | |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
