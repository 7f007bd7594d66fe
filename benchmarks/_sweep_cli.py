"""What the benchmark scripts (ablation.py, evidence.py) share: the common options and the run.

Each script builds its own list of configurations; this runs the ones not yet in ``--out``
(resumable: finished ids are skipped) on ``--workers`` processes, or lists them with ``--list``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rnninit_bench import ResultsStore, RunConfig, run_sweep

RESULTS = Path(__file__).parent / "results"


def parser(doc: str | None, out: str, workers: int) -> argparse.ArgumentParser:
    """An argument parser with ``--workers``, ``--out`` (default ``results/OUT``) and ``--list``."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    p.add_argument("--workers", type=int, default=workers, help=f"processes (default {workers})")
    p.add_argument("--out", default=str(RESULTS / out), help="results folder")
    p.add_argument("--list", action="store_true", help="print the configurations and exit")
    return p


def run(todo: list[RunConfig], args: argparse.Namespace) -> int:
    """``--list``: print one line per configuration, marked ``done`` when its id is already in
    ``--out`` or ``todo`` otherwise (the tally on stderr); otherwise run them, print the tally."""
    if args.list:
        done = ResultsStore.in_folder(args.out).ids()  # what the sweep skips
        for c in todo:
            status = "done" if c.id in done else "todo"
            print(c.id, status, c.task, c.length, c.cell, c.scheme, c.seed, c.steps)
        left = sum(c.id not in done for c in todo)
        print(f"{left} to do, {len(todo) - left} done in {args.out}", file=sys.stderr)
        return 0
    t0 = time.perf_counter()
    ran, skipped = run_sweep(
        todo, args.out, workers=args.workers, log=lambda m: print(m, file=sys.stderr)
    )
    print(
        f"{ran} runs, {skipped} skipped, {time.perf_counter() - t0:.0f} s on {args.workers} workers"
    )
    return 0
