"""``rnninit demo``: initialize a small model with a scheme and print its per-gate table.

A one-command look at what a scheme writes, gate by gate::

    rnninit demo --scheme chrono --max-timescale 200 --cell lstm --hidden 16
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import torch
from torch import nn

from .diagnose import check, describe
from .errors import RnnInitError
from .facade import init_
from .schemes import SCHEMES

__all__ = ["build_module", "register", "run"]

_CELLS = ("lstm", "gru", "rnn", "rnn_relu")


def build_module(cell: str, input_size: int, hidden: int, layers: int) -> nn.Module:
    """The demo's module: ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` (tanh or relu)."""
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, num_layers=layers)
    if cell == "gru":
        return nn.GRU(input_size, hidden, num_layers=layers)
    nonlinearity = "relu" if cell == "rnn_relu" else "tanh"
    return nn.RNN(input_size, hidden, num_layers=layers, nonlinearity=nonlinearity)


def run(args: argparse.Namespace) -> int:
    """Run the demo from parsed arguments; returns the exit code."""
    module = build_module(args.cell, args.input_size, args.hidden, args.layers)
    params: dict[str, Any] = {}
    if args.max_timescale is not None:
        params["max_timescale"] = args.max_timescale
    elif args.scheme == "chrono":
        params["max_timescale"] = args.seq_len
    try:
        init_(module, args.scheme, generator=torch.Generator().manual_seed(args.seed), **params)
    except RnnInitError as exc:
        print(f"rnninit demo: error: {exc}", file=sys.stderr)
        return 2
    print(f"{module} initialized with scheme {args.scheme!r} {params or ''}".rstrip())
    print()
    table = describe(module)
    print(table.to_markdown() if args.markdown else table)
    print()
    print(check(module, seq_len=args.seq_len))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    p = subparsers.add_parser(
        "demo",
        help="initialize a small recurrent layer and print its per-gate table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--scheme", default="orthogonal", choices=[s for s in SCHEMES if s != "keep"])
    p.add_argument("--cell", default="lstm", choices=_CELLS)
    p.add_argument("--input-size", type=int, default=4)
    p.add_argument("--hidden", type=int, default=8)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--max-timescale", type=float, default=None, help="T_max for chrono")
    p.add_argument(
        "--seq-len", type=int, default=100, help="sequence length the model is meant for"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.set_defaults(func=run)
