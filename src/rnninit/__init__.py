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

Architecture: the package is built in layers, each module importing only from the layers
below it (no import cycle; no import inside a function except of optional third-party packages
and the command line's lazy subcommands). ``make lint`` enforces it (import-linter, the
``layers`` contract in ``pyproject.toml``; ``tests/test_architecture.py``). Bottom to top:

1. ``errors``, ``_version``: the error family, the version;
2. ``declaration`` (how a module class holds its gates), ``torch_layouts`` (PyTorch's own
   classes declared), ``layout_registry`` (class -> declaration), ``selection``
   (``include=``/``exclude=``), ``undeclared`` (modules that look recurrent but have no
   declaration: ``init_`` warns), ``binding`` (a declaration matched to a module: its layout),
   then ``layouts`` (the gate blocks, the equations);
3. ``_draw``, ``gate_biases``, ``initializers``: the tensor-level initializers;
4. ``registry`` (names -> initializers), then ``catalog`` (the built-in names, registered
   into the registry from above);
5. ``overrides`` (the override keywords), ``recipes`` (a scheme as data), ``schemes`` (the
   named schemes, their parameters, ``auto``'s keywords);
6. ``parametrized``, ``plan``, ``validation``, ``transaction``, ``apply``: a recipe on the
   selected layers, planned, validated, drawn, then written atomically;
7. ``calibration``, ``auto``: the data-calibrated scheme;
8. ``facade``: :func:`init_`, dispatching ``"auto"`` to ``auto`` and the rest to ``apply``;
9. ``states``, then ``diagnose``, then ``interop`` and ``keras_io``, then ``contrib``
   (declarations of third-party cells), then ``bench``, then ``demo`` and ``cli``.

>>> import torch, rnninit
>>> lstm = torch.nn.LSTM(2, 8)
>>> _ = rnninit.init_(lstm, "chrono", max_timescale=100, generator=torch.Generator().manual_seed(0))
>>> bool(((lstm.bias_ih_l0 + lstm.bias_hh_l0)[8:16] > 0).all())  # forget gate, rows H:2H
True
"""

from __future__ import annotations

from . import catalog, initializers  # noqa: F401  (catalog: registers the built-in names)
from ._version import __version__
from .declaration import Declaration
from .diagnose import check, describe, gradient_horizon, timescales
from .errors import RnnInitError
from .facade import init_
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
