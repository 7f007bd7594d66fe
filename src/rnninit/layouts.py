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

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.weight_norm import WeightNorm

from .declaration import FAMILIES, GATES, KEEP_GATE, KINDS, Declaration
from .errors import LayoutError
from .layout_registry import declaration_of, register_layout, unregister_layout
from .selection import find_recurrent, is_recurrent, user_name

__all__ = [
    "FAMILIES",
    "GATES",
    "KEEP_GATE",
    "KINDS",
    "Declaration",
    "GateBlock",
    "Layout",
    "ParamRef",
    "effective_weight",
    "find_recurrent",
    "gates",
    "is_recurrent",
    "layout_of",
    "parameters_of",
    "register_layout",
    "unregister_layout",
    "user_name",
]

_FROM_FAMILY = "family"


@dataclass(frozen=True)
class Layout:
    """The structure of one recurrent module: family, gates and sizes, read from its parameters
    through its :class:`~rnninit.declaration.Declaration`.

    ``family`` is ``"LSTM"``, ``"GRU"`` or ``"RNN"``; ``nonlinearity`` is ``"tanh"`` or ``"relu"``
    for RNNs and ``None`` otherwise. ``is_cell``: called one step at a time (``cell(x, hx)``).
    Cells have ``num_layers == num_directions == 1``. ``gates`` (default: the family's gates in
    PyTorch's order), ``keep`` (default: the family's keep gate) and ``stacking`` (``"rows"`` or
    ``"columns"``) come from the declaration.

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
    gates: tuple[str, ...] = ()
    keep: str | None = _FROM_FAMILY
    stacking: str = "rows"

    def __post_init__(self) -> None:
        if not self.gates:
            object.__setattr__(self, "gates", GATES[self.family])
        if self.keep == _FROM_FAMILY:
            keep = KEEP_GATE.get(self.family)
            object.__setattr__(self, "keep", keep if keep in self.gates else None)

    @property
    def gate_names(self) -> tuple[str, ...]:
        """Gate names in stacking order (PyTorch: ``i, f, g, o`` / ``r, z, n`` / ``h``)."""
        return self.gates

    @property
    def num_gates(self) -> int:
        """``G``: the number of stacked blocks."""
        return len(self.gate_names)

    @property
    def hidden_out(self) -> int:
        """``H_out = proj_size`` when set, else ``hidden_size``: the width of ``h``."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    @property
    def keep_gate(self) -> str | None:
        """The gate whose bias sets the memory timescale (``f`` or ``z``), or ``None``."""
        return self.keep

    def gate_slice(self, gate: str) -> slice:
        """Slice of ``gate`` along the gate axis of a stacked ``(G*H, ...)`` matrix (the rows of
        :attr:`ParamRef.param`, which is a transposed view for column-stacked weights) or bias.

        >>> layout_of(nn.GRU(3, 5)).gate_slice("n")
        slice(10, 15, None)
        """
        k = self.gate_names.index(gate)
        return slice(k * self.hidden_size, (k + 1) * self.hidden_size)


def _get(module: nn.Module, name: str) -> torch.Tensor:
    owner, _, attr = name.rpartition(".")
    value = getattr(module.get_submodule(owner) if owner else module, attr)
    assert isinstance(value, torch.Tensor)
    return value


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str, directions: tuple[str, ...]) -> re.Pattern[str]:
    dirs = "|".join(re.escape(d) for d in sorted(directions, key=len, reverse=True))
    out = ""
    for part in re.split(r"(\{layer\}|\{direction\})", pattern):
        if part == "{layer}":
            out += r"(?P<layer>\d+)"
        elif part == "{direction}":
            out += f"(?P<direction>{dirs})"
        else:
            out += re.escape(part)
    return re.compile(out)


def _regex(decl: Declaration, pattern: str) -> re.Pattern[str]:
    return _compiled(pattern, decl.directions)


@dataclass(frozen=True)
class _Slot:
    """One declared parameter found in a module: its kind, layer, direction and tensor."""

    name: str
    kind: str
    layer: int
    direction: int
    tensor: torch.Tensor
    how: str | None  # None, "parametrize", "weight_norm" or "buffer" (read, never written)


def _candidates(module: nn.Module) -> dict[str, tuple[torch.Tensor, str | None]]:
    found: dict[str, tuple[torch.Tensor, str | None]] = {}
    for local, b in module.named_buffers():  # weights kept as buffers (frozen, for export)
        found[local] = (b, "buffer")
    for local, p in module.named_parameters():
        found[local] = (p, None)
    if parametrize.is_parametrized(module):
        for local in module.parametrizations:  # type: ignore[union-attr]
            found[str(local)] = (effective_weight(module, str(local)), "parametrize")
    for local in legacy_weight_norm(module):
        found[local] = (effective_weight(module, local), "weight_norm")
    return found


def _slots(module: nn.Module, decl: Declaration) -> list[_Slot]:
    """Every declared parameter of ``module``, in (layer, direction, kind) order."""
    patterns = [(kind, _regex(decl, pat)) for kind, pat in decl.names.items()]
    slots: list[_Slot] = []
    for local, (tensor, how) in _candidates(module).items():
        for kind, rx in patterns:
            m = rx.fullmatch(local)
            if m is None:
                continue
            groups = m.groupdict()
            layer = int(groups.get("layer") or 0)
            direction = decl.directions.index(groups.get("direction") or decl.directions[0])
            slots.append(_Slot(local, kind, layer, direction, tensor, how))
            break
    slots.sort(key=lambda s: (s.layer, s.direction, KINDS.index(s.kind)))
    return slots


