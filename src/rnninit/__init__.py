"""rnninit: start PyTorch recurrent networks right.

Gate-aware initialization of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their Cell classes,
initial hidden/cell states of every useful kind, diagnostics, and benchmarks.
"""

from __future__ import annotations

from .apply import SchemeWarning, init_
from .errors import (
    InitializerError,
    NoRecurrentModuleError,
    RnnInitError,
    SchemeError,
    StateShapeError,
    UnknownNameError,
)
from .layouts import GATES, KEEP_GATE, GateBlock, Layout, find_recurrent, gates, layout_of
from .recipes import Recipe
from .registry import INITIALIZERS, Init, register
from .schemes import SCHEMES, recipe

__version__ = "0.1.0"

__all__ = [
    "GATES",
    "INITIALIZERS",
    "KEEP_GATE",
    "SCHEMES",
    "GateBlock",
    "Init",
    "InitializerError",
    "Layout",
    "NoRecurrentModuleError",
    "Recipe",
    "RnnInitError",
    "SchemeError",
    "SchemeWarning",
    "StateShapeError",
    "UnknownNameError",
    "__version__",
    "find_recurrent",
    "gates",
    "init_",
    "layout_of",
    "recipe",
    "register",
]
