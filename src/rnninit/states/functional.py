"""``initial_state``: the initial state of a recurrent module, of any kind, with the right shape."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import InitializerError
from .kinds import draw, get_kind, resolve
from .modules import InitialState, State
from .shapes import resolve_target, spec_of

__all__ = ["initial_state"]


def initial_state(
    rnn: nn.Module,
    batch_size: int | None = None,
    *,
    like: torch.Tensor | PackedSequence | None = None,
    kind: str | InitialState = "zeros",
    generator: torch.Generator | None = None,
    eval_random: bool = False,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    **params: Any,
) -> State:
    """Return the initial state of ``rnn``: ``h0`` (RNN, GRU) or ``(h0, c0)`` (LSTM).

    Shapes follow PyTorch (``torch/nn/modules/rnn.py``), whatever ``batch_first`` says:
    ``h0`` is ``(L*D, N, H_out)`` and ``c0`` is ``(L*D, N, H)`` with ``L = num_layers``,
    ``D = 2 if bidirectional else 1``, ``H_out = proj_size or hidden_size``; without a batch
    (``batch_size=None`` and no ``like``, or an unbatched ``like``) ``(L*D, H_out)``. Cells:
    ``(N, H)`` or ``(H,)``.

    ``like`` (the input tensor or ``PackedSequence``, whose batch is ``batch_sizes[0]``) gives
    batch size, dtype and device; otherwise they come from ``batch_size`` and the module's
    parameters (``dtype=``/``device=`` override them).

    ``kind`` is one of :data:`rnninit.STATE_KINDS` without parameters of its own:
    ``zeros``; ``constant`` (``value=``); ``uniform`` (``low=-0.5, high=0.5`` or ``scale=``);
    ``normal`` (``mean=0, std=0.1``); ``xavier_uniform`` / ``xavier_normal`` (``gain=1``), with
    ``std = gain / sqrt(width)`` from the state's own width (Glorot & Bengio 2010 with
    ``fan_in = fan_out = width``), independent of the batch size. ``learned``,
    ``learned_noisy`` and ``conditional`` hold trainable parameters: build an
    :class:`~rnninit.InitialState` and pass it as ``kind=`` (or call it).

    Random kinds draw from ``generator`` (deterministic with a seeded one). When ``rnn`` is in
    eval mode they give their mean instead (uniform ``(low+high)/2``, normal ``mean``, xavier
    0) unless ``eval_random=True``: evaluation is deterministic by default.
    """
    spec = spec_of(rnn)
    if isinstance(kind, InitialState):
        if params or eval_random or dtype is not None or device is not None:
            raise TypeError(
                "with kind=<InitialState>, the kind's parameters, eval_random, dtype and device "
                "are those of the InitialState module; pass only batch_size/like/generator"
            )
        if not kind.spec.compatible(spec):
            raise InitializerError(
                f"kind= is an InitialState built for {kind.spec.describe()}, whose states do "
                f"not fit {spec.describe()}"
            )
        if kind.kind == "conditional":
            raise TypeError("a conditional InitialState needs its context: call state(context)")
        built: State = kind(batch_size, like=like, generator=generator)
        return built
    k = get_kind(kind)
    if k.learned:
        raise InitializerError(
            f"kind={k.name!r} holds trainable parameters, so it needs a module to own them: "
            f"state = rnninit.InitialState(rnn, kind={k.name!r}) (a submodule of your model, so "
            "the optimizer sees it), then state(batch_size) or "
            "rnninit.initial_state(rnn, like=x, kind=state)"
        )
    resolved = resolve(k, params)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    ref = next(iter(rnn.parameters()), None)
    default_dtype = ref.dtype if ref is not None else torch.get_default_dtype()
    default_device = ref.device if ref is not None else torch.device("cpu")
    info = resolve_target(spec, batch_size, like, default_dtype, default_device)
    out_dtype = dtype if dtype is not None else info.dtype
    out_device = torch.device(device) if device is not None else info.device
    random = rnn.training or bool(eval_random)
    parts = [
        draw(
            k,
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
