"""How often does a start tie the first forecasting start *against copies of itself*?

Issue 21 asks of ``auto`` that it be first, or within the seed spread of the first, on every
forecasting series. This measures what that criterion can tell apart on these series: ``auto``
is trained on the forecasting problems (block ``c``/``d`` settings, LSTM and GRU) with
``GROUPS * 5`` seeds, the seeds are cut into ``GROUPS`` groups of 5, and each group is treated as
a start of its own. The groups differ by their seeds only, so every difference between them is
seed noise. The script counts, per group, on how many of the problems it is first or tied with
the first (:func:`rnninit_bench.crossdata.first_or_tied`), and how many groups meet the
criterion on every problem.

Resumable (finished ids in OUT/results.jsonl are skipped), one torch thread; ``--cell`` runs
one cell (two processes can share the work)::

    OMP_NUM_THREADS=1 python benchmarks/forecast_null.py --cell lstm
    OMP_NUM_THREADS=1 python benchmarks/forecast_null.py --cell gru
    python benchmarks/forecast_null.py --analyse
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
from rnninit_bench import ResultsStore, RunConfig, run_config
from rnninit_bench.crossdata import Problem, first_or_tied
from rnninit_bench.realdata_sweep import realdata_sweep
from rnninit_bench.results import load_results

#: Groups of 5 seeds; with the 7 starts of the sweep in mind, 7 copies of one start.
GROUPS = 7

OUT = Path(__file__).parent / "results" / "forecast_null"


def _configs(cell: str) -> list[RunConfig]:
    block = "c" if cell == "lstm" else "d"
    base = [c for c in realdata_sweep(block, seeds=1) if c.task.startswith("fc-")]
    return [replace(c, seed=s) for c in base if c.scheme == "auto" for s in range(GROUPS * 5)]


def run(cell: str, out: Path) -> None:
    store = ResultsStore.in_folder(out)
    done = store.ids()
    todo = [c for c in _configs(cell) if c.id not in done]
    torch.set_num_threads(1)
    print(f"{len(todo)} runs to do", flush=True)
    for i, c in enumerate(todo, 1):
        rec = run_config(c)
        store.append(rec)
        print(f"[{i}/{len(todo)}] {c.task} {c.cell} s{c.seed}: "
              f"{rec['final']['test_mase']:.4f}", flush=True)  # fmt: skip


def analyse(out: Path) -> str:
    """The Markdown table of the null experiment."""
    values: dict[tuple[str, str], dict[int, float]] = {}
    for r in load_results(out):
        c = r["config"]
        values.setdefault((c["task"], c["cell"]), {})[int(c["seed"])] = float(
            r["final"]["test_mase"]
        )
    groups = [f"auto#{g}" for g in range(GROUPS)]
    probs = []
    for (task, cell), seeds in sorted(values.items()):
        if len(seeds) < GROUPS * 5:
            continue
        per = {groups[g]: tuple(seeds[5 * g + k] for k in range(5)) for g in range(GROUPS)}
        probs.append(Problem(task, cell, 32, "mase", per))
    if not probs:
        return "No problem has every seed yet."
    lines = [
        f"Problems: {len(probs)} ({', '.join(f'{p.label} {p.cell}' for p in probs)}); "
        f"{GROUPS} groups of 5 seeds of `auto`, each treated as a start.",
        "",
        "| group | first or tied |",
        "|---|---|",
    ]
    counts = [first_or_tied(probs, g, groups) for g in groups]
    lines += [f"| {g} | {n}/{len(probs)} |" for g, n in zip(groups, counts, strict=True)]
    every = sum(n == len(probs) for n in counts)
    lines += ["", f"Groups first or tied on every problem: {every} of {GROUPS}."]
    for cell in sorted({p.cell for p in probs}):
        sub = [p for p in probs if p.cell == cell]
        n_every = sum(first_or_tied(sub, g, groups) == len(sub) for g in groups)
        lines.append(f"{cell.upper()} alone ({len(sub)} problems): {n_every} of {GROUPS}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--cell", choices=("lstm", "gru"))
    p.add_argument("--analyse", action="store_true", help="print the table and write NULL.md")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.analyse:
        text = analyse(out)
        (out / "NULL.md").write_text(text + "\n", encoding="utf-8")
        print(text)
        return 0
    if args.cell is None:
        p.error("give --cell lstm or --cell gru (or --analyse)")
    run(args.cell, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
