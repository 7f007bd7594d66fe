"""Apply a recipe to every selected recurrent layer: plan, validate, draw, then write atomically.

The recipe-application step under :func:`rnninit.init_` (and under ``auto``):

1. select the layers (``include=``/``exclude=``, :func:`rnninit.layouts.find_recurrent`);
2. plan one operation per (parameter, gate block) or per whole parameter
   (:mod:`rnninit.schemes`);
3. validate the arguments, the selection and the plan (:mod:`rnninit.schemes`);
4. **draw** every operation into a copy of its weight, in the order of ``module.parameters()``
   (PyTorch's own draw order, so a ``torch.Generator`` gives the same bits), then derive the
   tied biases; every value drawn is checked finite here, the one place numbers become weights
   (a NaN ``forget_bias``, an ``inf`` bias, an initializer that returns NaN:
   :class:`~rnninit.errors.NonFiniteError`, nothing written);
5. **write** the copies into the existing Parameters under ``torch.no_grad()`` (never replacing
   them, so cuDNN's flat weight buffer stays valid) or through their parametrization
   (:mod:`rnninit.schemes`), inside :func:`rnninit.schemes._transaction.atomic`: should a write
   still fail, every tensor is restored bit for bit;
6. mark each layer with the recipe's name (:data:`SCHEME_ATTRIBUTE`).

Gate rows and the equations: :mod:`rnninit.layouts`.

>>> import torch
>>> from rnninit.schemes import recipe
>>> gru = apply_recipe(torch.nn.GRU(3, 4), recipe("chrono", max_timescale=50))
>>> z = gru.bias_ih_l0[4:8] + gru.bias_hh_l0[4:8]  # GRU rows r, z, n: z is H:2H
>>> bool((z >= 0).all() and (z <= torch.log(torch.tensor(49.0))).all())
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import torch
from torch import nn

from ..errors import NonFiniteError
from ..initializers._registry import call_init
from ..layouts import find_recurrent
from ._builtin import KEEP
from ._overrides import Explicit
from ._parametrized import write_effective
from ._plan import Derived, ModulePlan, Op, plan_module, target
from ._recipes import Recipe, install_applier
from ._transaction import atomic
from ._validation import check_arguments, check_plan, check_selection, warn_designed_for

__all__ = [
    "DATA_HORIZON_ATTRIBUTE",
    "SCHEME_ATTRIBUTE",
    "Selected",
    "apply_recipe",
    "apply_selected",
]

#: Attribute that :func:`rnninit.init_` sets on each layer it initialized: the recipe's name.
SCHEME_ATTRIBUTE = "_rnninit_scheme"

#: The attribute on a recurrent module that ``auto`` took its horizon (the longest sequence, in
#: steps) from ``data``: how long it was, for ``rnninit.check`` (a cell run on one step).
DATA_HORIZON_ATTRIBUTE = "_rnninit_data_horizon"

M = TypeVar("M", bound=nn.Module)
Staged = dict[int, torch.Tensor]
#: Selected layers, ``(qualified name, module)`` pairs (:func:`~rnninit.layouts.find_recurrent`).
Selected = Sequence[tuple[str, nn.Module]]


def _finite(value: torch.Tensor, what: str, where: str) -> None:
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise NonFiniteError(
            f"{what} would write NaN or inf into {where}; give finite values (nothing was written)"
        )


def _stage(plans: Sequence[ModulePlan]) -> Staged:
    """A copy of every weight the plans write, keyed by ``id(ref.param)`` (a parametrized
    weight's snapshot is already a copy)."""
    staged: Staged = {}
    for plan in plans:
        for ref in plan.written():
            if id(ref.param) not in staged:
                plain = ref.parametrization is None
                staged[id(ref.param)] = ref.param.detach().clone() if plain else ref.param
    return staged


def _draw_op(op: Op, staged: Staged, generator: torch.Generator | None) -> None:
    view = target(op, staged)
    call_init(
        op.spec, view, generator=generator, context={"hidden_size": op.ref.layout.hidden_size}
    )
    origin = op.spec.origin or "initializer"
    _finite(view, f"{origin}={op.spec!r}", op.where)


def _derive(d: Derived, plan: ModulePlan, staged: Staged) -> None:
    lay = plan.layout
    src, rows = lay.gate_slice(d.source), lay.gate_slice(d.gate)
    ih = staged[id(d.ih.param)]
    value = ih[src].clone()
    if d.hh is not None:
        hh = staged[id(d.hh.param)]
        value += hh[src]
        hh[rows].zero_()
    ih[rows].copy_(value * d.sign)
    _finite(ih[rows], f"tied bias {d.gate} = {'-' if d.sign < 0 else ''}{d.source}", d.where)


def _draw(plans: Sequence[ModulePlan], generator: torch.Generator | None) -> Staged:
    """Step 4: every op and tie of every plan, into the staged copies."""
    staged = _stage(plans)
    with torch.no_grad():
        for plan in plans:
            for op in plan.ops:
                _draw_op(op, staged, generator)
            for d in plan.derived:
                _derive(d, plan, staged)
    return staged


def _write(plans: Sequence[ModulePlan], staged: Mapping[int, torch.Tensor]) -> None:
    """Step 5: the staged values into the weights (plain Parameters in place)."""
    with torch.no_grad():
        for plan in plans:
            for ref in plan.written():
                value = staged[id(ref.param)]
                if ref.parametrization is None:
                    ref.param.copy_(value)
                else:
                    write_effective(ref, value)


def apply_selected(
    modules: Selected, r: Recipe, generator: torch.Generator | None, explicit: Explicit | None
) -> None:
    """Steps 2 to 5 on layers already selected and checked: plan, validate, draw, write, mark.

    The caller holds the atomic write (:func:`~rnninit.schemes._transaction.atomic`) around
    it: :func:`apply_recipe` here, the ``auto`` scheme around all of its steps.
    """
    check_selection(modules, r, explicit if explicit is not None else Explicit())
    plans = [plan_module(name, mod, r) for name, mod in modules]
    for plan in plans:
        check_plan(plan)
    warn_designed_for(modules, r)
    _write(plans, _draw(plans, generator))
    for _, mod in modules if r.name != KEEP else ():  # overrides alone keep the marks
        # a plain attribute (not in state_dict) so rnninit.check can tell a deliberate scheme,
        # e.g. Keras' whole-matrix orthogonal recurrent kernel, from the same pattern by accident
        setattr(mod, SCHEME_ATTRIBUTE, r.name)
        if hasattr(mod, DATA_HORIZON_ATTRIBUTE):  # a later scheme replaces auto's marker
            delattr(mod, DATA_HORIZON_ATTRIBUTE)


def apply_recipe(
    module: M,
    r: Recipe,
    *,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
    explicit: Explicit | None = None,
) -> M:
    """Apply a :class:`~rnninit.schemes.Recipe` to every selected recurrent layer (the steps
    above; the arguments are those of :func:`rnninit.init_`), atomically.

    ``explicit`` (:class:`~rnninit.schemes._overrides.Explicit`) lists what the user asked for,
    checked against the selected layers before anything is written.
    """
    check_arguments(include, exclude, generator)
    modules = find_recurrent(module, include, exclude)
    with atomic(modules):
        apply_selected(modules, r, generator, explicit)
    return module


# Recipe.__call__ (model.apply(recipe)) applies a recipe through this layer
install_applier(apply_recipe)
