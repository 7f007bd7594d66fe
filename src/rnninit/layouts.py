"""Gate names, order and row slices of every PyTorch recurrent layer: THE equations.

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

:func:`gates` lists every gate block with a view into its Parameter.

>>> lstm = nn.LSTM(3, 4)
>>> layout_of(lstm).gate_slice("f")  # the forget gate's rows
slice(4, 8, None)
>>> [(b.param_name, b.gate) for b in gates(lstm)][4:6]
[('weight_hh_l0', 'i'), ('weight_hh_l0', 'f')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.weight_norm import WeightNorm

from .selection import find_recurrent, is_recurrent, user_name

__all__ = [
    "GATES",
    "KEEP_GATE",
    "MATRIX_KINDS",
    "GateBlock",
    "Layout",
    "ParamRef",
    "effective_weight",
    "find_recurrent",
    "gates",
    "is_recurrent",
    "layout_of",
    "parameters_of",
    "user_name",
]

MatrixKind = Literal["input", "recurrent", "projection", "bias_ih", "bias_hh"]

#: The matrix kinds of a recurrent layer, in PyTorch's registration order.
MATRIX_KINDS: tuple[str, ...] = ("input", "recurrent", "bias_ih", "bias_hh", "projection")

#: Gate names per family, in PyTorch's row-block order.
GATES: dict[str, tuple[str, ...]] = {
    "LSTM": ("i", "f", "g", "o"),
    "GRU": ("r", "z", "n"),
    "RNN": ("h",),
}

#: The gate whose bias sets the memory timescale: LSTM forget gate, GRU update (keep) gate.
KEEP_GATE: dict[str, str] = {"LSTM": "f", "GRU": "z"}

_PREFIX_KIND: dict[str, MatrixKind] = {
    "weight_ih": "input",
    "weight_hh": "recurrent",
    "weight_hr": "projection",
    "bias_ih": "bias_ih",
    "bias_hh": "bias_hh",
}
_CELL_ORDER = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_LAYER_RE = re.compile(r"^(weight_ih|weight_hh|weight_hr|bias_ih|bias_hh)(?:_l(\d+))?(_reverse)?$")


@dataclass(frozen=True)
class Layout:
    """The structure of one recurrent module: family, gates and sizes.

    ``family`` is ``"LSTM"``, ``"GRU"`` or ``"RNN"``; ``nonlinearity`` is ``"tanh"`` or ``"relu"``
    for RNNs and ``None`` otherwise. Cells have ``num_layers == num_directions == 1``.

    >>> lay = layout_of(nn.LSTM(3, 8, num_layers=2, proj_size=4))
    >>> lay.family, lay.gate_names, lay.hidden_out, lay.keep_gate
    ('LSTM', ('i', 'f', 'g', 'o'), 4, 'f')
    """

    family: str
    nonlinearity: str | None
    is_cell: bool
    input_size: int
    hidden_size: int
    proj_size: int
    num_layers: int
    num_directions: int
    bias: bool
    batch_first: bool

    @property
    def gate_names(self) -> tuple[str, ...]:
        """Gate names in row-block order (``i, f, g, o`` / ``r, z, n`` / ``h``)."""
        return GATES[self.family]

    @property
    def num_gates(self) -> int:
        """``G``: the number of stacked row blocks."""
        return len(self.gate_names)

    @property
    def hidden_out(self) -> int:
        """``H_out = proj_size`` when set, else ``hidden_size``: the width of ``h``."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    @property
    def keep_gate(self) -> str | None:
        """The gate whose bias sets the memory timescale (``f`` or ``z``), or ``None``."""
        return KEEP_GATE.get(self.family)

    def gate_slice(self, gate: str) -> slice:
        """Row slice of ``gate`` in a stacked ``(G*H, ...)`` matrix or ``(G*H,)`` bias.

        >>> layout_of(nn.GRU(3, 5)).gate_slice("n")
        slice(10, 15, None)
        """
        k = self.gate_names.index(gate)
        return slice(k * self.hidden_size, (k + 1) * self.hidden_size)


