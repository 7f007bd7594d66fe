"""Validate a recipe and its plan against the selected layers, before anything is drawn.

The third step of :func:`rnninit.init_` (recipe -> plan -> **validation** -> atomic write).
Every check here raises a typed error (:mod:`rnninit.errors`) naming the argument, what was
given and what is valid, while the model is still untouched:

* the arguments: ``include=``/``exclude=`` glob patterns, ``generator=`` a ``torch.Generator``;
* the selection: no parameter on the meta device; every gate named in ``gates=`` exists in some
  selected layer, every layer index in ``layers=`` too; a bias needs ``bias=True`` layers,
  ``forget_bias`` a keep gate; the recipe's ``families`` hold every selected layer;
* the plan: every registered initializer runs on a meta tensor of its target's shape
  (:func:`rnninit.initializers._registry.dry_run`), every tie names another gate of the layer, every
  parametrization can hold what is written into it (:mod:`rnninit.schemes`).

The values themselves (NaN or inf from a number or an initializer) are checked where they are
drawn, in :mod:`rnninit.schemes`, before they are written.

>>> import torch
>>> from rnninit.schemes import recipe
>>> check_selection([("", torch.nn.RNN(2, 3))], recipe("chrono", max_timescale=9), Explicit())
Traceback (most recent call last):
...
rnninit.errors.SchemeError: scheme 'chrono' applies to LSTM, GRU layers; the module is an nn.RNN ...
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..errors import (
    ArgumentTypeError,
    InitializerError,
    SchemeError,
    SchemeWarning,
    UnknownNameError,
    warn_caller,
)
from ..initializers._registry import Init, dry_run
from ..layouts import Layout, layout_of
from ..layouts._selection import as_patterns
from ._overrides import Explicit
from ._parametrized import check_writable
from ._plan import Derived, ModulePlan, Op
from ._recipes import Recipe

__all__ = ["check_arguments", "check_plan", "check_selection", "warn_designed_for"]

Selected = Sequence[tuple[str, nn.Module]]


def check_arguments(include: object, exclude: object, generator: object) -> None:
    """The types of ``include=``, ``exclude=`` and ``generator=``.

    >>> check_arguments("enc.*", None, torch.Generator())
    >>> check_arguments(None, None, 5)
    Traceback (most recent call last):
    ...
    rnninit.errors.ArgumentTypeError: generator=5 (int) is not valid; expected a torch.Generator ...
    """
    as_patterns(include, "include")
    as_patterns(exclude, "exclude")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ArgumentTypeError("generator", generator, "a torch.Generator or None")


def _token(layout: Layout) -> str:
    """``"LSTM"``, ``"GRU"``, or ``"RNN:tanh"`` / ``"RNN:relu"`` (what ``designed_for`` names)."""
    return f"{layout.family}:{layout.nonlinearity}" if layout.nonlinearity else layout.family


def _check_device(modules: Selected) -> None:
    for name, mod in modules:
        # recurse: a parametrized weight's originals live in the layer's parametrizations child
        for pname, p in mod.named_parameters():
            if p.is_meta:
                raise SchemeError(
                    f"{(name + '.' if name else '') + pname} is on the meta device: it has no "
                    "storage to initialize. Call module.to_empty(device='cpu') (or your device) "
                    "first"
                )


def _check_explicit(layouts: Sequence[Layout], explicit: Explicit) -> None:
    available = {g for lay in layouts for g in lay.gates}
    for g in explicit.gates:
        if g not in available:
            fams = ", ".join(sorted({f"{lay.family} ({', '.join(lay.gates)})" for lay in layouts}))
            raise SchemeError(f"gate {g!r} does not exist in the selected layers: {fams}")
    deepest = max(lay.num_layers for lay in layouts)
    for k in explicit.layers:
        if k >= deepest:
            raise UnknownNameError("layers", k, [str(i) for i in range(deepest)])
    if explicit.keep_bias and not any(lay.keep_gate for lay in layouts):
        fams = ", ".join(sorted({lay.family for lay in layouts}))
        raise SchemeError(
            f"forget_bias applies to LSTM 'f' and GRU 'z'; the selected layers are {fams}"
        )
    if explicit.bias and not any(lay.bias for lay in layouts):
        raise SchemeError("a bias was given, but every selected layer has bias=False")


def check_selection(modules: Selected, r: Recipe, explicit: Explicit) -> None:
    """The selected layers against the recipe and what the user asked for (see above)."""
    _check_device(modules)
    layouts = [layout_of(m) for _, m in modules]
    _check_explicit(layouts, explicit)
    for (name, mod), lay in zip(modules, layouts, strict=True):
        if lay.family not in r.families:
            label = f"submodule {name!r}" if name else "the module"
            raise SchemeError(
                f"scheme {r.name!r} applies to {', '.join(r.families)} layers; {label} is an "
                f"nn.{type(mod).__name__} ({lay.family}). Select layers with include=/exclude="
            )


def _check_op(op: Op) -> None:
    """Run the initializer on a meta tensor of the target's shape
    (:func:`~rnninit.initializers._registry.dry_run`)."""
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


def _check_derived(d: Derived, layout: Layout) -> None:
    gate_names = layout.gates
    if d.source not in gate_names or d.source == d.gate:
        raise SchemeError(
            f"tied bias on {d.where}: source gate {d.source!r} must be another gate of this "
            f"layer ({', '.join(g for g in gate_names if g != d.gate)})"
        )


def check_plan(plan: ModulePlan) -> None:
    """Every op, tie and parametrized weight of one module's plan (see above)."""
    for op in plan.ops:
        _check_op(op)
    for d in plan.derived:
        _check_derived(d, plan.layout)
    for ref in plan.written():
        if ref.parametrization is None:
            continue
        writes = [(op.rows, op.spec) for op in plan.ops if op.ref is ref]
        writes += [(None, Init("zeros")) for d in plan.derived if ref in (d.ih, d.hh)]
        check_writable(ref, writes)


def warn_designed_for(modules: Selected, r: Recipe) -> None:
    """A :class:`~rnninit.errors.SchemeWarning` for each layer the scheme was not designed for."""
    for name, mod in modules:
        lay = layout_of(mod)
        token = _token(lay)
        if lay.family not in r.designed_for and token not in r.designed_for:
            warn_caller(
                f"scheme {r.name!r} was designed for {', '.join(r.designed_for)} layers; "
                f"applying it to {name or 'the module'} ({token})",
                SchemeWarning,
            )
