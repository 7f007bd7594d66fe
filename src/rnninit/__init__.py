"""rnninit: start PyTorch recurrent networks right.

Gate-aware initialization of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their Cell classes,
initial hidden/cell states of every useful kind, diagnostics, and benchmarks.
"""

from __future__ import annotations

from . import initializers
from .apply import SchemeWarning, init_
from .diagnose import (
    CheckpointError,
    Description,
    Finding,
    Horizon,
    Report,
    Timescales,
    check,
    describe,
    gradient_horizon,
    load_checkpoint,
    timescales,
)
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
from .states import STATE_KINDS, InitialState, Recurrent, State, check_state, initial_state

__version__ = "0.1.0"

__all__ = [
    "GATES",
    "INITIALIZERS",
    "KEEP_GATE",
    "SCHEMES",
    "STATE_KINDS",
    "CheckpointError",
    "Description",
    "Finding",
    "GateBlock",
    "Horizon",
    "Init",
    "InitialState",
    "InitializerError",
    "Layout",
    "NoRecurrentModuleError",
    "Recipe",
    "Recurrent",
    "Report",
    "RnnInitError",
    "SchemeError",
    "SchemeWarning",
    "State",
    "StateShapeError",
    "Timescales",
    "UnknownNameError",
    "__version__",
    "check",
    "check_state",
    "describe",
    "find_recurrent",
    "gates",
    "gradient_horizon",
    "init_",
    "initial_state",
    "initializers",
    "layout_of",
    "load_checkpoint",
    "recipe",
    "register",
    "timescales",
]
