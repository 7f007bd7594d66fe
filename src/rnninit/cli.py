"""The ``rnninit`` command line: ``bench``, ``report``, ``inspect``, ``demo``.

Each subcommand lives with its feature; a feature module exposes
``register(subparsers) -> None`` that adds its parser(s) and sets ``func`` to a callable
``(argparse.Namespace) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._version import __version__

#: Modules that register subcommands, in the order ``--help`` lists them.
_FEATURES = ("rnninit.bench.cli", "rnninit.diagnose.cli", "rnninit.demo")


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
            if exc.name is not None and exc.name.startswith("rnninit"):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnninit`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return int(func(args))
