"""Apply a recipe to every recurrent layer of a module: validate everything, then write atomically.

:func:`init_` is the library's main entry point. It plans one operation per (parameter, gate
block) or per whole parameter, checks every operation against its target's shape before a single
value is written, then writes in place under ``torch.no_grad()`` into the existing Parameters
(never replacing them, so cuDNN's flat weight buffer stays valid), in the order of
``module.parameters()``. Should anything still fail while writing (a user callable raising, say),
every parameter is restored bit for bit.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from .errors import InitializerError, SchemeError
from .layouts import ParamRef, find_recurrent, layout_of, parameters_of
from .recipes import Recipe
from .registry import REQUIRED, Init, call_init
from .schemes import recipe

__all__ = ["SCHEME_ATTRIBUTE", "SchemeWarning", "init_"]

#: Attribute that :func:`init_` sets on each layer it initialized: the recipe's name.
SCHEME_ATTRIBUTE = "_rnninit_scheme"

M = TypeVar("M", bound=nn.Module)
_ZERO = Init("zeros")
_BIAS_KEYS = ("bias", "bias_hn", "bias_ih", "bias_hh")


class SchemeWarning(UserWarning):
    """A scheme applied to a layer type it was not designed for (e.g. ``irnn`` on an LSTM)."""


@dataclass(frozen=True)
class _Op:
    ref: ParamRef
    rows: slice | None  # None: the whole parameter
    spec: Init
    where: str

    def target(self) -> torch.Tensor:
        return self.ref.param if self.rows is None else self.ref.param[self.rows]

    def shape(self) -> tuple[int, ...]:
        full = tuple(self.ref.param.shape)
        if self.rows is None:
            return full
        return (self.rows.stop - self.rows.start, *full[1:])


@dataclass(frozen=True)
class _Derived:
    """``b_ih[gate] = -(b_ih[source] + b_hh[source])``, ``b_hh[gate] = 0`` (chrono's b_i)."""

    ih: ParamRef
    hh: ParamRef | None
    gate: str
    source: str
    where: str


def _gate_spec(r: Recipe, gate: str, kind: str) -> Init | None:
    return r.gates.get(gate, {}).get(kind)


def _plan_module(name: str, module: nn.Module, r: Recipe) -> tuple[list[_Op], list[_Derived]]:
    layout = layout_of(module)
    ops: list[_Op] = []
    derived: list[_Derived] = []
    refs = parameters_of(module, name)
    by_key = {(ref.layer, ref.direction, ref.kind): ref for ref in refs}

    def block(ref: ParamRef, gate: str, spec: Init) -> None:
        ops.append(_Op(ref, layout.gate_slice(gate), spec, f"{ref.name}[gate {gate}]"))

    for ref in refs:
        kind = ref.kind
        if kind == "projection":
            proj = r.at("projection", ref.layer)
            if proj is not None:
                ops.append(_Op(ref, None, proj, ref.name))
            continue
        raw_kind = kind if kind in ("bias_ih", "bias_hh") else None
        base = r.at(kind, ref.layer)
        # recipe-level kinds listed in `whole` are drawn over the stacked matrix; a per-layer
        # override is applied per gate block, like every other override
        whole_here = kind in r.whole and kind not in r.layers.get(ref.layer, {})
        if base is not None and whole_here:
            ops.append(_Op(ref, None, base, ref.name))
        for g in layout.gate_names:
            if raw_kind is None:  # input / recurrent
                spec = _gate_spec(r, g, kind)
                if spec is not None:
                    block(ref, g, spec)
                elif base is not None and not whole_here:
                    block(ref, g, base)
                continue
            eff = _gate_spec(r, g, "bias") or r.at("bias", ref.layer)
            if eff is not None:
                if raw_kind == "bias_ih":
                    if eff.name == "negative_of" and eff.fn is None:
                        hh = by_key.get((ref.layer, ref.direction, "bias_hh"))
                        derived.append(
                            _Derived(ref, hh, g, str(eff.kwargs["gate"]), f"{ref.name}[gate {g}]")
                        )
                    else:
                        block(ref, g, eff)
                elif not (layout.family == "GRU" and g == "n"):
                    block(ref, g, _ZERO)
            elif base is not None and not whole_here:
                block(ref, g, base)
            if raw_kind == "bias_hh" and layout.family == "GRU" and g == "n":
                hn = _gate_spec(r, g, "bias_hn") or r.at("bias_hn", ref.layer)
                if hn is None and eff is not None:
                    hn = _ZERO
                if hn is not None:
                    block(ref, g, hn)
            raw = _gate_spec(r, g, raw_kind)
            if raw is not None:
                block(ref, g, raw)
    return ops, derived


def _check_op(op: _Op) -> None:
    """Run the initializer on a meta tensor of the target's shape: every check the real call
    makes (shape, parameters) runs, nothing is drawn or written, the RNG is untouched."""
    spec, shape = op.spec, op.shape()
    reg = spec.registered
    if reg is None or spec.name == "negative_of":  # callables: guarded by the backup instead
        return
    kwargs = {k: v for k, v in reg.params.items() if v is not REQUIRED}
    kwargs.update(spec.kwargs)
    for key in reg.context:
        kwargs[key] = op.ref.layout.hidden_size
    try:
        reg.fn(torch.empty(shape, device="meta"), generator=None, **kwargs)
    except (InitializerError, ValueError, ZeroDivisionError) as exc:
        hint = ""
        if reg.needs_square:
            hint = (
                " (with proj_size the recurrent blocks are H x proj_size and weight_hr is "
                "proj_size x H: an identity cannot fit)"
                if op.ref.layout.proj_size
                else " (the input width differs from hidden_size)"
            ) + "; use include=/exclude= or a per-kind override such as input='xavier_uniform'"
        raise InitializerError(
            f"initializer {spec.name!r} on {op.where} (shape {shape}): {exc}{hint}"
        ) from None


def _check_derived(d: _Derived, module: nn.Module) -> None:
    gate_names = layout_of(module).gate_names
    if d.source not in gate_names or d.source == d.gate:
        raise InitializerError(
            f"'negative_of' on {d.where}: gate={d.source!r} must be another gate of this layer "
            f"({', '.join(g for g in gate_names if g != d.gate)})"
        )


def _token(module: nn.Module) -> tuple[str, str]:
    lay = layout_of(module)
    return lay.family, f"{lay.family}:{lay.nonlinearity}" if lay.nonlinearity else lay.family


def _check_device(modules: Sequence[tuple[str, nn.Module]]) -> None:
    for name, mod in modules:
        for pname, p in mod.named_parameters(recurse=False):
            if p.is_meta:
                raise SchemeError(
                    f"{(name + '.' if name else '') + pname} is on the meta device: it has no "
                    "storage to initialize. Call module.to_empty(device='cpu') (or your device) "
                    "first"
                )


def apply_recipe(
    module: M,
    r: Recipe,
    *,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
    explicit_gates: Sequence[str] = (),
    explicit_bias: bool = False,
    explicit_keep_bias: bool = False,
) -> M:
    """Apply a :class:`Recipe` to every selected recurrent layer (see :func:`init_`)."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )
    modules = find_recurrent(module, include, exclude)
    _check_device(modules)
    layouts = [layout_of(m) for _, m in modules]
    available = {g for lay in layouts for g in lay.gate_names}
    for g in explicit_gates:
        if g not in available:
            fams = ", ".join(
                sorted({f"{lay.family} ({', '.join(lay.gate_names)})" for lay in layouts})
            )
            raise SchemeError(f"gate {g!r} does not exist in the selected layers: {fams}")
    if explicit_keep_bias and not any(lay.keep_gate for lay in layouts):
        fams = ", ".join(sorted({lay.family for lay in layouts}))
        raise SchemeError(
            f"forget_bias applies to LSTM 'f' and GRU 'z'; the selected layers are {fams}"
        )
    if explicit_bias and not any(lay.bias for lay in layouts):
        raise SchemeError("a bias was given, but every selected layer has bias=False")
    for name, mod in modules:
        family, token = _token(mod)
        if family not in r.families:
            label = f"submodule {name!r}" if name else "the module"
            raise SchemeError(
                f"scheme {r.name!r} applies to {', '.join(r.families)} layers; {label} is an "
                f"nn.{type(mod).__name__} ({family}). Select layers with include=/exclude="
            )
    plans: list[tuple[list[_Op], list[_Derived]]] = []
    for name, mod in modules:
        ops, derived = _plan_module(name, mod, r)
        for op in ops:
            _check_op(op)
        for d in derived:
            _check_derived(d, mod)
        plans.append((ops, derived))
    for name, mod in modules:
        family, token = _token(mod)
        if family not in r.designed_for and token not in r.designed_for:
            warnings.warn(
                f"scheme {r.name!r} was designed for {', '.join(r.designed_for)} layers; "
                f"applying it to {name or 'the module'} ({token})",
                SchemeWarning,
                stacklevel=3,
            )
    backup = [(p, p.detach().clone()) for _, m in modules for p in m.parameters(recurse=False)]
    try:
        with torch.no_grad():
            for (_, mod), (ops, derived) in zip(modules, plans, strict=True):
                lay = layout_of(mod)
                ctx: Mapping[str, Any] = {"hidden_size": lay.hidden_size}
                for op in ops:
                    call_init(op.spec, op.target(), generator=generator, context=ctx)
                for d in derived:
                    src = lay.gate_slice(d.source)
                    value = d.ih.param[src].clone()
                    if d.hh is not None:
                        value += d.hh.param[src]
                        d.hh.param[lay.gate_slice(d.gate)].zero_()
                    d.ih.param[lay.gate_slice(d.gate)].copy_(-value)
    except BaseException:
        with torch.no_grad():
            for p, saved in backup:
                p.copy_(saved)
        raise
    for _, mod in modules:
        # a plain attribute (not in state_dict) so rnninit.check can tell a deliberate scheme,
        # e.g. Keras' whole-matrix orthogonal recurrent kernel, from the same pattern by accident
        setattr(mod, SCHEME_ATTRIBUTE, r.name)
    return module


def init_(
    module: M,
    scheme: str | Recipe | Mapping[str, Any] | None = None,
    *,
    input: object = None,
    recurrent: object = None,
    projection: object = None,
    bias: object = None,
    bias_hn: object = None,
    gates: Mapping[str, Mapping[str, object]] | None = None,
    forget_bias: object = None,
    whole: Sequence[str] | None = None,
    layers: Mapping[int, Mapping[str, object]] | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
    **scheme_params: Any,
) -> M:
    """Initialize every recurrent layer in ``module`` gate by gate, in place; return ``module``.

    Args:
        module: an ``nn.RNN/LSTM/GRU``, a Cell, or any module containing them.
        scheme: a name from :data:`rnninit.SCHEMES` (``"orthogonal"``, ``"chrono"``, ``"keras"``,
            ...), a :class:`Recipe`, or a recipe dict. ``None`` keeps every parameter and applies
            only the overrides.
        input, recurrent, projection: initializer for ``weight_ih`` / ``weight_hh`` /
            ``weight_hr``, applied per gate block (a name, a number, ``(name, kwargs)``, a dict
            or a callable on a tensor).
        bias: the effective gate bias ``b_ih + b_hh`` (written into ``b_ih``, ``b_hh`` zeroed),
            for every gate; GRU's ``b_hn`` is set by ``bias_hn`` (default 0).
        gates: per-gate overrides, e.g. ``{"f": {"bias": 1.0, "recurrent": "orthogonal"}}``.
        forget_bias: shortcut for the effective bias of LSTM ``f`` and GRU ``z`` (the keep gate).
        whole: matrix kinds to initialize over the whole stacked matrix instead of per block.
        layers: per-layer overrides by layer index, e.g. ``{0: {"recurrent": "identity"}}``
            (precedence: ``gates`` > ``layers`` > the scheme).
        include, exclude: glob patterns on qualified module names choosing the layers.
        generator: a ``torch.Generator`` for reproducible draws (same seed, same bits).
        scheme_params: the scheme's parameters, e.g. ``max_timescale=`` for ``"chrono"``.

    Raises:
        UnknownNameError: unknown scheme, initializer, gate or keyword (nearest name suggested).
        SchemeError, InitializerError, NoRecurrentModuleError, TypeError: the call cannot apply.
        On any error the module is left bit-identical to before.
    """
    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "input": input,
            "recurrent": recurrent,
            "projection": projection,
            "bias": bias,
            "bias_hn": bias_hn,
            "gates": gates,
            "forget_bias": forget_bias,
            "whole": tuple(whole) if whole is not None else None,
            "layers": layers,
        }.items()
        if v is not None
    }
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if scheme is None:
        if not overrides and not scheme_params:
            raise SchemeError(
                "init_ needs a scheme (e.g. init_(model, 'orthogonal')) or at least one override "
                "(e.g. forget_bias=1.0); with scheme=None only the overrides are applied"
            )
        scheme = "keep"
    r = recipe(scheme, **overrides, **scheme_params)
    explicit_bias = (
        bias is not None
        or forget_bias is not None
        or any(k in _BIAS_KEYS for kinds in (gates or {}).values() for k in kinds)
        or any(k in _BIAS_KEYS for kinds in (layers or {}).values() for k in kinds)
    )
    return apply_recipe(
        module,
        r,
        include=include,
        exclude=exclude,
        generator=generator,
        explicit_gates=list(gates or {}),
        explicit_bias=explicit_bias,
        explicit_keep_bias=forget_bias is not None,
    )
