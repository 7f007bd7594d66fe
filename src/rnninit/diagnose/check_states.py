"""The checks of :func:`rnninit.diagnose.check` on learned initial states.

A learned initial state is an :class:`~rnninit.states.InitialState` with trainable parameters
(``learned``, ``learned_noisy``, ``conditional``), wherever it lives: attached to a recurrent
module by :func:`~rnninit.states.attach_initial_state` (``lstm.initial_state``), inside a
:class:`~rnninit.states.Recurrent` (``rec.initial_state``) or free-standing in a model. Two
pitfalls, reported as :class:`~rnninit.diagnose.findings.Finding`\\ s:

``not_in_optimizer`` (error, needs ``optimizer=``)
    a trainable state parameter in none of the optimizer's param groups: it gets gradients but
    never moves, so the model trains as if it had no learned state.
``state_without_gradient`` (warning, needs a backward pass first)
    a trainable state parameter with ``.grad is None`` while other parameters have one: the
    state is not used in the forward or is detached.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import torch
from torch import nn

from ..layouts import is_recurrent
from ..states.modules import InitialState
from ..states.recurrent import Recurrent
from .findings import Finding

__all__ = ["states_not_in_optimizer", "states_without_grad", "trainable_states"]

#: ``(qualified name, module)`` pairs, as :func:`rnninit.layouts.find_recurrent` returns.
Selected = list[tuple[str, nn.Module]]
Patterns = str | Sequence[str] | None


def _matches(name: str, patterns: Patterns) -> bool:
    pats = [patterns] if isinstance(patterns, str) else list(patterns or ())
    return any(fnmatch.fnmatchcase(name, p) for p in pats)


def _owner(model: nn.Module, name: str) -> nn.Module | None:
    """The recurrent module the state at ``name`` belongs to, when the structure tells: the
    module it is attached to (``lstm.initial_state``) or the ``rnn`` of a ``Recurrent``."""
    if not name:
        return None
    parent = model.get_submodule(name.rpartition(".")[0])
    if is_recurrent(parent):
        return parent
    if isinstance(parent, Recurrent):
        return parent.rnn
    return None


def _qualified(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def trainable_states(
    model: nn.Module, recurrent: Selected, include: Patterns, exclude: Patterns
) -> Selected:
    """Every ``InitialState`` of ``model`` with trainable parameters that the selection covers.

    ``recurrent`` is the selected recurrent modules (``find_recurrent(model, include,
    exclude)``). A state follows the module it belongs to; a free-standing one is selected by
    its own qualified name with the same globs (``fnmatch``).

    >>> from torch import nn
    >>> from rnninit.layouts import find_recurrent
    >>> from rnninit.states import attach_initial_state
    >>> model = nn.ModuleDict({"enc": attach_initial_state(nn.GRU(3, 4)), "dec": nn.GRU(4, 4)})
    >>> [n for n, _ in trainable_states(model, find_recurrent(model), None, None)]
    ['enc.initial_state']
    >>> trainable_states(model, find_recurrent(model, "dec"), "dec", None)
    []
    """
    chosen = {id(m) for _, m in recurrent}
    out: Selected = []
    for name, mod in model.named_modules():
        if not isinstance(mod, InitialState):
            continue
        if not any(p.requires_grad for p in mod.parameters()):
            continue
        owner = _owner(model, name)
        if owner is not None:
            keep = id(owner) in chosen
        else:
            keep = (include is None or _matches(name, include)) and not _matches(name, exclude)
        if keep:
            out.append((name, mod))
    return out


def states_not_in_optimizer(states: Selected, optimizer: torch.optim.Optimizer) -> list[Finding]:
    """``not_in_optimizer`` findings for trainable state parameters the optimizer lacks.

    >>> import torch
    >>> from torch import nn
    >>> from rnninit.states import attach_initial_state
    >>> gru = attach_initial_state(nn.GRU(3, 4))
    >>> opt = torch.optim.SGD([gru.weight_hh_l0], lr=0.1)  # the state forgotten
    >>> [f.where for f in states_not_in_optimizer([("", gru.initial_state)], opt)]
    [('h0',)]
    """
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    lost = [
        _qualified(name, pname)
        for name, mod in states
        for pname, p in mod.named_parameters()
        if p.requires_grad and id(p) not in held
    ]
    if not lost:
        return []
    return [
        Finding(
            "not_in_optimizer",
            "error",
            tuple(lost),
            f"{len(lost)} learned initial state Parameter(s) are in none of the optimizer's "
            "param groups",
            "the learned initial state gets gradients but is never updated: it stays at its "
            "starting value (zeros for 'learned'), so the model trains as if it had none",
            "build the optimizer over model.parameters() after attaching or creating the state "
            "(attach_initial_state, InitialState and Recurrent register it as a submodule), or "
            "add its parameters as a param group",
        )
    ]


def states_without_grad(model: nn.Module, states: Selected) -> list[Finding]:
    """``state_without_gradient`` findings: trainable state parameters with no ``.grad`` after
    a backward pass that gave other parameters one (silent before any backward).

    >>> import torch
    >>> from torch import nn
    >>> from rnninit.states import InitialState
    >>> model = nn.ModuleDict({"rnn": nn.GRU(3, 4), "state": InitialState(nn.GRU(3, 4))})
    >>> model["rnn"](torch.randn(5, 2, 3))[0].sum().backward()  # the state never used
    >>> [f.where for f in states_without_grad(model, [("state", model["state"])])]
    [('state.h0',)]
    """
    if not any(p.grad is not None for p in model.parameters()):
        return []  # no backward pass yet: nothing can be said
    out: list[Finding] = []
    for mname, mod in states:
        dead = [
            _qualified(mname, pname)
            for pname, p in mod.named_parameters()
            if p.requires_grad and p.grad is None
        ]
        if dead:
            out.append(
                Finding(
                    "state_without_gradient",
                    "warning",
                    tuple(dead),
                    "a learned initial state requires grad but got no gradient in the last "
                    "backward pass, while other parameters did",
                    "the state is not used by the forward (not passed as h0/(h0, c0) to the "
                    "recurrent module) or is detached: it will never be learned",
                    "pass the state to the recurrent module, e.g. out, h = rnn(x, state(x)), and "
                    "do not call .detach() on it",
                )
            )
    return out