def layout_of(module: nn.Module) -> Layout:
    """Return the :class:`Layout` of a recurrent module; ``TypeError`` for anything else.

    >>> layout_of(nn.RNN(2, 3, nonlinearity="relu")).nonlinearity
    'relu'
    """
    if isinstance(module, nn.RNNBase):
        mode = module.mode
        family = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode)
        if family is None:
            raise TypeError(f"unsupported RNN mode {mode!r} in {type(module).__name__}")
        nonlin = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}.get(mode)
        return Layout(
            family=family,
            nonlinearity=nonlin,
            is_cell=False,
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            proj_size=int(getattr(module, "proj_size", 0)),
            num_layers=module.num_layers,
            num_directions=2 if module.bidirectional else 1,
            bias=bool(module.bias),
            batch_first=bool(module.batch_first),
        )
    if isinstance(module, nn.RNNCellBase):
        if isinstance(module, nn.LSTMCell):
            family, nonlin = "LSTM", None
        elif isinstance(module, nn.GRUCell):
            family, nonlin = "GRU", None
        elif isinstance(module, nn.RNNCell):
            family, nonlin = "RNN", str(module.nonlinearity)
        else:
            raise TypeError(f"unsupported recurrent cell type {type(module).__name__}")
        return Layout(
            family=family,
            nonlinearity=nonlin,
            is_cell=True,
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            proj_size=0,
            num_layers=1,
            num_directions=1,
            bias=bool(module.bias),
            batch_first=False,
        )
    raise TypeError(
        f"expected nn.RNN, nn.LSTM, nn.GRU or a Cell class, got {type(module).__name__}"
    )


