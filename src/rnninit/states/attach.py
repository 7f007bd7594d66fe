"""Give an existing ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (or Cell) its own initial state, in place.

:func:`attach_initial_state` keeps the user's module: same object, same class, same attributes
(``weight_hh_l0``, ``hidden_size``, ``flatten_parameters()``, ...) and the same ``state_dict``
keys, plus the state's own keys. It registers an :class:`~rnninit.states.InitialState` as the
submodule ``initial_state`` (so a learned state is saved as ``initial_state.h0`` /
``initial_state.c0`` and trained by any optimizer over ``rnn.parameters()``) and two hooks:

* a forward pre-hook (``with_kwargs=True``): when ``hx`` is ``None`` (omitted, positional or
  keyword) it supplies the state built for the input, so ``rnn(x)`` runs
  ``rnn(x, state(like=x))``; a given ``hx`` is passed unchanged. Batched, unbatched,
  ``batch_first`` and ``PackedSequence`` inputs (batch ``batch_sizes[0]``) and the Cells are
  handled by the shape rules of :mod:`rnninit.states.shapes`;
* a ``load_state_dict`` pre-hook: when a checkpoint holds *none* of the state's keys (it was
  saved before attaching), they keep their current values, so the old checkpoint still loads
  with ``strict=True``. A checkpoint holding some of them but not all is reported as usual.

:func:`remove_initial_state` undoes it. For a *carried* state (truncated BPTT, ``reset(mask)``)
use :class:`~rnninit.states.Recurrent`; see ``docs/states.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

import torch
from torch import nn

from ..errors import ArgumentTypeError, InitializerError, NoRecurrentModuleError
from ..initializers._registry import InitLike
from ..layouts import find_recurrent, is_recurrent
from .modules import InitialState
from .shapes import batch_of, spec_of

__all__ = ["STATE_ATTRIBUTE", "attach_initial_state", "remove_initial_state"]

#: The name of the submodule that holds the attached state (its keys: ``initial_state.h0``...).
STATE_ATTRIBUTE = "initial_state"

M = TypeVar("M", bound=nn.Module)


def _supply_state(
    module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """Forward pre-hook: put the attached state in place of a missing ``hx``."""
    state = module._modules.get(STATE_ATTRIBUTE)
    if not isinstance(state, InitialState):
        return None
    positional = len(args) >= 2
    hx = args[1] if positional else kwargs.get("hx")
    if hx is not None:
        return None  # a given state is used unchanged
    x = args[0] if args else kwargs.get("input")
    if x is None:
        return None  # no input: let the module report its own error
    built = state.build(batch_of(state.spec, x))
    if positional:
        return (args[0], built, *args[2:]), kwargs
    return args, {**kwargs, "hx": built}


def _keep_missing_state(
    module: nn.Module,
    state_dict: dict[str, Any],
    prefix: str,
    local_metadata: dict[str, Any],
    strict: bool,
    missing_keys: list[str],
    unexpected_keys: list[str],
    error_msgs: list[str],
) -> None:
    """``load_state_dict`` pre-hook: a checkpoint without the state keeps the current state."""
    state = module._modules.get(STATE_ATTRIBUTE)
    if state is None:
        return
    own = state.state_dict(prefix=f"{prefix}{STATE_ATTRIBUTE}.", keep_vars=True)
    if own and not any(key in state_dict for key in own):
        for key, value in own.items():
            state_dict[key] = value.detach()


def _hook_keys(hooks: dict[int, Any], fn: object) -> list[int]:
    return [k for k, h in hooks.items() if h is fn or getattr(h, "hook", None) is fn]


def _is_attached(rnn: nn.Module) -> bool:
    return bool(_hook_keys(rnn._forward_pre_hooks, _supply_state))


_CONDITIONAL = (
    "init={init!r}: a conditional state needs a context, which {module}.forward(input, hx) "
    "cannot take; use rnninit.Recurrent(rnn, ...) and call it with context="
)


def _init_name(init: object) -> object:
    """The initializer's name in any spelling: ``"x"``, ``("x", {...})``, ``{"name": "x"}``."""
    if isinstance(init, tuple | list) and init:
        return init[0]
    if isinstance(init, Mapping):
        return init.get("name")
    return init


def _check_recurrent(rnn: object) -> None:
    if isinstance(rnn, nn.Module) and is_recurrent(rnn):
        return
    valid = "nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell or nn.GRUCell"
    msg = f"rnn= must be {valid}, got {type(rnn).__name__}"
    if isinstance(rnn, nn.Module):
        try:
            inner = [n for n, _ in find_recurrent(rnn)]
        except NoRecurrentModuleError:
            inner = []
        if inner:
            msg += (
                "; attach to the recurrent module itself, one of: "
                + ", ".join(repr(n) for n in inner)
                + f" (e.g. rnn=model.get_submodule({inner[0]!r}))"
            )
    raise NoRecurrentModuleError(msg)


