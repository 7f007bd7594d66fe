"""Binding a :class:`~rnninit.layouts.Declaration` to a module: its slots and its Layout.

A declaration names a module's parameters by patterns (``weight_ih_l{layer}{direction}``);
binding matches them against what the module really holds (Parameters, parametrized weights
read through their parametrization, legacy weight-norm hooks, buffers), checks that the shapes
fit the declared gates, and returns the module's :class:`Layout`: family, gates, sizes,
stacking. :mod:`rnninit.layouts` builds the gate blocks on top of it and re-exports
:class:`Layout`, :func:`layout_of` and :func:`effective_weight`.

>>> layout_of(nn.GRU(2, 3, num_layers=2)).num_layers
2
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.weight_norm import WeightNorm

from ..errors import LayoutError
from ._declaration import (
    FAMILY_DEFAULT,
    GATES,
    KINDS,
    RAW_BIAS_KINDS,
    Declaration,
    keep_gate_of,
)
from ._registry import declaration_of

__all__ = [
    "Layout",
    "effective_weight",
    "layout_from",
    "layout_of",
    "legacy_weight_norm",
    "slots_of",
]


@dataclass(frozen=True)
class Layout:
    """The structure of one recurrent module: family, gates and sizes, read from its parameters
    through its :class:`~rnninit.layouts.Declaration`.

    ``family`` is ``"LSTM"``, ``"GRU"`` or ``"RNN"``; ``nonlinearity`` is ``"tanh"`` or ``"relu"``
    for RNNs and ``None`` otherwise. ``is_cell``: called one step at a time (``cell(x, hx)``).
    Cells have ``num_layers == num_directions == 1``. ``gates`` (default: the family's gates in
    PyTorch's order), ``keep_gate`` (the gate whose bias sets the memory timescale, ``f`` or
    ``z``, or ``None``; default: the family's, by :func:`~rnninit.layouts.keep_gate_of`) and
    ``stacking`` (``"rows"`` or ``"columns"``) come from the declaration.

    >>> lay = layout_of(nn.LSTM(3, 8, num_layers=2, proj_size=4))
    >>> lay.family, lay.gates, lay.hidden_out, lay.keep_gate
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
    keep_gate: str | None = FAMILY_DEFAULT
    stacking: str = "rows"

    def __post_init__(self) -> None:
        if not self.gates:
            object.__setattr__(self, "gates", GATES[self.family])
        if self.keep_gate == FAMILY_DEFAULT:
            object.__setattr__(self, "keep_gate", keep_gate_of(self.family, self.gates))

    @property
    def num_gates(self) -> int:
        """``G``: the number of stacked blocks."""
        return len(self.gates)

    @property
    def hidden_out(self) -> int:
        """``H_out = proj_size`` when set, else ``hidden_size``: the width of ``h``."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def gate_slice(self, gate: str) -> slice:
        """Slice of ``gate`` along the gate axis of a stacked ``(G*H, ...)`` matrix (the rows of
        :attr:`ParamRef.param`, which is a transposed view for column-stacked weights) or bias.

        >>> layout_of(nn.GRU(3, 5)).gate_slice("n")
        slice(10, 15, None)
        """
        k = self.gates.index(gate)
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


@dataclass(frozen=True)
class Slot:
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


def slots_of(module: nn.Module, decl: Declaration) -> list[Slot]:
    """Every declared parameter of ``module``, in (layer, direction, kind) order."""
    patterns = [(kind, _compiled(pat, decl.directions)) for kind, pat in decl.names.items()]
    slots: list[Slot] = []
    for local, (tensor, how) in _candidates(module).items():
        for kind, rx in patterns:
            m = rx.fullmatch(local)
            if m is None:
                continue
            groups = m.groupdict()
            layer = int(groups.get("layer") or 0)
            direction = decl.directions.index(groups.get("direction") or decl.directions[0])
            slots.append(Slot(local, kind, layer, direction, tensor, how))
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


def layout_from(module: nn.Module, decl: Declaration, slots: list[Slot]) -> Layout:
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
        if kind in RAW_BIAS_KINDS:
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
                has_bias = has_bias or (kind in RAW_BIAS_KINDS and slot.how != "buffer")
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
        keep_gate=decl.keep_gate,
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
    return layout_from(module, decl, slots_of(module, decl))


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
