"""rnninit: start PyTorch recurrent networks right.

Gate-aware initialization of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their Cell classes,
initial hidden/cell states of every useful kind, diagnostics, and benchmarks.
"""

from __future__ import annotations

from .errors import (
    InitializerError,
    NoRecurrentModuleError,
    RnnInitError,
    SchemeError,
    StateShapeError,
    UnknownNameError,
)
from .layouts import GATES, KEEP_GATE, GateBlock, Layout, find_recurrent, gates, layout_of

__version__ = "0.1.0"

__all__ = [
    "GATES",
    "KEEP_GATE",
    "GateBlock",
    "InitializerError",
    "Layout",
    "NoRecurrentModuleError",
    "RnnInitError",
    "SchemeError",
    "StateShapeError",
    "UnknownNameError",
    "__version__",
    "find_recurrent",
    "gates",
    "layout_of",
]
