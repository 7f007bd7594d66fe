"""Layouts: how a recurrent module holds its gates, and THE equations.

The parts, bottom to top: a :class:`Declaration` says how a module class stores its gates
(``_declaration``); PyTorch's own classes are declared like any user's (``_torch``);
:func:`register_layout` maps a class to its declaration (``_registry``); :func:`find_recurrent`
chooses the layers (``_selection``); :func:`layout_of` binds a declaration to a module, giving
its :class:`Layout` (``_binding``); :func:`gates` lists its gate blocks (``_blocks``).

This block is the library's one statement of the recurrent equations; every other docstring
points here. PyTorch (``torch/nn/modules/rnn.py``, the ``nn.LSTM``, ``nn.GRU``, ``nn.RNN``
docstrings) computes, for input ``x``, previous hidden state ``h`` and cell state ``c``
(``sigma`` the logistic sigmoid, ``*`` elementwise)::

    LSTM  (G = 4 row blocks, in the order i, f, g, o)
      i  = sigma(W_ii x + b_ii + W_hi h + b_hi)      input gate
      f  = sigma(W_if x + b_if + W_hf h + b_hf)      forget gate (the keep gate)
      g  = tanh (W_ig x + b_ig + W_hg h + b_hg)      cell candidate
      o  = sigma(W_io x + b_io + W_ho h + b_ho)      output gate
      c' = f * c + i * g
      h' = o * tanh(c')                               (proj_size > 0: h' = W_hr (o * tanh(c')))

    GRU   (G = 3 row blocks, in the order r, z, n)
      r  = sigma(W_ir x + b_ir + W_hr h + b_hr)      reset gate
      z  = sigma(W_iz x + b_iz + W_hz h + b_hz)      update gate (the keep gate)
      n  = tanh (W_in x + b_in + r * (W_hn h + b_hn))  new state; b_hn sits inside r * (...)
      h' = (1 - z) * n + z * h

    RNN   (G = 1 block, named h here)
      h' = tanh(W_ih x + b_ih + W_hh h + b_hh)       (or relu with nonlinearity="relu")

The gate blocks are stacked by rows: ``weight_ih_l{k} = [W_ii; W_if; W_ig; W_io]``, so gate
number ``j`` (0-based, in the order above) is rows ``j*H:(j+1)*H`` of ``weight_ih``,
``weight_hh``, ``bias_ih`` and ``bias_hh``: the LSTM forget gate is ``bias_ih_l0[H:2H]``, the
GRU update gate ``z`` is ``bias_ih_l0[H:2H]`` too. The *effective* bias of a gate is
``b_i* + b_h*`` (except GRU's ``n``, where ``b_hn`` is multiplied by ``r``).

Shapes, for layer ``k`` and ``H_out = proj_size or hidden_size``:
``weight_ih_l{k}`` is ``(G*H, in_k)`` with ``in_0 = input_size`` and ``in_k = D*H_out``;
``weight_hh_l{k}`` is ``(G*H, H_out)``; ``bias_ih_l{k}``, ``bias_hh_l{k}`` are ``(G*H,)``;
``weight_hr_l{k}`` (LSTM with ``proj_size > 0``) is ``(proj_size, H)``. The second direction
adds the suffix ``_reverse``. Cells use ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``.

:func:`gates` lists every gate block with a view into its Parameter; :func:`layout_of` gives
the rows of each gate.

>>> from torch import nn
>>> lstm = nn.LSTM(3, 4)
>>> layout_of(lstm).gate_slice("f")  # the forget gate's rows
slice(4, 8, None)
>>> [(b.param_name, b.gate) for b in gates(lstm)][4:6]
[('weight_hh_l0', 'i'), ('weight_hh_l0', 'f')]
"""

from __future__ import annotations

from ._binding import Layout, effective_weight, layout_of
from ._blocks import GateBlock, ParamRef, gates, parameters_of
from ._declaration import FAMILIES, GATES, KEEP_GATE, KINDS, Declaration, keep_gate_of
from ._registry import register_layout, require_module, unregister_layout
from ._selection import find_recurrent, is_recurrent, user_name
from ._undeclared import (
    UndeclaredModuleWarning,
    looks_recurrent,
    undeclared_recurrent,
    warn_undeclared,
)

__all__ = [
    "FAMILIES",
    "GATES",
    "KEEP_GATE",
    "KINDS",
    "Declaration",
    "GateBlock",
    "Layout",
    "ParamRef",
    "UndeclaredModuleWarning",
    "effective_weight",
    "find_recurrent",
    "gates",
    "is_recurrent",
    "keep_gate_of",
    "layout_of",
    "looks_recurrent",
    "parameters_of",
    "register_layout",
    "require_module",
    "undeclared_recurrent",
    "unregister_layout",
    "user_name",
    "warn_undeclared",
]
