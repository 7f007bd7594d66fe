"""Apply a recipe to every recurrent layer of a module: validate everything, then write atomically.

:func:`init_` is the library's main entry point. It plans one operation per (parameter, gate
block) or per whole parameter, checks every operation against its target's shape before a single
value is written, then writes in place under ``torch.no_grad()`` into the existing Parameters
(never replacing them, so cuDNN's flat weight buffer stays valid), in the order of
``module.parameters()``. Should anything still fail while writing (a user callable raising, say),
every parameter is restored bit for bit. Gate rows and the equations: :mod:`rnninit.layouts`.

>>> import torch
>>> gru = init_(torch.nn.GRU(3, 4), "chrono", max_timescale=50, generator=torch.Generator())
>>> z = gru.bias_ih_l0[4:8] + gru.bias_hh_l0[4:8]  # GRU rows r, z, n: z is H:2H
>>> bool((z >= 0).all() and (z <= torch.log(torch.tensor(49.0))).all())
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import torch
from torch import nn
from typing_extensions import Unpack

from .errors import InitializerError, SchemeError, UnknownNameError
from .layouts import ParamRef, _legacy_weight_norm, find_recurrent, layout_of, parameters_of
from .overrides import Explicit, split_overrides
from .parametrized import check_writable, write_effective
from .recipes import Recipe
from .registry import Init, call_init, dry_run
from .schemes import AUTO, InitKwargs, recipe

__all__ = ["SCHEME_ATTRIBUTE", "SchemeWarning", "init_"]

#: Attribute that :func:`init_` sets on each layer it initialized: the recipe's name.
SCHEME_ATTRIBUTE = "_rnninit_scheme"

M = TypeVar("M", bound=nn.Module)
_ZERO = Init("zeros")


class SchemeWarning(UserWarning):
    """A scheme applied to a layer type it was not designed for (e.g. ``irnn`` on an LSTM).

    >>> import warnings, torch
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = init_(torch.nn.LSTM(3, 3), "irnn")
    >>> caught[0].category.__name__
    'SchemeWarning'
    """


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
    """A ``Recipe.tied`` entry on one layer: ``b_ih[gate] = sign * (b_ih[source] +
    b_hh[source])``, ``b_hh[gate] = 0`` (chrono's ``b_i = -b_f``), after every draw."""

    ih: ParamRef
    hh: ParamRef | None
    gate: str
    source: str
    sign: float
    where: str


def _gate_spec(r: Recipe, gate: str, kind: str) -> Init | None:
    return r.gates.get(gate, {}).get(kind)


def _plan_module(name: str, module: nn.Module, r: Recipe) -> tuple[list[_Op], list[_Derived]]:
    layout = layout_of(module)
    ops: list[_Op] = []
    derived: list[_Derived] = []
    # a parametrized weight is drawn into a copy of its effective value, written back later
    refs = [
        ref if ref.parametrization is None else replace(ref, param=ref.param.clone())
        for ref in parameters_of(module, name, parametrized=True)
    ]
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
            tie = r.tie(g, "bias")
            eff = _gate_spec(r, g, "bias") or r.at("bias", ref.layer)
            if tie is not None and raw_kind == "bias_ih":
                hh = by_key.get((ref.layer, ref.direction, "bias_hh"))
                derived.append(_Derived(ref, hh, g, tie[0], tie[1], f"{ref.name}[gate {g}]"))
            elif eff is not None:
                if raw_kind == "bias_ih":
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
    """Run the initializer on a meta tensor of the target's shape (:func:`registry.dry_run`)."""
    spec, shape = op.spec, op.shape()
    reg = spec.registered
    try:
        dry_run(spec, shape, {"hidden_size": op.ref.layout.hidden_size})
    except (InitializerError, ValueError, ZeroDivisionError) as exc:
        hint = ""
        if reg is not None and reg.needs_square:
            hint = (
                " (with proj_size the recurrent blocks are H x proj_size and weight_hr is "
                "proj_size x H: an identity cannot fit)"
                if op.ref.layout.proj_size
                else " (the input width differs from hidden_size)"
            ) + "; use include=/exclude= or a per-kind override such as input='xavier_uniform'"
        raise InitializerError(
            f"initializer {spec.name!r} on {op.where} (shape {shape}): {exc}{hint}"
        ) from None


def _parametrized(ops: Sequence[_Op], derived: Sequence[_Derived]) -> list[ParamRef]:
    """The parametrized weights the plan writes, once each, in plan order."""
    refs = [op.ref for op in ops] + [r for d in derived for r in (d.ih, d.hh) if r is not None]
    unique = {id(ref): ref for ref in refs if ref.parametrization is not None}
    return list(unique.values())


def _check_derived(d: _Derived, module: nn.Module) -> None:
    gate_names = layout_of(module).gate_names
    if d.source not in gate_names or d.source == d.gate:
        raise SchemeError(
            f"tied bias on {d.where}: source gate {d.source!r} must be another gate of this "
            f"layer ({', '.join(g for g in gate_names if g != d.gate)})"
        )


def _token(module: nn.Module) -> tuple[str, str]:
    lay = layout_of(module)
    return lay.family, f"{lay.family}:{lay.nonlinearity}" if lay.nonlinearity else lay.family


def _check_device(modules: Sequence[tuple[str, nn.Module]]) -> None:
    for name, mod in modules:
        # recurse: a parametrized weight's originals live in the layer's parametrizations child
        for pname, p in mod.named_parameters():
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
    explicit: Explicit | None = None,
) -> M:
    """Apply a :class:`Recipe` to every selected recurrent layer (see :func:`init_`).

    ``explicit`` (:class:`rnninit.overrides.Explicit`) lists what the user asked for, checked
    against the selected layers before anything is written.
    """
    explicit = explicit if explicit is not None else Explicit()
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )
    modules = find_recurrent(module, include, exclude)
    _check_device(modules)
    layouts = [layout_of(m) for _, m in modules]
    available = {g for lay in layouts for g in lay.gate_names}
    for g in explicit.gates:
        if g not in available:
            fams = ", ".join(
                sorted({f"{lay.family} ({', '.join(lay.gate_names)})" for lay in layouts})
            )
            raise SchemeError(f"gate {g!r} does not exist in the selected layers: {fams}")
    if explicit.keep_bias and not any(lay.keep_gate for lay in layouts):
        fams = ", ".join(sorted({lay.family for lay in layouts}))
        raise SchemeError(
            f"forget_bias applies to LSTM 'f' and GRU 'z'; the selected layers are {fams}"
        )
    if explicit.bias and not any(lay.bias for lay in layouts):
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
        for ref in _parametrized(ops, derived):
            writes = [(op.rows, op.spec) for op in ops if op.ref is ref]
            writes += [(None, Init("zeros")) for d in derived if ref in (d.ih, d.hh)]
            check_writable(ref, writes)
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
    # parameters, parametrization originals and buffers (orthogonal's base), and the legacy
    # weight-norm attributes, restored bit for bit if anything fails while writing
    backup = [(t, t.detach().clone()) for _, m in modules for t in (*m.parameters(), *m.buffers())]
    attrs = [
        (m, n, getattr(m, n)) for _, m in modules for n in _legacy_weight_norm(m) if hasattr(m, n)
    ]
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
                    d.ih.param[lay.gate_slice(d.gate)].copy_(value * d.sign)
                for ref in _parametrized(ops, derived):
                    write_effective(ref, ref.param)
    except BaseException:
        with torch.no_grad():
            for t, saved in backup:
                t.copy_(saved)
            for m, n, value in attrs:
                setattr(m, n, value)
        raise
    for _, mod in modules:
        # a plain attribute (not in state_dict) so rnninit.check can tell a deliberate scheme,
        # e.g. Keras' whole-matrix orthogonal recurrent kernel, from the same pattern by accident
        setattr(mod, SCHEME_ATTRIBUTE, r.name)
    return module


