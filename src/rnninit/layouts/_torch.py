"""PyTorch's own recurrent classes, declared like any user's class (:mod:`rnninit.layouts`).

``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` are one class family (``nn.RNNBase``) whose equations
follow its ``mode``; the Cells are told apart by class. Names, shapes and gate orders:
:mod:`rnninit.layouts`. :data:`TORCH_LAYOUTS` is what :mod:`rnninit.layouts` starts with.

>>> from torch import nn
>>> torch_layer(nn.LSTM(2, 3)).input
'weight_ih_l{layer}{direction}'
>>> torch_cell(nn.GRUCell(2, 3)).gates
('r', 'z', 'n')
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ..errors import LayoutError
from ._declaration import GATES, Declaration

__all__ = ["TORCH_LAYOUTS"]

_MODES = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}
_NONLIN = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}
_SWITCHES = {"bias_ih": "bias", "bias_hh": "bias"}


def _layer(family: str, nonlinearity: str | None) -> Declaration:
    named = "{layer}{direction}"
    return Declaration(
        family,
        GATES[family],
        input=f"weight_ih_l{named}",
        recurrent=f"weight_hh_l{named}",
        bias_ih=f"bias_ih_l{named}",
        bias_hh=f"bias_hh_l{named}",
        projection=f"weight_hr_l{named}" if family == "LSTM" else None,
        nonlinearity=nonlinearity,
        step="sequence",
        switches={**_SWITCHES, "projection": "proj_size"} if family == "LSTM" else _SWITCHES,
    )


def _cell(family: str, nonlinearity: str | None) -> Declaration:
    return Declaration(
        family,
        GATES[family],
        input="weight_ih",
        recurrent="weight_hh",
        bias_ih="bias_ih",
        bias_hh="bias_hh",
        nonlinearity=nonlinearity,
        switches=_SWITCHES,
    )


#: The Cells whose family their class names; ``nn.RNNCell`` reads its ``nonlinearity``.
_CELL_FAMILIES: dict[type[nn.Module], str] = {nn.LSTMCell: "LSTM", nn.GRUCell: "GRU"}


def torch_layer(module: nn.Module) -> Declaration:
    """The declaration of an ``nn.RNNBase`` (``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``) by its
    ``mode``: names ``weight_ih_l{layer}{direction}``, ..., ``step="sequence"``.

    Built when read (a few microseconds), like a user's layout function."""
    mode = getattr(module, "mode", None)
    if mode not in _MODES:
        raise LayoutError(f"unsupported RNN mode {mode!r} in {type(module).__name__}")
    return _layer(_MODES[str(mode)], _NONLIN.get(str(mode)))


def torch_cell(module: nn.Module) -> Declaration:
    """The declaration of ``nn.LSTMCell`` / ``nn.GRUCell`` / ``nn.RNNCell`` (and subclasses)."""
    for cls, family in _CELL_FAMILIES.items():
        if isinstance(module, cls):
            return _cell(family, None)
    if isinstance(module, nn.RNNCell):
        return _cell("RNN", str(module.nonlinearity))
    raise LayoutError(
        f"unsupported recurrent cell type {type(module).__name__}: declare its layout with "
        "rnninit.register_layout"
    )


#: The built-in declarations: each class with the function that reads an instance's layout.
TORCH_LAYOUTS: dict[type[nn.Module], Callable[[nn.Module], Declaration]] = {
    nn.RNNBase: torch_layer,
    nn.RNNCellBase: torch_cell,
}
