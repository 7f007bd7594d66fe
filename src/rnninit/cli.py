"""The ``rnninit`` command line: ``bench``, ``report``, ``crossdata``, ``inspect``, ``demo``.

Each subcommand lives with its feature; a feature module exposes
``register(subparsers) -> None`` that adds its parser(s) and sets ``func`` to a callable
``(argparse.Namespace) -> int``. ``bench``, ``report`` and ``crossdata`` belong to the
benchmark, a distribution of its own (``rnninit-bench``, package ``rnninit_bench``): when it is
not installed they are still listed, and running one says how to install it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from ._version import __version__

#: Modules that register subcommands, in the order ``--help`` lists them.
_FEATURES = ("rnninit_bench.cli", "rnninit.diagnose.cli", "rnninit.demo")
#: The benchmark's subcommands, and how to install the distribution that runs them.
BENCH_COMMANDS = ("bench", "report", "crossdata")
BENCH_INSTALL = "pip install -e bench  (from a clone of rnninit; or: pip install rnninit-bench)"


def _bench_missing(args: argparse.Namespace) -> int:
    print(
        f"rnninit {args.command}: error: the benchmark is not installed (it is the "
        f"rnninit-bench distribution, package rnninit_bench): {BENCH_INSTALL}",
        file=sys.stderr,
    )
    return 2


def _register_bench_placeholders(sub: Any) -> None:
    for command in BENCH_COMMANDS:
        p = sub.add_parser(
            command,
            help=f"the benchmark's {command!r} (needs rnninit-bench: {BENCH_INSTALL})",
            add_help=False,
        )
        p.set_defaults(func=_bench_missing)


def build_parser() -> argparse.ArgumentParser:
    """The top-level argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="rnninit",
        description="Initialize PyTorch recurrent networks gate by gate, and measure the start.",
    )
    parser.add_argument("--version", action="version", version=f"rnninit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _FEATURES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # an optional feature's dependency is missing
            missing = (exc.name or "").split(".")[0]
            if missing == "rnninit_bench" and name.startswith("rnninit_bench"):
                _register_bench_placeholders(sub)
                continue
            if missing == "rnninit":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnninit`` command; returns the process exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    func = getattr(args, "func", None)
    if extra and func is not _bench_missing:  # a missing benchmark takes any arguments
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return int(func(args))
