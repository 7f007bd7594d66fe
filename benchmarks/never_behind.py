"""Is the start README recommends ever behind? (issue 29, point 5)

On every problem of the real-data page (benchmarks/results/realdata) and of the forecasting
libraries' own training loops (benchmarks/results/forecast_libs), two questions about the start
README's "which start" table recommends for that kind of task:

* is it **first, or within the seed spread of the first** (``first_or_tied`` of
  rnninit_bench.crossdata: a tie when two medians over seeds differ by at most the larger seed
  spread, the MAD);
* is it **behind the start the user already has** (PyTorch's default on the real-data page, the
  library's own start in the libraries) beyond the seed spread (``Problem.outcome`` is a loss)?

The recommendation per kind of task is README's: ``auto`` for classification, ``auto`` with
``targets="every_step"`` for language modelling and one-step forecasting. The synthetic suite
is reported in docs/BENCHMARKS.md ("Across tasks"), where ``auto`` is first or within the seed
spread of the first on every task. Writes OUT/NEVER_BEHIND.md::

    python benchmarks/never_behind.py
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from rnninit_bench.crossdata import Problem, first_or_tied, problems
from rnninit_bench.results import load_results

RESULTS = Path(__file__).parent / "results"

#: README's recommendation per real-data family, and the start the user already has.
RECOMMENDED = {
    "classification": "auto",
    "char-LM": "auto+targets=every_step",
    "forecasting": "auto+targets=every_step",
}
LIBRARY_RECOMMENDED = "auto_every_step"  # the same start in benchmarks/forecast_libs.py
DEFAULT, LIBRARY_DEFAULT = "pytorch", "library"


def _row(p: Problem, kind: str, recommended: str, default: str) -> dict[str, Any]:
    starts = sorted(p.values)
    best = max(starts, key=p.score)
    return {
        "kind": kind,
        "problem": p.label,
        "recommended": recommended,
        "median": p.median(recommended),
        "spread": p.spread(recommended),
        "first": best,
        "first_median": p.median(best),
        "first_or_tied": first_or_tied([p], recommended, starts) == 1,
        "vs_default": p.outcome(recommended, default),
        "default_median": p.median(default),
        "metric": p.metric,
    }


def realdata_rows(folder: Path) -> list[dict[str, Any]]:
    """One row per problem of the real-data page (only its main starts compared)."""
    rows = []
    for p in problems(load_results(folder)):
        family = p.workload.split(",")[0].split(" (")[0]
        recommended = RECOMMENDED[family]
        rows.append(_row(p, p.workload, recommended, DEFAULT))
    return rows


def library_rows(folder: Path, min_seeds: int = 5) -> list[dict[str, Any]]:
    """One row per task of the forecasting-libraries sweep (every start it ran)."""
    values: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for path in sorted((folder / "runs").glob("*.json")):
        run = json.loads(path.read_text())
        if not run.get("tiny"):
            values[run["task"]][run["start"]][int(run["seed"])] = float(run["test_mase"])
    rows = []
    for task, starts in values.items():
        if any(len(seeds) < min_seeds for seeds in starts.values()):
            continue
        vals = {s: tuple(v for _, v in sorted(seeds.items())) for s, seeds in starts.items()}
        p = Problem(f"fc-{task}", "lstm", 0, "mase", vals)
        rows.append(_row(p, "forecasting libraries", LIBRARY_RECOMMENDED, LIBRARY_DEFAULT))
    return rows


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def write(rows: list[dict[str, Any]], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Is the recommended start ever behind?",
        "",
        "Per problem: README's recommended start, its median over seeds (spread: MAD), the "
        "first start and its median, whether the recommended start is first or within the seed "
        "spread of the first, and its outcome against the start the user already has (PyTorch's "
        "default; in the libraries, the library's own start). Command: "
        "`python benchmarks/never_behind.py`.",
        "",
    ]
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    lines += [
        "| kind of task | recommended | first or tied | behind the default (beyond spread) |",
        "|---|---|---|---|",
    ]
    for kind, rs in by_kind.items():
        behind = [r["problem"] for r in rs if r["vs_default"] == "loss"]
        lines.append(
            f"| {kind} | `{rs[0]['recommended']}` | {sum(r['first_or_tied'] for r in rs)}/"
            f"{len(rs)} | {len(behind)}/{len(rs)}{': ' + ', '.join(behind) if behind else ''} |"
        )
    lines += [
        "",
        "| kind of task | problem | metric | recommended (spread) | first | first or tied | "
        "default | vs default |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['problem']} | {r['metric']} | {_fmt(r['median'])} "
            f"({_fmt(r['spread'])}) | {r['first']}: {_fmt(r['first_median'])} | "
            f"{'yes' if r['first_or_tied'] else '**no**'} | {_fmt(r['default_median'])} | "
            f"{'**loss**' if r['vs_default'] == 'loss' else r['vs_default']} |"
        )
    path = out / "NEVER_BEHIND.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=RESULTS / "realdata")
    ap.add_argument("--libraries", type=Path, default=RESULTS / "forecast_libs")
    ap.add_argument("--out", type=Path, default=RESULTS / "never_behind")
    ap.add_argument("--min-seeds", type=int, default=5)
    args = ap.parse_args(argv)
    rows = realdata_rows(args.realdata)
    if (args.libraries / "runs").is_dir():
        rows += library_rows(args.libraries, args.min_seeds)
    print(write(rows, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