def _fail(module: nn.Module, decl: Declaration, what: str) -> LayoutError:
    params = ", ".join(f"{n} {tuple(p.shape)}" for n, (p, _) in _candidates(module).items())
    return LayoutError(
        f"the layout declared for {type(module).__name__} ({decl.family}, gates "
        f"{''.join(decl.gates)}, {decl.stacking}) does not fit it: {what}. Its parameters: "
        f"{params or 'none'}"
    )


def _check_slots(module: nn.Module, decl: Declaration, slots: list[_Slot]) -> Layout:
    """Check every declared parameter against the module; return the layout it implies."""
    by_key = {(s.layer, s.direction, s.kind): s for s in slots}
    layers = sorted({s.layer for s in slots if s.kind == "input"})
    dirs = sorted({s.direction for s in slots if s.kind == "input"})
    if not layers:
        raise _fail(module, decl, f"input={decl.input!r} matches no parameter")
    if layers != list(range(len(layers))):
        raise _fail(module, decl, f"the layers of input={decl.input!r} are {layers}, not 0..L-1")
    if dirs != list(range(len(dirs))):
        raise _fail(module, decl, f"the input weight has no forward direction {dirs}")
    col = decl.stacking == "columns"
    g = len(decl.gates)
    first = by_key[(0, 0, "input")].tensor
    if first.dim() != 2 or first.shape[1 if col else 0] % g:
        axis = "columns" if col else "rows"
        raise _fail(
            module, decl,
            f"{decl.input!r} has shape {tuple(first.shape)}: its {axis} must be a multiple of "
            f"the {g} gates",
        )  # fmt: skip
    hidden = first.shape[1 if col else 0] // g
    input_size = first.shape[0 if col else 1]
    proj = by_key.get((0, 0, "projection"))
    proj_size = 0 if proj is None else proj.tensor.shape[1 if col else 0]
    h_out = proj_size or hidden
    stacked = (g * hidden,)

    def shape(kind: str, other: int) -> tuple[int, ...]:
        if kind in ("bias_ih", "bias_hh"):
            return stacked
        if kind == "projection":
            return (hidden, proj_size) if col else (proj_size, hidden)
        return (other, g * hidden) if col else (g * hidden, other)

    has_bias = False
    for layer in layers:
        for d in dirs:
            for kind in decl.names:
                slot = by_key.get((layer, d, kind))
                if slot is None:
                    attr = decl.switches.get(kind)
                    if attr is not None and not getattr(module, attr, True):
                        continue
                    pattern = decl.names[kind]
                    where = f" (layer {layer}, direction {d})" if decl.per_layer else ""
                    raise _fail(module, decl, f"{kind}={pattern!r}{where} is missing")
                if slot.how in ("parametrize", "weight_norm") and col:
                    raise _fail(
                        module, decl,
                        f"{slot.name} is parametrized; column-stacked weights must be plain "
                        "Parameters",
                    )  # fmt: skip
                width = slot.tensor.shape[0 if col else 1] if slot.tensor.dim() == 2 else 0
                other = {"input": width if layer else input_size, "recurrent": h_out}.get(kind, 0)
                want = shape(kind, other)
                if tuple(slot.tensor.shape) != want:
                    raise _fail(
                        module, decl,
                        f"{slot.name} has shape {tuple(slot.tensor.shape)}, expected {want} "
                        f"(H = {hidden} from {decl.input!r}, {g} gates)",
                    )  # fmt: skip
                has_bias = has_bias or (kind in ("bias_ih", "bias_hh") and slot.how != "buffer")
    return Layout(
        family=decl.family,
        nonlinearity=decl.nonlinearity,
        is_cell=decl.step == "cell",
        input_size=int(input_size),
        hidden_size=int(hidden),
        proj_size=int(proj_size),
        num_layers=len(layers),
        num_directions=len(dirs),
        bias=has_bias,
        batch_first=decl.step == "sequence" and bool(getattr(module, "batch_first", False)),
        gates=tuple(decl.gates),
        keep=decl.keep_gate,
        stacking=decl.stacking,
    )


def layout_of(module: nn.Module) -> Layout:
    """Return the :class:`Layout` of a recurrent module, read through its declaration.

    Raises:
        UnsupportedModuleError: not a module, or a module without a declared layout.
        LayoutError: the declaration does not fit the module (a parameter missing, a shape
            that is not a multiple of the gate count or does not match the others, ...).

    >>> layout_of(nn.RNN(2, 3, nonlinearity="relu")).nonlinearity
    'relu'
    """
    decl = declaration_of(module)
    return _check_slots(module, decl, _slots(module, decl))


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
        value = hook.compute_weight(module) if hook is not None else _get(module, local_name)
        assert isinstance(value, torch.Tensor)
        return value.detach()


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
    slots = _slots(module, decl)
    layout = _check_slots(module, decl, slots)
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