@dataclass(frozen=True, eq=False)
class ParamRef:
    """One weight of a recurrent module, with its role.

    ``name`` is the qualified name in the root module (``"encoder.lstm.weight_hh_l1_reverse"``),
    ``local_name`` the name inside the recurrent module, ``kind`` its matrix kind.
    ``parametrization`` is ``None`` for a plain Parameter (``param`` is the Parameter), or
    ``"parametrize"`` (``torch.nn.utils.parametrize``, e.g. ``parametrizations.weight_norm``)
    or ``"weight_norm"`` (the legacy ``torch.nn.utils.weight_norm`` hook): then ``param`` is a
    detached snapshot of the *effective* weight, not a Parameter.

    >>> [r.local_name for r in parameters_of(nn.GRU(2, 3))]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    name: str
    local_name: str
    module_name: str
    module: nn.Module
    layout: Layout
    layer: int
    direction: int
    kind: str
    param: torch.Tensor
    parametrization: str | None = None


@dataclass(frozen=True, eq=False)
class GateBlock:
    """One gate block of one Parameter: a row slice, with a live view into the Parameter.

    ``gate`` is ``None`` for the projection matrix ``weight_hr`` (it has no gates).
    Writing into :attr:`tensor` (under ``torch.no_grad()``) writes into the module when
    ``live`` is True. A parametrized weight (``torch.nn.utils.parametrize``, legacy
    ``weight_norm``) is listed with ``live=False``: :attr:`param` is a snapshot of its
    effective value at the time of :func:`gates` (to change it, use :func:`rnninit.init_`,
    which writes through the parametrization).

    >>> b = gates(nn.LSTM(2, 3))[5]
    >>> b.param_name, b.kind, b.gate, b.rows, b.live
    ('weight_hh_l0', 'recurrent', 'f', slice(3, 6, None), True)
    """

    param_name: str
    module_name: str
    family: str
    layer: int
    direction: int
    kind: str
    gate: str | None
    rows: slice
    param: torch.Tensor
    live: bool = True

    @property
    def tensor(self) -> torch.Tensor:
        """A view of the block's rows in the live Parameter (no copy)."""
        return self.param[self.rows]

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the block."""
        return tuple(self.tensor.shape)

    def __repr__(self) -> str:
        return (
            f"GateBlock({self.param_name}[{self.rows.start}:{self.rows.stop}], layer={self.layer},"
            f" direction={self.direction}, kind={self.kind!r}, gate={self.gate!r},"
            f" shape={self.shape}{'' if self.live else ', live=False'})"
        )


def _qualify(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def legacy_weight_norm(module: nn.Module) -> dict[str, WeightNorm]:
    """The legacy ``torch.nn.utils.weight_norm`` hooks of ``module``, by weight name."""
    return {h.name: h for h in module._forward_pre_hooks.values() if isinstance(h, WeightNorm)}


def effective_weight(module: nn.Module, local_name: str) -> torch.Tensor:
    """The weight ``module`` computes with, detached: the parametrization's output for a
    parametrized weight, the legacy weight-norm ``g * v / ||v||``, else the Parameter.

    >>> lstm = nn.LSTM(2, 3)
    >>> torch.equal(effective_weight(lstm, "weight_hh_l0"), lstm.weight_hh_l0)
    True
    """
    with torch.no_grad():
        hook = legacy_weight_norm(module).get(local_name)
        value = hook.compute_weight(module) if hook is not None else getattr(module, local_name)
        assert isinstance(value, torch.Tensor)
        return value.detach()


def parameters_of(
    module: nn.Module, module_name: str = "", *, parametrized: bool = False
) -> list[ParamRef]:
    """The weights of one recurrent module with their roles, in registration order.

    Registration order is the order of ``module.parameters()``, which is the order PyTorch's
    ``reset_parameters()`` draws them in. With ``parametrized=True`` the weights under a
    parametrization (``torch.nn.utils.parametrize``) or a legacy weight-norm hook are included,
    in PyTorch's weight order, as snapshots of their effective value (see :class:`ParamRef`).

    >>> from torch.nn.utils.parametrizations import weight_norm
    >>> lstm = weight_norm(nn.LSTM(2, 3), "weight_hh_l0")
    >>> [r.local_name for r in parameters_of(lstm)]
    ['weight_ih_l0', 'bias_ih_l0', 'bias_hh_l0']
    >>> [(r.local_name, r.parametrization) for r in parameters_of(lstm, parametrized=True)][:2]
    [('weight_ih_l0', None), ('weight_hh_l0', 'parametrize')]
    """
    layout = layout_of(module)
    found: dict[str, tuple[torch.Tensor, str | None]] = {
        local: (p, None) for local, p in module.named_parameters(recurse=False)
    }
    if parametrized:
        if parametrize.is_parametrized(module):
            for local in module.parametrizations:  # type: ignore[union-attr]
                found[str(local)] = (effective_weight(module, str(local)), "parametrize")
        for local in legacy_weight_norm(module):
            found[local] = (effective_weight(module, local), "weight_norm")
        order = list(getattr(module, "_flat_weights_names", None) or _CELL_ORDER)
        found = dict(
            sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1)
        )
    refs: list[ParamRef] = []
    for local, (p, how) in found.items():
        m = _LAYER_RE.match(local)
        if m is None:
            continue  # a parameter a subclass added (or weight_norm's g / v): not ours to touch
        refs.append(
            ParamRef(
                name=_qualify(module_name, local),
                local_name=local,
                module_name=module_name,
                module=module,
                layout=layout,
                layer=int(m.group(2) or 0),
                direction=1 if m.group(3) else 0,
                kind=_PREFIX_KIND[m.group(1)],
                param=p,
                parametrization=how,
            )
        )
    return refs


def _blocks_of(ref: ParamRef) -> Iterator[GateBlock]:
    layout = ref.layout
    if ref.kind == "projection":  # weight_hr has no gates: one block, the whole matrix
        parts: list[tuple[str | None, slice]] = [(None, slice(0, ref.param.shape[0]))]
    else:
        parts = [(g, layout.gate_slice(g)) for g in layout.gate_names]
    for gate, rows in parts:
        yield GateBlock(
            ref.name, ref.module_name, layout.family, ref.layer, ref.direction, ref.kind,
            gate, rows, ref.param, ref.parametrization is None,
        )  # fmt: skip


def gates(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> list[GateBlock]:
    """List every gate block of every recurrent layer in ``module``.

    One :class:`GateBlock` per (parameter, gate): e.g. an ``nn.LSTM(num_layers=2,
    bidirectional=True)`` gives ``2 * 2 * 4 * 4 = 64`` blocks. Each carries the qualified
    parameter name, layer, direction (0 forward, 1 reverse), matrix kind (``input``,
    ``recurrent``, ``projection``, ``bias_ih``, ``bias_hh``), gate name and a live view.

    >>> blocks = gates(nn.LSTM(3, 4, num_layers=2, bidirectional=True))
    >>> len(blocks), blocks[-1].param_name, blocks[-1].gate
    (64, 'bias_hh_l1_reverse', 'o')
    """
    blocks: list[GateBlock] = []
    for name, sub in find_recurrent(module, include, exclude):
        for ref in parameters_of(sub, name, parametrized=True):
            blocks.extend(_blocks_of(ref))
    return blocks