def attach_initial_state(
    rnn: M,
    init: InitLike | InitialState = "learned",
    *,
    generator: torch.Generator | None = None,
) -> M:
    """Give ``rnn`` an initial state of its own, keeping the module and its ``state_dict`` keys.

    Registers ``InitialState(rnn, init, generator=generator)`` as ``rnn.initial_state`` and
    makes ``rnn(x)`` (``hx`` omitted or ``None``) start from it instead of zeros; an ``hx``
    you pass is used unchanged. Returns ``rnn`` itself (the same object, still an
    ``nn.LSTM``...). ``init`` takes the state initializers of :class:`InitialState` (a name
    such as ``"zeros"``, ``"xavier_normal"``, ``"learned"``, ``("learned_noisy", {"noise_std":
    0.1})``) or an :class:`InitialState` built for a module of the same state shapes.

    With ``"learned"`` the state is ``h0[l*D+d, n, :] = theta_h[l*D+d]`` for every batch row
    ``n`` (and ``c0`` from ``theta_c``), ``theta`` a Parameter of shape ``(L*D, H_out)``
    (``(L*D, H)`` for ``c``; ``(H,)`` for cells), zero at the start: training begins exactly
    where PyTorch's ``hx=None`` does, and the gradient of ``theta`` is the sum over the batch.
    Sources: Sonnet 2's ``TrainableState``; S. Pitis, *Non-zero initial states for recurrent
    neural networks* (2016); Gers, Schraudolph & Schmidhuber (JMLR 2002).

    * ``state_dict`` gains ``initial_state.h0`` (and ``.c0``) for learned states, nothing for
      parameter-free ones; every other key is unchanged. A checkpoint saved before attaching
      loads with ``strict=True``: the state keeps its current value (a ``load_state_dict``
      pre-hook fills in the state's keys when the checkpoint has none of them).
    * ``rnn.train()``/``rnn.eval()`` reach the state: in eval mode a random init gives its mean.
    * ``rnn.reset_parameters()`` is PyTorch's loop over ``self.parameters()``, which now
      includes the learned state: call it before attaching, or re-zero the state after.
    * The ``conditional`` state needs a context the module's ``forward`` cannot take: use
      :class:`Recurrent` with ``context=``.

    Raises :class:`~rnninit.errors.NoRecurrentModuleError` when ``rnn`` is not a recurrent
    module and :class:`~rnninit.errors.InitializerError` when a state is already attached (or
    ``init`` is conditional or does not fit); ``rnn`` is left exactly as it was.

    >>> import torch, rnninit
    >>> from torch import nn
    >>> from rnninit.states import attach_initial_state
    >>> lstm = attach_initial_state(nn.LSTM(3, 8, num_layers=2), "learned")
    >>> isinstance(lstm, nn.LSTM), sorted(k for k in lstm.state_dict() if "initial" in k)
    (True, ['initial_state.c0', 'initial_state.h0'])
    >>> out, (h, c) = lstm(torch.randn(7, 5, 3))  # hx=None: starts from the learned state
    >>> tuple(h.shape), lstm.initial_state.h0.shape
    ((2, 5, 8), torch.Size([2, 8]))
    """
    _check_recurrent(rnn)
    if _is_attached(rnn) or STATE_ATTRIBUTE in rnn._modules or hasattr(rnn, STATE_ATTRIBUTE):
        raise InitializerError(
            f"{type(rnn).__name__} already has an attribute {STATE_ATTRIBUTE!r} (an initial "
            "state is attached); call rnninit.states.remove_initial_state(rnn) first"
        )
    if _init_name(init) == "conditional":
        raise InitializerError(_CONDITIONAL.format(init=init, module=type(rnn).__name__))
    spec = spec_of(rnn)
    if isinstance(init, InitialState):
        if generator is not None:
            raise ArgumentTypeError(
                "init= is an InitialState: give the generator to it, not to attach_initial_state"
            )
        if not init.spec.compatible(spec):
            raise InitializerError(
                f"init= is an InitialState built for {init.spec.describe()}, whose states do "
                f"not fit {spec.describe()}"
            )
        state = init
    else:
        state = InitialState(rnn, cast(Any, init), generator=generator)
    if state.kind == "conditional":
        raise InitializerError(_CONDITIONAL.format(init=init, module=type(rnn).__name__))
    rnn.add_module(STATE_ATTRIBUTE, state)
    rnn.register_forward_pre_hook(_supply_state, with_kwargs=True)
    rnn.register_load_state_dict_pre_hook(_keep_missing_state)  # type: ignore[no-untyped-call]
    return rnn


def remove_initial_state(rnn: M) -> M:
    """Undo :func:`attach_initial_state`: drop ``rnn.initial_state`` and its hooks.

    ``rnn(x)`` starts from zeros again and ``state_dict`` loses the state's keys. Returns
    ``rnn``. (Named after ``torch.nn.utils.remove_weight_norm``; "detach" would suggest
    stopping gradients.) Raises :class:`~rnninit.errors.InitializerError` when no state is
    attached.

    >>> import torch
    >>> from torch import nn
    >>> from rnninit.states import attach_initial_state, remove_initial_state
    >>> gru = remove_initial_state(attach_initial_state(nn.GRU(3, 8), "learned"))
    >>> list(gru.state_dict()) == list(nn.GRU(3, 8).state_dict()), hasattr(gru, "initial_state")
    (True, False)
    """
    _check_recurrent(rnn)
    if not _is_attached(rnn):
        raise InitializerError(
            f"rnn= ({type(rnn).__name__}) has no initial state attached by "
            "rnninit.states.attach_initial_state; nothing to remove"
        )
    for key in _hook_keys(rnn._forward_pre_hooks, _supply_state):
        del rnn._forward_pre_hooks[key]
        rnn._forward_pre_hooks_with_kwargs.pop(key, None)
    for key in _hook_keys(rnn._load_state_dict_pre_hooks, _keep_missing_state):
        del rnn._load_state_dict_pre_hooks[key]
    if STATE_ATTRIBUTE in rnn._modules:
        delattr(rnn, STATE_ATTRIBUTE)
    return rnn
