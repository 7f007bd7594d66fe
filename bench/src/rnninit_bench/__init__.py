"""The benchmark: which initialization and which initial state trains best.

``rnninit bench`` runs a sweep of :class:`RunConfig` (each a pure function of its configuration),
appends one JSON line per finished run to ``DIR/results.jsonl`` (a re-run skips finished ids), and
``rnninit report DIR`` writes ``DIR/REPORT.md`` with tables and PNG plots from that file alone.
"""

from __future__ import annotations

from .config import BENCH_SCHEMES, RunConfig, scheme_fits
from .results import ResultsStore, load_results
from .runner import run_config, run_sweep
from .sweep import build_sweep, quick_sweep, shard
from .tasks import TASKS, make_task

__all__ = [
    "BENCH_SCHEMES",
    "TASKS",
    "ResultsStore",
    "RunConfig",
    "build_sweep",
    "load_results",
    "make_task",
    "quick_sweep",
    "run_config",
    "run_sweep",
    "scheme_fits",
    "shard",
]
