"""``rnninit bench`` (run a sweep, then write the report) and ``rnninit report DIR``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from rnninit.errors import RnnInitError

from .config import BENCH_SCHEMES
from .models import BENCH_STATES, CELLS
from .tasks import TASKS

__all__ = ["register"]


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _ints(text: str) -> list[int]:
    try:
        return [int(t) for t in _names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like 200,400, got {text!r}") from None


def register(subparsers: Any) -> None:
    """Add the ``bench`` and ``report`` subcommands to the ``rnninit`` parser."""
    p = subparsers.add_parser(
        "bench",
        help="train every scheme and initial state on long-memory tasks; write a report",
        description=(
            "Run the benchmark sweep (tasks x lengths x cells x schemes x states x seeds), "
            "append each finished run to OUT/results.jsonl (a re-run skips finished runs), "
            "then write OUT/REPORT.md and OUT/plots/*.png. --quick is a small sweep that "
            "finishes in under 2 minutes on 2 idle cores."
        ),
    )
    p.add_argument("--quick", action="store_true", help="the small preset (the main job)")
    p.add_argument(
        "--task",
        type=_names,
        help=f"comma-separated, from: {', '.join(TASKS)}; or a real-data task: "
        "cls-NAME, clsraw-NAME, charlm-kjv, fc-NAME (see rnninit_bench.realdata_registry)",
    )
    p.add_argument(
        "--scheme",
        type=_names,
        help=f"from: {', '.join(BENCH_SCHEMES)}; or a spec with overrides, "
        "e.g. 'chrono+input=lecun_normal', 'flax+forget_bias=1', 'auto+target=0.3'",
    )
    p.add_argument("--cell", type=_names, help=f"from: {', '.join(CELLS)}")
    p.add_argument("--state", type=_names, help=f"initial states, from: {', '.join(BENCH_STATES)}")
    p.add_argument("--length", type=_ints, help="T values, e.g. 200,400,750 (not for digits)")
    p.add_argument("--seeds", type=int, default=None, help="seeds per configuration (3; quick 2)")
    p.add_argument("--steps", type=int, help="step budget per run (default per task)")
    p.add_argument("--hidden", type=int, help="hidden units (default per task)")
    p.add_argument("--batch", type=int, help="batch size (default per task)")
    p.add_argument("--lr", type=float, help="Adam learning rate (1e-3; relu RNNs 1e-4)")
    p.add_argument("--no-stop", action="store_true", help="train the whole budget when solved")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel processes (default 1; quick: min(2, CPUs))",
    )
    p.add_argument(
        "--shard",
        default=None,
        metavar="I/N",
        help="run only shard I of N (configs whose id mod N == I), for clusters",
    )
    p.add_argument("--out", default="bench-out", help="output folder (default bench-out)")
    p.add_argument(
        "--list",
        action="store_true",
        help="print the configurations, each marked done (in OUT) or todo, and exit",
    )
    p.add_argument("--no-report", action="store_true", help="do not write the report")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_bench)

    r = subparsers.add_parser(
        "report",
        help="write REPORT.md and plots from a benchmark folder's results file(s)",
        description="Read DIR/results*.jsonl and write DIR/REPORT.md and DIR/plots/*.png.",
    )
    r.add_argument("dir", help="folder holding results.jsonl (from rnninit bench --out DIR)")
    r.add_argument("--out", default=None, help="write the report elsewhere (default DIR)")
    r.set_defaults(func=_report)

    x = subparsers.add_parser(
        "crossdata",
        help="real-data results across data sets: win/tie/loss, Wilcoxon, CD diagram",
        description=(
            "Read DIR/results*.jsonl and write DIR/CROSSDATA.md and DIR/plots/cd_*.png: per "
            "real-data problem the median of 5 seeds, win/tie/loss of every start against "
            "pytorch and auto, Wilcoxon signed-rank p-values, aeon's critical-difference "
            "diagram (Demšar 2006)."
        ),
    )
    x.add_argument("dir", help="folder holding the real-data results (results*.jsonl)")
    x.add_argument("--out", default=None, help="write CROSSDATA.md elsewhere (default DIR)")
    x.add_argument(
        "--update",
        default=None,
        metavar="PAGE.md",
        help="also replace the generated section of this Markdown page (docs/realdata.md)",
    )
    x.set_defaults(func=_crossdata)


def _bench(args: argparse.Namespace) -> int:
    from .runner import run_sweep
    from .sweep import build_sweep, parse_shard, quick_sweep, shard

    overrides: dict[str, Any] = {}
    for name in ("hidden", "batch", "lr"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.no_stop:
        overrides["stop_on_solve"] = False
    try:
        if args.quick:
            configs = quick_sweep(seeds=args.seeds or 2)
            picked = {
                "task": args.task,
                "scheme": args.scheme,
                "cell": args.cell,
                "state": args.state,
            }
            for field, wanted in picked.items():
                if wanted:
                    configs = [c for c in configs if getattr(c, field) in wanted]
            if args.length:
                configs = [c for c in configs if c.length in args.length]
            if args.steps or overrides:
                from dataclasses import replace

                extra = dict(overrides)
                if args.steps:
                    extra["steps"] = args.steps
                configs = [replace(c, **extra) for c in configs]
        else:
            configs = build_sweep(
                args.task,
                args.scheme,
                args.cell,
                args.length,
                args.state,
                seeds=args.seeds or 3,
                steps=args.steps,
                **overrides,
            )
        if args.shard:
            configs = shard(configs, *parse_shard(args.shard))
    except (RnnInitError, ValueError) as exc:
        print(f"rnninit bench: error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        from .results import ResultsStore

        done = ResultsStore.in_folder(args.out).ids()
        for c in configs:
            print(c.id, "done" if c.id in done else "todo", c.to_dict())
        left = sum(c.id not in done for c in configs)
        print(f"{left} to do, {len(configs) - left} done in {args.out}", file=sys.stderr)
        return 0
    workers = args.workers or (min(2, os.cpu_count() or 1) if args.quick else 1)
    show = None if not args.no_progress else False
    t0 = time.perf_counter()
    ran, skipped = run_sweep(
        configs,
        args.out,
        workers=workers,
        show_progress=show,
        log=lambda m: print(m, file=sys.stderr),
    )
    print(f"{ran} runs done, {skipped} skipped, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if not args.no_report:
        from .report import write_report

        path = write_report(args.out)
        _print_verdicts(args.out)
        print(f"report: {path}")
    return 0


def _print_verdicts(folder: str) -> None:
    """Print the verdict per task as a table, so whoever typed the command sees the answer."""
    from .results import load_results
    from .summary import group_entries
    from .terminal import verdict_table

    print(verdict_table(group_entries(load_results(folder))))


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    try:
        path = write_report(args.dir, args.out)
    except FileNotFoundError as exc:
        print(f"rnninit report: error: {exc}", file=sys.stderr)
        return 2
    _print_verdicts(args.dir)
    print(f"report: {path}")
    return 0


def _crossdata(args: argparse.Namespace) -> int:
    from .crossdata import write_crossdata

    try:
        path = write_crossdata(args.dir, args.out, args.update)
    except FileNotFoundError as exc:
        print(f"rnninit crossdata: error: {exc}", file=sys.stderr)
        return 2
    print(f"cross-data-set report: {path}")
    return 0
