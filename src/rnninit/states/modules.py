"""``InitialState``: a module that produces the initial state of a recurrent module.

It holds what a state kind needs (trainable ``h0``/``c0`` for ``learned`` kinds, a projection
for ``conditional``, a generator for random kinds) and builds states of the right shape:
``(L*D, N, H_out)`` for ``h`` and ``(L*D, N, H)`` for ``c``, ``(L*D, H_out)`` unbatched, and
``(N, H)`` / ``(H,)`` for the Cell classes. Initializers: :mod:`rnninit.states.kinds`.

>>> state = InitialState(nn.GRUCell(3, 4), ("conditional", {"context_size": 2}))
>>> state(torch.zeros(5, 2)).shape
torch.Size([5, 4])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, Union

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import ArgumentTypeError, ExportError, InitializerError, StateShapeError
from ..initializers._registry import dry_run
from .kinds import Learned, Part, StateInit, StateInitLike, draw, resolve_init
from .shapes import BatchInfo, StateSpec, resolve_target, spec_of

__all__ = ["InitialState", "State"]

#: ``h0`` (RNN, GRU, their cells) or ``(h0, c0)`` (LSTM, LSTMCell).
State = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]


def _reference(module: nn.Module) -> torch.Tensor:
    for p in module.parameters():
        return p
    return torch.empty(0)


class InitialState(nn.Module):
    r"""Produce the initial state of ``rnn`` (``nn.RNN``/``nn.LSTM``/``nn.GRU`` or a Cell).

    ``InitialState(rnn, init="learned", *, generator=None, eval_random=False)``; call it as
    ``state(batch_size)``, ``state(like=input)`` or ``state(context)`` for
    ``init=("conditional", {...})``. It returns ``h0`` or ``(h0, c0)`` (LSTMs). ``rnn`` is only
    read for its shapes, dtype and device; it is not stored.

    ``init`` takes the forms of :func:`rnninit.initial_state` (a registered name such as
    ``"zeros"``, ``"normal"``, ``"xavier_uniform"``; a number; ``(name, kwargs)``; a dict; a
    callable) and the learned kinds (see :mod:`rnninit.states.kinds`, ``docs/states.md``):

    * ``"learned"``: trainable ``h0`` of shape ``(L*D, H_out)`` (and ``c0``, ``(L*D, H)``),
      zero at the start, repeated over the batch (``expand``, then one contiguous copy, which
      the ONNX exporter needs); the gradient is the sum over the batch. Saved in
      ``state_dict`` as ``h0``/``c0``. Sonnet 2's
      ``TrainableState``; S. Pitis, *Non-zero initial states for RNNs* (2016).
    * ``("learned_noisy", {"noise_std": 0.1})``: $h_0 + s \epsilon$,
      $\epsilon \sim \mathcal{N}(0, 1)$, $s$ = ``noise_std``, per sample, in training;
      exactly ``h0`` in eval (Pitis 2016).
    * ``("conditional", {"context_size": k, "activation": "tanh"})``:
      $h_0 = \phi(W_h c + b_h)$ (and $c_0 = \phi(W_c c + b_c)$), $\phi$ = ``activation``,
      for the context $c$ = ``ctx``, with $W_h$ of shape
      ``(L*D*H_out, k)``, as in Xu et al. 2015 (*Show, Attend and Tell*); ``ctx`` is ``(N, k)``
      or ``(k,)``. ``nn.Linear`` default initialization.

    Eval mode: a random init gives its mean (``learned_noisy`` gives ``h0``; uniform
    $(a + b) / 2$ for $\mathcal{U}(a, b)$; normal ``mean``; xavier 0) unless ``eval_random=True``.

    >>> lstm = nn.LSTM(3, 4, num_layers=2)
    >>> state = InitialState(lstm, "learned")
    >>> h0, c0 = state(5)
    >>> tuple(h0.shape), tuple(c0.shape), sorted(state.state_dict())
    ((2, 5, 4), (2, 5, 4), ['c0', 'h0'])
    """

    spec: StateSpec
    init: StateInit
    eval_random: bool

    def __init__(
        self,
        rnn: nn.Module,
        init: StateInitLike | Callable[..., Any] = "learned",
        *,
        generator: torch.Generator | None = None,
        eval_random: bool = False,
    ) -> None:
        super().__init__()
        spec = spec_of(rnn)
        resolved = resolve_init(init)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ArgumentTypeError(
                f"generator must be a torch.Generator, got {type(generator).__name__}"
            )
        ref = _reference(rnn)
        dtype, device = ref.dtype, ref.device
        self.spec = spec
        self.init = resolved
        self.generator = generator
        self.eval_random = bool(eval_random)
        if isinstance(resolved, Learned):
            resolved.kind.make(self, spec, resolved.params, dtype, device)
        else:
            for shape, width in zip(spec.shapes(1), spec.widths, strict=True):
                try:  # every check of the real draw, on the meta device: fail here, not later
                    dry_run(resolved, shape, {"fans": (width, width)})
                except InitializerError as exc:
                    raise InitializerError(f"init={init!r}: {exc}") from None
            # tracks .to(dtype/device) for states built without like=
            self.register_buffer("_anchor", torch.empty(0, dtype=dtype, device=device), False)

    @property
    def name(self) -> str:
        """The initializer's name (``"learned"``, ``"normal"``, ``"callable"``, ...)."""
        return self.init.name

    @property
    def kind(self) -> str:
        """Alias of :attr:`name`, for callers written before ``init=``."""
        return self.name

    @property
    def params(self) -> dict[str, Any]:
        """The initializer's parameters as given (learned kinds: complete, with defaults)."""
        init = self.init
        return dict(init.params) if isinstance(init, Learned) else dict(init.kwargs)

    @property
    def is_learned(self) -> bool:
        """True when the state holds trainable parameters."""
        return isinstance(self.init, Learned)

    @property
    def takes_context(self) -> bool:
        """True for ``conditional``: the state is computed from a context tensor."""
        return isinstance(self.init, Learned) and self.init.kind.takes_context

    def extra_repr(self) -> str:
        return f"{self.spec.describe()}, init={self.init!r}"

    def __prepare_scriptable__(self) -> NoReturn:
        """``torch.jit.script`` calls this on every submodule before compiling: raise there.

        TorchScript cannot type this module's Python-only arguments (a batch size or a
        context, ``PackedSequence``, generators), nor run the keyword forward pre-hook that
        supplies an attached state; ``torch.jit.trace`` and ``torch.export`` run both.
        """
        raise ExportError(
            "torch.jit.script cannot compile an rnninit InitialState (attached by "
            "attach_initial_state, or inside rnninit.Recurrent): TorchScript types neither its "
            "Python arguments nor the keyword forward pre-hook that supplies an attached state. "
            "Use torch.jit.trace(model, example_inputs) (the state follows each input's batch "
            "size), torch.export.export(model, args, dynamic_shapes=...) or "
            "torch.onnx.export(model, args, dynamo=True, dynamic_shapes=...); or script the "
            "model after rnninit.states.remove_initial_state(rnn), passing hx yourself. "
            "See 'Export and compilation' in docs/states.md"
        )

    def _defaults(self) -> tuple[torch.dtype, torch.device]:
        ref: torch.Tensor | None = next(iter(self.parameters()), None)
        if ref is None:
            anchor = self._anchor
            assert isinstance(anchor, torch.Tensor)
            ref = anchor
        return ref.dtype, ref.device

    def forward(
        self,
        batch_size: int | torch.Tensor | None = None,
        *,
        like: torch.Tensor | PackedSequence | None = None,
        context: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> State:
        """Build the state for ``batch_size`` (``None``: unbatched) or for the input ``like``.

        ``init="conditional"`` takes ``context`` (or a tensor as first argument) of shape
        ``(N, context_size)`` or ``(context_size,)``; ``generator`` overrides the one given at
        construction for this call.

        >>> gru = nn.GRU(3, 4, batch_first=True)
        >>> state = InitialState(gru, ("uniform", {"low": 0.0, "high": 1.0}))
        >>> state(like=torch.randn(2, 7, 3)).shape  # batch from the input; h0 is (L*D, N, H)
        torch.Size([1, 2, 4])
        """
        if isinstance(batch_size, torch.Tensor):
            if not self.takes_context:
                raise ArgumentTypeError(
                    f"InitialState(init={self.name!r}) takes a batch size, not a tensor; "
                    "pass the input as like=input (a tensor is the context only for "
                    "init='conditional')"
                )
            if context is not None:
                raise ArgumentTypeError("context given twice (positionally and as context=)")
            context, batch_size = batch_size, None
        dtype, device = self._defaults()
        if self.takes_context:
            info = self._context_target(context, batch_size, like, dtype, device)
        else:
            if context is not None:
                raise ArgumentTypeError(f"context= is for init='conditional', not {self.name!r}")
            info = resolve_target(self.spec, batch_size, like, dtype, device)
        return self.build(info, context=context, generator=generator)

    def _context_target(
        self,
        context: torch.Tensor | None,
        batch_size: object,
        like: object,
        dtype: torch.dtype,
        device: torch.device,
    ) -> BatchInfo:
        size = self.params["context_size"]
        if context is None:
            raise ArgumentTypeError(
                f"InitialState(init='conditional') needs a context of shape (N, {size}) or "
                f"({size},): call state(context)"
            )
        if not isinstance(context, torch.Tensor):
            raise ArgumentTypeError(f"context must be a torch.Tensor, got {type(context).__name__}")
        if context.dim() not in (1, 2) or context.shape[-1] != size:
            raise StateShapeError(
                f"context must have shape (N, {size}) or ({size},) (context_size={size}), "
                f"got {tuple(context.shape)}"
                + (
                    f": its width {context.shape[-1]} is not context_size={size}"
                    if context.dim() in (1, 2)
                    else ""
                )
            )
        n = context.shape[0] if context.dim() == 2 else None
        info = resolve_target(self.spec, batch_size, like, dtype, device)
        if (like is not None or batch_size is not None) and info.batch_size != n:
            other = "no batch dimension" if info.batch_size is None else info.batch_size
            raise StateShapeError(
                f"context has batch size {n} (shape {tuple(context.shape)}) but {info.source} "
                f"gives {other}"
            )
        return BatchInfo(n, info.dtype, info.device, "context")

    def build(
        self,
        info: BatchInfo,
        *,
        context: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        random: bool | None = None,
    ) -> State:
        """Build the state for an already resolved target (used by :class:`Recurrent`).

        ``random=None`` follows the mode: random in training or with ``eval_random=True``.

        >>> from rnninit.states.shapes import BatchInfo
        >>> state = InitialState(nn.GRU(2, 3), "zeros")
        >>> state.build(BatchInfo(4, torch.float32, torch.device("cpu"), "test")).shape
        torch.Size([1, 4, 3])
        """
        if random is None:
            random = self.training or self.eval_random
        gen = generator if generator is not None else self.generator
        spec, init, n = self.spec, self.init, info.batch_size
        if isinstance(init, Learned) and init.kind.takes_context and context is None:
            raise ArgumentTypeError(f"init={init.name!r} needs a context")
        parts: list[torch.Tensor] = []
        for shape, name, width in zip(spec.shapes(n), spec.names, spec.widths, strict=True):
            if isinstance(init, Learned):
                part = Part(name, width, n, context, gen, random, info.dtype)
                parts.append(init.kind.build(self, spec, init.params, part))
            else:
                parts.append(
                    draw(
                        init,
                        shape,
                        width,
                        dtype=info.dtype,
                        device=info.device,
                        generator=gen,
                        random=random,
                    )
                )
        return (parts[0], parts[1]) if len(parts) == 2 else parts[0]
