"""Plan a recipe on one recurrent layer: which initializer fills which rows, nothing drawn yet.

The plan is the second step of :func:`rnninit.init_` (recipe -> **plan** -> validated, atomic
write). For one recurrent module and one :class:`~rnninit.schemes.Recipe` it lists

* one :class:`Op` per (parameter, gate block), or per whole parameter for the kinds the recipe
  draws over the stacked ``(G*H, ...)`` matrix (``whole``), in the order of
  ``module.parameters()`` (PyTorch's own draw order), later ops overwriting earlier rows; and
* one :class:`Derived` per ``tied`` gate bias (chrono's ``b_i = -b_f``), written after every
  draw.

Precedence: ``gates`` > ``layers`` > the recipe-level kind. The effective ``bias`` of a gate
(``b_ih + b_hh``) is written into ``b_ih`` with the matching ``b_hh`` rows zeroed; GRU's
``b_hn`` sits inside ``r * (W_hn h + b_hn)`` and takes ``bias_hn`` (zero by default once an
effective bias is set). Gate rows and the equations: :mod:`rnninit.layouts`.

>>> import torch
>>> from rnninit.schemes import recipe
>>> p = plan_module("", torch.nn.GRU(2, 3), recipe("keras"))  # Keras: whole input, recurrent
>>> [op.where for op in p.ops][:3]
['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0[gate r]']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import torch
from torch import nn

from ..initializers._registry import Init
from ..layouts import Layout, ParamRef, layout_of, parameters_of
from ._overrides import RAW_BIAS_KINDS
from ._recipes import Recipe

__all__ = ["Derived", "ModulePlan", "Op", "plan_module", "target"]

_ZERO = Init("zeros")


@dataclass(frozen=True)
class Op:
    """Fill ``rows`` of ``ref`` (``None``: the whole parameter) with the initializer ``spec``.

    >>> import torch
    >>> ref = parameters_of(torch.nn.RNN(2, 3))[0]
    >>> Op(ref, slice(0, 3), Init("zeros"), "weight_ih_l0[gate h]").shape()
    (3, 2)
    """

    ref: ParamRef
    rows: slice | None
    spec: Init
    where: str

    def shape(self) -> tuple[int, ...]:
        """The shape of the target rows."""
        full = tuple(self.ref.param.shape)
        if self.rows is None:
            return full
        return (self.rows.stop - self.rows.start, *full[1:])


@dataclass(frozen=True)
class Derived:
    """A ``Recipe.tied`` entry on one layer: ``b_ih[gate] = sign * (b_ih[source] +
    b_hh[source])`` and ``b_hh[gate] = 0`` (chrono's ``b_i = -b_f``), after every draw.

    >>> import torch
    >>> refs = parameters_of(torch.nn.LSTMCell(2, 3))
    >>> Derived(refs[2], refs[3], "i", "f", -1.0, "bias_ih[gate i]").source
    'f'
    """

    ih: ParamRef
    hh: ParamRef | None
    gate: str
    source: str
    sign: float
    where: str


@dataclass(frozen=True, eq=False)
class ModulePlan:
    """Everything :func:`rnninit.init_` writes into one recurrent module.

    ``refs`` are the module's weights (a parametrized weight as a snapshot of its effective
    value, see :class:`~rnninit.layouts.ParamRef`); ``ops`` and ``derived`` as above.

    >>> import torch
    >>> from rnninit.schemes import recipe
    >>> p = plan_module("rnn", torch.nn.RNN(2, 3), recipe("keep", bias=0.0))
    >>> [op.where for op in p.ops], p.written()[0].name
    (['rnn.bias_ih_l0[gate h]', 'rnn.bias_hh_l0[gate h]'], 'rnn.bias_ih_l0')
    """

    name: str
    module: nn.Module
    layout: Layout
    refs: tuple[ParamRef, ...]
    ops: tuple[Op, ...]
    derived: tuple[Derived, ...]

    def written(self) -> list[ParamRef]:
        """The weights the plan writes, once each, in plan order."""
        refs = [op.ref for op in self.ops]
        refs += [r for d in self.derived for r in (d.ih, d.hh) if r is not None]
        return list({id(ref): ref for ref in refs}.values())


def _gate_spec(r: Recipe, gate: str, kind: str) -> Init | None:
    return r.gates.get(gate, {}).get(kind)


def _snapshots(module: nn.Module, name: str) -> tuple[ParamRef, ...]:
    """The module's weights; a parametrized one is drawn into a copy of its effective value
    (written back through the parametrization)."""
    return tuple(
        ref if ref.parametrization is None else replace(ref, param=ref.param.clone())
        for ref in parameters_of(module, name, parametrized=True)
    )


class _Planner:
    """Collects the ops of one module (one method per matrix kind)."""

    def __init__(self, r: Recipe, layout: Layout, refs: tuple[ParamRef, ...]) -> None:
        self.r, self.layout = r, layout
        self.by_key = {(ref.layer, ref.direction, ref.kind): ref for ref in refs}
        self.ops: list[Op] = []
        self.derived: list[Derived] = []

    def block(self, ref: ParamRef, gate: str, spec: Init) -> None:
        self.ops.append(Op(ref, self.layout.gate_slice(gate), spec, f"{ref.name}[gate {gate}]"))

    def whole(self, ref: ParamRef, spec: Init) -> None:
        self.ops.append(Op(ref, None, spec, ref.name))

    def weight(self, ref: ParamRef, base: Init | None, whole_here: bool) -> None:
        """``input`` / ``recurrent``: per gate, a ``gates`` entry, else the layer's kind."""
        for g in self.layout.gates:
            spec = _gate_spec(self.r, g, ref.kind)
            if spec is not None:
                self.block(ref, g, spec)
            elif base is not None and not whole_here:
                self.block(ref, g, base)

    def bias(self, ref: ParamRef, base: Init | None, whole_here: bool) -> None:
        """``bias_ih`` / ``bias_hh``: the effective bias, ties, GRU's ``b_hn``, raw biases."""
        r, lay, kind = self.r, self.layout, ref.kind
        for g in lay.gates:
            tie = r.tie(g, "bias")
            eff = _gate_spec(r, g, "bias") or r.at("bias", ref.layer)
            gru_n = lay.family == "GRU" and g == "n"
            if tie is not None and kind == "bias_ih":
                hh = self.by_key.get((ref.layer, ref.direction, "bias_hh"))
                self.derived.append(Derived(ref, hh, g, tie[0], tie[1], f"{ref.name}[gate {g}]"))
            elif eff is not None:
                if kind == "bias_ih":
                    self.block(ref, g, eff)
                elif not gru_n:
                    self.block(ref, g, _ZERO)
            elif base is not None and not whole_here:
                self.block(ref, g, base)
            if kind == "bias_hh" and gru_n:
                hn = _gate_spec(r, g, "bias_hn") or r.at("bias_hn", ref.layer)
                if hn is None and eff is not None:
                    hn = _ZERO
                if hn is not None:
                    self.block(ref, g, hn)
            raw = _gate_spec(r, g, kind)
            if raw is not None:
                self.block(ref, g, raw)

    def add(self, ref: ParamRef) -> None:
        r = self.r
        if ref.kind == "projection":
            proj = r.at("projection", ref.layer)
            if proj is not None:
                self.whole(ref, proj)
            return
        base = r.at(ref.kind, ref.layer)
        # recipe-level kinds listed in `whole` are drawn over the stacked matrix; a per-layer
        # override is applied per gate block, like every other override
        whole_here = ref.kind in r.whole and ref.kind not in r.layers.get(ref.layer, {})
        if base is not None and whole_here:
            self.whole(ref, base)
        if ref.kind in RAW_BIAS_KINDS:
            self.bias(ref, base, whole_here)
        else:
            self.weight(ref, base, whole_here)


def plan_module(name: str, module: nn.Module, r: Recipe) -> ModulePlan:
    """The :class:`ModulePlan` of recipe ``r`` on the recurrent ``module`` named ``name``."""
    layout = layout_of(module)
    refs = _snapshots(module, name)
    planner = _Planner(r, layout, refs)
    for ref in refs:
        planner.add(ref)
    return ModulePlan(name, module, layout, refs, tuple(planner.ops), tuple(planner.derived))


def target(op: Op, staged: Mapping[int, torch.Tensor]) -> torch.Tensor:
    """The rows of ``op`` in the staged copy of its weight, keyed by ``id(ref.param)`` (see
    :mod:`rnninit.schemes`).

    >>> import torch
    >>> ref = parameters_of(torch.nn.RNN(2, 3))[2]
    >>> target(Op(ref, None, Init("zeros"), "b"), {id(ref.param): torch.ones(3)}).tolist()
    [1.0, 1.0, 1.0]
    """
    t = staged[id(op.ref.param)]
    return t if op.rows is None else t[op.rows]
