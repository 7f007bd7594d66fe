"""``rnninit inspect PATH``: describe, check and picture a saved recurrent model.

Loads a ``state_dict`` with ``torch.load(weights_only=True)`` (a pickled whole module needs
``--trust``), rebuilds the recurrent layers from parameter names and shapes, prints what was
inferred, the per-gate description, the timescales, the pitfall check and the gradient horizon,
and writes PNG plots. Bad files end with ``rnninit inspect: error: ...`` and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import RnnInitError
from .checkpoint import load_checkpoint
from .checks import check
from .description import describe
from .horizon import gradient_horizon
from .layer_timescales import timescales

__all__ = ["register", "run_inspect"]

_DEFAULT_HORIZON_T = 100


def register(subparsers: Any) -> None:
    """Add the ``inspect`` subcommand to the ``rnninit`` command's subparsers.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="rnninit")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["inspect", "model.pt", "--seq-len", "200", "--no-plots"])
    >>> args.path, args.seq_len, args.no_plots, args.func is run_inspect
    ('model.pt', 200, True, True)
    """
    p = subparsers.add_parser(
        "inspect",
        help="describe, check and plot the recurrent layers of a saved model",
        description=(
            "Describe every gate block of a saved recurrent model (a state_dict, or a whole "
            "module with --trust), check it for initialization pitfalls, and write PNG plots."
        ),
    )
    p.add_argument("path", help="a file written by torch.save (state_dict or module)")
    p.add_argument(
        "--out",
        default=None,
        help="directory for the PNG plots (default: ./<file stem>_inspect)",
    )
    p.add_argument("--no-plots", action="store_true", help="print only, write no PNG")
    p.add_argument(
        "--seq-len",
        type=int,
        default=None,
        help="sequence length the model is for: enables the long-sequence check and sets the "
        f"horizon length (default {_DEFAULT_HORIZON_T})",
    )
    p.add_argument(
        "--trust",
        action="store_true",
        help="allow unpickling a whole saved module (runs code from the file: trusted files only)",
    )
    p.add_argument(
        "--family",
        choices=("LSTM", "GRU", "RNN"),
        default=None,
        help="assert the layer family (it is otherwise read from the gate count)",
    )
    p.add_argument(
        "--nonlinearity",
        choices=("tanh", "relu"),
        default=None,
        help="an RNN's nonlinearity (cannot be read from the weights; default tanh)",
    )
    for flag, what in (("--include", "only"), ("--exclude", "leave out")):
        p.add_argument(
            flag,
            action="append",
            default=None,
            metavar="GLOB",
            help=f"{what} the recurrent modules whose qualified name matches GLOB (e.g. "
            "'encoder.*'), as in rnninit.init_; repeatable",
        )
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--seed", type=int, default=0, help="seed of the horizon's random input")
    p.set_defaults(func=run_inspect)


def _fail(message: str) -> int:
    print(f"rnninit inspect: error: {message}", file=sys.stderr)
    return 2


def run_inspect(args: argparse.Namespace) -> int:
    """Run ``rnninit inspect`` with parsed arguments; return the exit code (0, or 2 with a
    one-line ``rnninit inspect: error: ...`` on stderr for a bad file or argument).

    >>> import argparse, contextlib, io, tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> path = Path(tempfile.mkdtemp()) / "gru.pt"
    >>> torch.save(nn.GRU(3, 4).state_dict(), path)
    >>> parser = argparse.ArgumentParser(prog="rnninit")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["inspect", str(path), "--no-plots", "--seq-len", "20"])
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run_inspect(args)
    >>> code, "gradient horizon of <root>" in out.getvalue()
    (0, True)
    """
    if args.seq_len is not None and args.seq_len < 2:
        return _fail(f"--seq-len must be >= 2, got {args.seq_len}")
    try:
        loaded = load_checkpoint(
            args.path, trust=args.trust, family=args.family, nonlinearity=args.nonlinearity
        )
    except RnnInitError as exc:
        return _fail(str(exc))
    model = loaded.model
    md = bool(args.markdown)
    print(f"rnninit inspect: {loaded.source}")
    for note in loaded.notes:
        print(f"  - {note}")
    print()
    only, leave_out = args.include, args.exclude
    try:
        desc = describe(model, include=only, exclude=leave_out)
        ts = timescales(model, include=only, exclude=leave_out)
        report = check(model, seq_len=args.seq_len, include=only, exclude=leave_out)
        t = args.seq_len or _DEFAULT_HORIZON_T
        gen = torch.Generator().manual_seed(args.seed)
        hz = gradient_horizon(model, t, generator=gen, include=only, exclude=leave_out)
    except (RnnInitError, RuntimeError, ValueError, TypeError) as exc:
        return _fail(f"cannot analyse the rebuilt model: {exc}")
    print(desc.to_markdown() if md else desc)
    print()
    table = ts.table()
    print(table.to_markdown() if md else table)
    if ts.note:
        print(ts.note)
    print()
    print(report.to_markdown() if md and len(report) else report)
    print()
    print(hz)
    if args.no_plots:
        return 0
    out = Path(args.out) if args.out else Path(f"{Path(args.path).stem}_inspect")
    try:
        from .plots import write_plots

        paths = write_plots(
            model,
            out,
            seq_len=t,
            generator=torch.Generator().manual_seed(args.seed),
            include=only,
            exclude=leave_out,
        )
    except ImportError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write plots to {str(out)!r}: {exc}")
    print()
    print("plots: " + ", ".join(str(p) for p in paths))
    return 0
