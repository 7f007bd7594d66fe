"""The gate blocks of a module: :func:`gates`, :class:`GateBlock`, :func:`parameters_of`.

The equations and the row order: :mod:`rnninit.layouts`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ._binding import Layout, layout_from, slots_of
from ._registry import declaration_of
from ._selection import find_recurrent

__all__ = ["GateBlock", "ParamRef", "gates", "parameters_of"]


@dataclass(frozen=True, eq=False)
class ParamRef:
    """One weight of a recurrent module, with its role.

    ``name`` is the qualified name in the root module (``"encoder.lstm.weight_hh_l1_reverse"``),
    ``local_name`` the name inside the recurrent module, ``kind`` its matrix kind.
    ``parametrization`` is ``None`` for a plain Parameter (``param`` is the Parameter), or
    ``"parametrize"`` (``torch.nn.utils.parametrize``, e.g. ``parametrizations.weight_norm``)
    or ``"weight_norm"`` (the legacy ``torch.nn.utils.weight_norm`` hook): then ``param`` is a
    detached snapshot of the *effective* weight, not a Parameter. A column-stacked weight
    (``stacking="columns"``, stored ``(in, G*H)``) is given as its transposed view, so that
    ``param`` is always ``(G*H, in)`` and writing into ``param[rows]`` writes the columns.

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
    columns: bool = False
    """The Parameter stacks its gates by columns (``(in, G*H)``, e.g. haste's kernels):
    :attr:`param` is then its transposed view and the block is columns ``rows`` of the
    Parameter itself."""

    @property
    def tensor(self) -> torch.Tensor:
        """A view of the block's rows in the live Parameter (no copy)."""
        return self.param[self.rows]

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the block."""
        return tuple(self.tensor.shape)

    def __repr__(self) -> str:
        where = f"{':, ' if self.columns and self.param.dim() == 2 else ''}"
        return (
            f"GateBlock({self.param_name}[{where}{self.rows.start}:{self.rows.stop}], "
            f"layer={self.layer},"
            f" direction={self.direction}, kind={self.kind!r}, gate={self.gate!r},"
            f" shape={self.shape}{'' if self.live else ', live=False'})"
        )


def _qualify(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def parameters_of(
    module: nn.Module, module_name: str = "", *, parametrized: bool = False
) -> list[ParamRef]:
    """The weights of one recurrent module with their roles, by layer, direction and kind.

    The order is layer, direction, then kind (``input``, ``recurrent``, ``bias_ih``,
    ``bias_hh``, ``projection``): for PyTorch's modules the order of ``module.parameters()``,
    which is the order PyTorch's ``reset_parameters()`` draws them in. A parameter the
    declaration does not name (a subclass's extra, weight_norm's ``g`` / ``v``) is not listed.
    With ``parametrized=True`` the weights under a parametrization
    (``torch.nn.utils.parametrize``) or a legacy weight-norm hook are included, as snapshots of
    their effective value (see :class:`ParamRef`). Weights kept as buffers give the layout its
    sizes but are never listed (nothing writes them). A column-stacked weight is listed as its
    transposed view, ``(G*H, in)``, so that every block is ``(H, in)`` as in PyTorch.

    >>> from torch.nn.utils.parametrizations import weight_norm
    >>> lstm = weight_norm(nn.LSTM(2, 3), "weight_hh_l0")
    >>> [r.local_name for r in parameters_of(lstm)]
    ['weight_ih_l0', 'bias_ih_l0', 'bias_hh_l0']
    >>> [(r.local_name, r.parametrization) for r in parameters_of(lstm, parametrized=True)][:2]
    [('weight_ih_l0', None), ('weight_hh_l0', 'parametrize')]
    """
    decl = declaration_of(module)
    slots = slots_of(module, decl)
    layout = layout_from(module, decl, slots)
    col = layout.stacking == "columns"
    return [
        ParamRef(
            name=_qualify(module_name, s.name),
            local_name=s.name,
            module_name=module_name,
            module=module,
            layout=layout,
            layer=s.layer,
            direction=s.direction,
            kind=s.kind,
            param=s.tensor.t() if col and s.tensor.dim() == 2 else s.tensor,
            parametrization=s.how,
        )
        for s in slots
        if s.how is None or (parametrized and s.how != "buffer")
    ]


def _blocks_of(ref: ParamRef) -> Iterator[GateBlock]:
    layout = ref.layout
    if ref.kind == "projection":  # weight_hr has no gates: one block, the whole matrix
        parts: list[tuple[str | None, slice]] = [(None, slice(0, ref.param.shape[0]))]
    else:
        parts = [(g, layout.gate_slice(g)) for g in layout.gates]
    for gate, rows in parts:
        yield GateBlock(
            ref.name, ref.module_name, layout.family, ref.layer, ref.direction, ref.kind,
            gate, rows, ref.param, ref.parametrization is None,
            layout.stacking == "columns",
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
