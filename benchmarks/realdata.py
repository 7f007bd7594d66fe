"""The real-data sweep of issue 21 (classification, char-LM, forecasting), block by block.

Blocks (rnninit_bench.realdata_sweep): a = classification, standardized, LSTM (9 aeon sets);
b = char-LM on the King James Bible, LSTM 64 and 128; c = forecasting, LSTM (5 aeon series);
d = a, b and c with GRU; e = classification with raw inputs, LSTM; f = char-LM, LSTM 256,
500 steps; g = the same with GRU; h = every problem of a-g from auto+targets=every_step. Starts:
pytorch, auto, flax, keras, chrono, orthogonal; 5 seeds. Block i, the forecasting ablation of
auto, goes to its own folder (``--blocks i --out benchmarks/results/realdata_forecast_ablation``),
and so does block k, the recommended forecasting start with target=0.1 (``--blocks k --out
benchmarks/results/realdata_forecast_ablation``, beside block i's references); block j, the
char-LM at a full run's 1500 steps (``--blocks j --seeds 3 --out
benchmarks/results/realdata_lm_long``).
Resumable: finished ids (in OUT/results.jsonl) are skipped, each run is appended as it ends.
One process, one torch thread::

    nohup env OMP_NUM_THREADS=1 .venv/bin/python benchmarks/realdata.py \\
        --out benchmarks/results/realdata > /tmp/realdata_sweep.log 2>&1 &

``--list`` marks every run done/todo; ``--blocks ab`` runs only those blocks.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from rnninit_bench import ResultsStore, run_config
from rnninit_bench.realdata_sweep import realdata_sweep

RESULTS = Path(__file__).parent / "results" / "realdata"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--blocks", default="abcdefgh", help="letters of the blocks, in order")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--list", action="store_true", help="print the runs, done or todo, and exit")
    args = p.parse_args(argv)
    configs = realdata_sweep(args.blocks, args.seeds)
    store = ResultsStore.in_folder(args.out)
    done = store.ids()
    todo = [c for c in configs if c.id not in done]
    if args.list:
        for c in configs:
            status = "done" if c.id in done else "todo"
            print(c.id, status, c.task, c.cell, c.hidden, c.scheme, c.seed, c.steps)
        print(f"{len(todo)} to do, {len(configs) - len(todo)} done in {args.out}", file=sys.stderr)
        return 0
    torch.set_num_threads(1)
    print(f"{len(todo)} runs to do, {len(configs) - len(todo)} done", flush=True)
    t0 = time.perf_counter()
    for i, c in enumerate(todo, 1):
        rec = run_config(c)
        store.append(rec)
        metric = rec["task"]["metric"]
        value = rec["final"].get("test_accuracy" if metric == "accuracy" else "test_loss")
        print(
            f"[{i}/{len(todo)}] {c.task} {c.cell} h{c.hidden} {c.scheme} s{c.seed}: "
            f"{metric} {value:.4f}, {rec['wall_seconds']:.1f} s "
            f"(total {time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
