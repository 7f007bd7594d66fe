"""rnninit: start PyTorch recurrent networks right.

Gate-aware initialization of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their Cell classes
(:func:`init_`, including the data-calibrated ``"auto"`` scheme) and of any module whose
gates are declared once (:class:`Declaration`, :func:`register_layout`); initial hidden and
cell states of every useful kind (:func:`initial_state`, :class:`InitialState`,
:func:`attach_initial_state`, :class:`Recurrent`), diagnostics (:func:`describe`,
:func:`check`, :func:`timescales`, :func:`gradient_horizon`), Keras interop
(:func:`from_keras_`, :func:`to_keras`) and a benchmark (``rnninit bench``).

The top level holds what a user calls. Result types, layout tools, errors and checkpoint helpers
live in their subpackages: :mod:`rnninit.layouts` (gate order, :func:`~rnninit.layouts.layout_of`,
:class:`~rnninit.layouts.GateBlock`), :mod:`rnninit.diagnose` (result types,
:func:`~rnninit.diagnose.load_checkpoint`), :mod:`rnninit.states`, :mod:`rnninit.errors`,
:mod:`rnninit.auto`, :mod:`rnninit.bench`.

>>> import torch, rnninit
>>> lstm = torch.nn.LSTM(2, 8)
>>> _ = rnninit.init_(lstm, "chrono", max_timescale=100, generator=torch.Generator().manual_seed(0))
>>> bool(((lstm.bias_ih_l0 + lstm.bias_hh_l0)[8:16] > 0).all())  # forget gate, rows H:2H
True
"""

from __future__ import annotations

from . import initializers
from .apply import init_
from .declaration import Declaration
from .diagnose import check, describe, gradient_horizon, timescales
from .errors import RnnInitError
from .keras_io import from_keras_, to_keras
from .layouts import gates, register_layout
from .recipes import Recipe
from .registry import INITIALIZERS, Init, register
from .schemes import SCHEMES, recipe
from .states import (
    InitialState,
    Recurrent,
    attach_initial_state,
    check_state,
    initial_state,
    remove_initial_state,
)

#: The installed version of rnninit.
__version__ = "0.1.0"

__all__ = [
    "INITIALIZERS",
    "SCHEMES",
    "Declaration",
    "Init",
    "InitialState",
    "Recipe",
    "Recurrent",
    "RnnInitError",
    "__version__",
    "attach_initial_state",
    "check",
    "check_state",
    "describe",
    "from_keras_",
    "gates",
    "gradient_horizon",
    "init_",
    "initial_state",
    "initializers",
    "recipe",
    "register",
    "register_layout",
    "remove_initial_state",
    "timescales",
    "to_keras",
]