def _init_auto(
    module: M,
    given: Mapping[str, Any],
    params: Mapping[str, Any],
    include: str | Sequence[str] | None,
    exclude: str | Sequence[str] | None,
    generator: torch.Generator | None,
) -> M:
    """``init_(module, "auto", ...)``: calibrate, then apply any overrides, atomically."""
    from .auto import AUTO_PARAMS, auto_init_

    for key in params:
        if key not in AUTO_PARAMS:
            raise UnknownNameError("keyword for scheme 'auto'", key, (*AUTO_PARAMS, *given))
    selected = [p for _, m in find_recurrent(module, include, exclude) for p in m.parameters()]
    backup = [p.detach().clone() for p in selected]
    try:
        auto_init_(module, include=include, exclude=exclude, generator=generator, **params)
        if given:  # the user's overrides win over the calibrated start
            init_(module, None, include=include, exclude=exclude, generator=generator, **given)
    except BaseException:
        with torch.no_grad():
            for p, saved in zip(selected, backup, strict=True):
                p.copy_(saved)
        raise
    return module


def init_(
    module: M,
    scheme: str | Recipe | Mapping[str, Any] | None = None,
    *,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
    **overrides: Unpack[InitKwargs],
) -> M:
    """Initialize every recurrent layer in ``module`` gate by gate, in place; return ``module``.

    Args:
        module: an ``nn.RNN/LSTM/GRU``, a Cell, or any module containing them.
        scheme: a name from :data:`rnninit.SCHEMES` (``"orthogonal"``, ``"chrono"``, ``"keras"``,
            ...), ``"auto"`` (calibrated on ``data=``, see :func:`rnninit.auto.auto_init_`), a
            :class:`Recipe`, or a recipe dict. ``None`` keeps every parameter and applies only
            the overrides.
        include: glob patterns on qualified module names choosing the layers (a
            ``torch.compile``'d model matches with or without its ``_orig_mod.`` prefix).
        exclude: glob patterns of layers to leave out (matched like ``include``).
        generator: a ``torch.Generator`` for reproducible draws (same seed, same bits).
        overrides: the override keywords of :class:`rnninit.overrides.Overrides` (``input``,
            ``recurrent``, ``projection``, ``bias``, ``bias_hn``, ``gates``, ``forget_bias``,
            ``whole``, ``layers``) and the scheme's parameters (``max_timescale=`` for
            ``"chrono"``, ...). ``bias`` is the effective gate bias ``b_ih + b_hh`` (written into
            ``b_ih``, ``b_hh`` zeroed); precedence ``gates`` > ``layers`` > the scheme.

    The equations and gate rows are in :mod:`rnninit.layouts`; the schemes in
    ``docs/recipes.md``. Parametrized weights (``torch.nn.utils.parametrize``, e.g.
    ``weight_norm``, and the legacy ``weight_norm`` hook) are initialized through their
    ``right_inverse`` so that the *effective* weight gets the scheme; a parametrization that
    cannot hold it (e.g. ``orthogonal`` on a per-gate orthogonal stack) raises before anything
    is written.

    Raises:
        UnknownNameError: unknown scheme, initializer, gate or keyword (nearest name suggested).
        SchemeError: the scheme or an override cannot apply to the selected layers (also
            InitializerError, NoRecurrentModuleError, TypeError). On any error the module is
            left bit-identical to before.

    >>> lstm = torch.nn.LSTM(3, 4)
    >>> _ = init_(lstm, "orthogonal", forget_bias=2.0, generator=torch.Generator().manual_seed(0))
    >>> (lstm.bias_ih_l0[4:8] + lstm.bias_hh_l0[4:8]).tolist()  # rows H:2H, the forget gate
    [2.0, 2.0, 2.0, 2.0]
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    given, scheme_params = split_overrides(overrides)
    if scheme == AUTO:
        return _init_auto(module, given, scheme_params, include, exclude, generator)
    if scheme is None:
        if not given and not scheme_params:
            raise SchemeError(
                "init_ needs a scheme (e.g. init_(model, 'orthogonal')) or at least one override "
                "(e.g. forget_bias=1.0); with scheme=None only the overrides are applied"
            )
        scheme = "keep"
    r = recipe(scheme, **given, **scheme_params)
    return apply_recipe(
        module,
        r,
        include=include,
        exclude=exclude,
        generator=generator,
        explicit=Explicit.of(given),
    )
