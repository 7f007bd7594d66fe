"""``initial_state``: the initial state of a recurrent module, from any initializer, with the
right shape (the equations the state enters: :mod:`rnninit.layouts`).

>>> import torch
>>> initial_state(torch.nn.GRU(3, 4, num_layers=2), "zeros", 5).shape
torch.Size([2, 5, 4])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import ArgumentTypeError, InitializerError
from .kinds import Learned, StateInitLike, draw, learned_name, resolve_init
from .modules import InitialState, State
from .shapes import resolve_target, spec_of

__all__ = ["initial_state"]


def initial_state(
    rnn: nn.Module,
    init: StateInitLike | Callable[..., Any] | InitialState = "zeros",
    batch_size: int | None = None,
    *,
    like: torch.Tensor | PackedSequence | None = None,
    generator: torch.Generator | None = None,
    eval_random: bool = False,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> State:
    """Return the initial state of ``rnn``: ``h0`` (RNN, GRU) or ``(h0, c0)`` (LSTM).

    Shapes follow PyTorch (``torch/nn/modules/rnn.py``), whatever ``batch_first`` says:
    ``h0`` is ``(L*D, N, H_out)`` and ``c0`` is ``(L*D, N, H)`` with ``L = num_layers``,
    ``D = 2 if bidirectional else 1``, ``H_out = proj_size or hidden_size``; without a batch
    (``batch_size=None`` and no ``like``, or an unbatched ``like``) ``(L*D, H_out)``. Cells:
    ``(N, H)`` or ``(H,)``. (Equations and gate names: :mod:`rnninit.layouts`.)

    ``like`` (the input tensor or ``PackedSequence``, whose batch is ``batch_sizes[0]``) gives
    batch size, dtype and device; otherwise they come from ``batch_size`` and the module's
    parameters (``dtype=``/``device=`` override them).

    ``init`` takes the forms of a weight initializer (see :mod:`rnninit.states.kinds`): a name
    from :data:`rnninit.states.STATE_KINDS` without trainable parameters (``"zeros"``,
    ``"constant"``, ``"uniform"``, ``"normal"``, ``"xavier_uniform"``, ``"xavier_normal"``), a
    number (a constant), ``(name, kwargs)`` such as ``("normal", {"std": 0.5})``, a dict, or a
    callable that fills a tensor. Xavier uses ``fan_in = fan_out = width`` of each state vector
    (Glorot & Bengio 2010), independent of the batch size. The learned kinds (``"learned"``,
    ``"learned_noisy"``, ``"conditional"``) hold trainable parameters: build an
    :class:`~rnninit.InitialState` and pass it as ``init=`` (or call it).

    Random initializers draw from ``generator`` (deterministic with a seeded one). When ``rnn``
    is in eval mode they give their mean instead (uniform ``(low+high)/2``, normal ``mean``,
    xavier 0) unless ``eval_random=True``: evaluation is deterministic by default.

    >>> lstm = nn.LSTM(3, 4, num_layers=2, proj_size=2)
    >>> h0, c0 = initial_state(lstm, "normal", batch_size=5, generator=torch.Generator())
    >>> tuple(h0.shape), tuple(c0.shape)
    ((2, 5, 2), (2, 5, 4))
    >>> initial_state(nn.GRU(3, 4), 0.5, batch_size=1).tolist()
    [[[0.5, 0.5, 0.5, 0.5]]]
    """
    spec = spec_of(rnn)
    if isinstance(init, InitialState):
        if eval_random or dtype is not None or device is not None:
            raise ArgumentTypeError(
                "with init=<InitialState>, eval_random, dtype and device are those of the "
                "InitialState module; pass only batch_size/like/generator"
            )
        if not init.spec.compatible(spec):
            raise InitializerError(
                f"init= is an InitialState built for {init.spec.describe()}, whose states do "
                f"not fit {spec.describe()}"
            )
        if init.takes_context:
            raise ArgumentTypeError(
                "a conditional InitialState needs its context: call state(context)"
            )
        built: State = init(batch_size, like=like, generator=generator)
        return built
    learned = learned_name(init)
    if learned is not None:
        raise InitializerError(
            f"init={learned!r} holds trainable parameters, so it needs a module to own "
            f"them: state = rnninit.InitialState(rnn, {init!r}) (a submodule of your "
            "model, so the optimizer sees it), then state(batch_size) or "
            "rnninit.initial_state(rnn, state, like=x)"
        )
    resolved = resolve_init(init)
    assert not isinstance(resolved, Learned)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ArgumentTypeError(
            f"generator must be a torch.Generator, got {type(generator).__name__}"
        )
    ref = next(iter(rnn.parameters()), None)
    default_dtype = ref.dtype if ref is not None else torch.get_default_dtype()
    default_device = ref.device if ref is not None else torch.device("cpu")
    info = resolve_target(spec, batch_size, like, default_dtype, default_device)
    out_dtype = dtype if dtype is not None else info.dtype
    out_device = torch.device(device) if device is not None else info.device
    random = rnn.training or bool(eval_random)
    parts = [
        draw(
            resolved,
            shape,
            width,
            dtype=out_dtype,
            device=out_device,
            generator=generator,
            random=random,
        )
        for shape, width in zip(spec.shapes(info.batch_size), spec.widths, strict=True)
    ]
    return (parts[0], parts[1]) if len(parts) == 2 else parts[0]
