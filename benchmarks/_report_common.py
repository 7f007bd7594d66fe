"""What the reports and sweeps of the library benchmarks (rl.py, forecast_libs.py and their
reports) share: the seed spread, the mean ranks and aeon's critical-difference diagram (those two
from ``rnninit_bench.crossdata``, the real-data page's statistics), and the resumable claim loop
of a sweep (one JSON file per run, exclusive lock files, ``--max-runs``)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rnninit_bench.crossdata import Problem, cd_plot, mean_ranks

__all__ = ["cd_section", "load_runs", "mad", "mean_ranks", "report_cli", "run_claimed"]


def load_runs(folder: Path) -> list[dict[str, Any]]:
    """Every run record of a sweep: the JSON files of ``folder/runs``, in name order."""
    return [json.loads(p.read_text()) for p in sorted((folder / "runs").glob("*.json"))]


def report_cli(
    report: Callable[[Path, int], Path], folder: Path, doc: str | None, argv: list[str] | None
) -> int:
    """The command line of a report: ``[FOLDER] [--min-seeds N]``; prints the report's path."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("folder", type=Path, nargs="?", default=folder)
    ap.add_argument("--min-seeds", type=int, default=5)
    args = ap.parse_args(argv)
    print(report(args.folder, args.min_seeds))
    return 0


def mad(vals: list[float]) -> float:
    """Median absolute deviation of ``vals`` around their median (the seed spread)."""
    med = statistics.median(vals)
    return float(statistics.median(abs(v - med) for v in vals))


def cd_section(probs: list[Problem], starts: list[str], path: Path, note: str = "") -> list[str]:
    """The report lines of aeon's critical-difference diagram over ``probs``, drawn into
    ``path`` (a ``plots/`` folder beside the report); none when it cannot be drawn."""
    if not cd_plot(probs, starts, path):
        return []
    return [
        f"![critical-difference diagram](plots/{path.name})",
        "",
        "Critical-difference diagram (aeon): average rank over the tasks (rank 1 the best); a bar "
        f"joins starts that pairwise Wilcoxon tests (Holm, alpha 0.1) do not tell apart{note}.",
        "",
    ]


def run_claimed(
    todo: Iterable[tuple[str, str, int]],
    runs: Path,
    worker_id: str,
    max_runs: int | None,
    run: Callable[[str, str, int], dict[str, Any]],
    summary: Callable[[dict[str, Any]], str],
) -> int:
    """Run the jobs ``(task, start, seed)`` of ``todo`` whose ``runs/TASK__START__sSEED.json``
    is missing, each claimed first with an exclusive ``.claim`` file (so workers share a list),
    the record written atomically; print ``summary(record)`` after each. Stops after
    ``max_runs``. Returns 0, or 3 when nothing was left to run."""
    runs.mkdir(parents=True, exist_ok=True)
    done = 0
    for task, start, seed in todo:
        if max_runs is not None and done >= max_runs:
            return 0
        path = runs / f"{task}__{start}__s{seed}.json"
        claim = path.with_suffix(".claim")
        if path.exists():
            continue
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.write(fd, worker_id.encode())
        os.close(fd)
        try:
            record = run(task, start, seed)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record))
            tmp.replace(path)
            print(f"{task} {start} s{seed}: {summary(record)}", flush=True)
            done += 1
        finally:
            claim.unlink(missing_ok=True)
    return 0 if done else 3  # 3: nothing left to run
