"""Re-run the survivors of the last `mutmut run` against extra test files.

Usage, from the repository root after `mutmut run`::

    cd mutants && PYTHONPATH=src ../.venv/bin/python ../scripts/mutation_rerun.py OUT.json \
        rnninit.auto rnninit.states.kinds -- ../tests/test_auto_mutants_contract.py

For every surviving mutant of the named modules, one ``pytest -x`` of the test files with
``MUTANT_UNDER_TEST`` set to the mutant (mutmut's own switch: the mutated module reads it at
each call), in one process. A test file written after the run's start is not in mutmut's
stats; a survivor it makes fail is killed all the same, since every test mutmut ran passed on
it. OUT.json maps each re-run mutant to "killed" or "survived"; the files must pass unmutated
before and after (checked).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mutation_score import collect


def main(argv: list[str]) -> int:
    split = argv.index("--")
    out, modules, files = argv[0], argv[1:split], argv[split + 1 :]
    status = collect(Path("src"))
    names = sorted(
        n
        for n, s in status.items()
        if s == "survived" and any(n.startswith(m + ".x") for m in modules)
    )
    print(len(names), "survivors to re-run", flush=True)
    os.environ["MUTANT_UNDER_TEST"] = ""
    if pytest.main(["-q", "-p", "no:cacheprovider", *files]) != 0:
        raise SystemExit("the test files fail unmutated")
    results = {}
    for name in names:
        os.environ["MUTANT_UNDER_TEST"] = name
        code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-W", "ignore", *files])
        results[name] = "killed" if code == 1 else "survived" if code == 0 else f"exit {int(code)}"
        print(name, results[name], flush=True)
    os.environ["MUTANT_UNDER_TEST"] = ""
    if pytest.main(["-q", "-p", "no:cacheprovider", *files]) != 0:
        raise SystemExit("the test files fail unmutated after the re-runs")
    Path(out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
