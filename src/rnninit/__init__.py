"""rnninit: start PyTorch recurrent networks right.

Gate-aware initialization of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their Cell classes
(:func:`init_`, including the data-calibrated ``"auto"`` scheme; :func:`recipe` shows a scheme
as data) and of any module whose gates are declared once (:class:`Declaration`,
:func:`register_layout`, :func:`gates`); initial hidden and cell states of every useful kind
(:func:`initial_state`, :class:`InitialState`, :func:`attach_initial_state`,
:class:`Recurrent`); diagnostics (:func:`describe`, :func:`check`).

The top level holds what most users call. The rest lives in the subpackage of its layer, and
the tree is the map. Bottom to top (each subpackage imports only from those below it; no import
inside a function dodges a layer; ``make lint`` enforces it with import-linter, the ``layers``
contract in ``pyproject.toml``, and ``tests/test_architecture.py``):

1. :mod:`rnninit.errors` (the error family, rooted at :class:`RnnInitError`), ``_version``;
2. :mod:`rnninit.layouts`: how a module class holds its gates (declarations, PyTorch's own
   classes, the registry of declarations, choosing the layers, a declaration bound to a module)
   and the gate blocks; its docstring states the equations, once;
3. :mod:`rnninit.initializers`: the tensor-level initializers, the gate biases, the named
   registry (:func:`~rnninit.initializers.register`) and its built-in catalogue;
4. :mod:`rnninit.schemes`: a scheme as data (:class:`~rnninit.schemes.Recipe`, the override
   keywords, the built-in schemes), then a recipe planned on the selected layers, validated,
   drawn and written atomically;
5. :mod:`rnninit.auto`: the data-calibrated scheme and its calibration;
6. ``facade``: :func:`init_`, dispatching ``"auto"`` to :mod:`rnninit.auto`, the rest to
   :mod:`rnninit.schemes`;
7. :mod:`rnninit.states`, then :mod:`rnninit.diagnose`, then :mod:`rnninit.interop` (Keras),
   then :mod:`rnninit.contrib` (declarations of third-party cells), then
   :mod:`rnninit.integrations` (inside other libraries' training loops);
8. ``demo`` and ``cli`` (the command line; ``rnninit bench``, ``report`` and ``crossdata`` run
   the benchmark, a distribution of its own: ``rnninit-bench``, package ``rnninit_bench``).

Old spellings (``rnninit.Recipe``, ``rnninit.register``, ``rnninit.from_keras_``, the flat
module paths such as ``rnninit.schemes``) still work for one release, with a
``DeprecationWarning`` naming the new one.

>>> import torch, rnninit
>>> lstm = torch.nn.LSTM(2, 8)
>>> _ = rnninit.init_(lstm, "chrono", max_timescale=100, generator=torch.Generator().manual_seed(0))
>>> bool(((lstm.bias_ih_l0 + lstm.bias_hh_l0)[8:16] > 0).all())  # forget gate, rows H:2H
True
"""

from __future__ import annotations

from typing import Any

from . import _compat, auto, diagnose, initializers, interop, layouts, schemes, states  # noqa: F401
from ._version import __version__
from .diagnose import check, describe
from .errors import RnnInitError
from .facade import init_
from .layouts import Declaration, gates, register_layout
from .schemes import recipe
from .states import (
    InitialState,
    Recurrent,
    attach_initial_state,
    check_state,
    initial_state,
    remove_initial_state,
)

_compat.install()

__all__ = [
    "Declaration",
    "InitialState",
    "Recurrent",
    "RnnInitError",
    "__version__",
    "attach_initial_state",
    "check",
    "check_state",
    "describe",
    "gates",
    "init_",
    "initial_state",
    "recipe",
    "register_layout",
    "remove_initial_state",
]


def __getattr__(name: str) -> Any:
    """Old top-level names (``rnninit.Recipe``, ...): the object, with a DeprecationWarning."""
    return _compat.moved_name(name)
