"""``InitialState``: a module that produces the initial state of a recurrent module.

It holds what a state kind needs (trainable ``h0``/``c0`` for ``learned`` kinds, a projection
for ``conditional``, a generator for random kinds) and builds states of the right shape:
``(L*D, N, H_out)`` for ``h`` and ``(L*D, N, H)`` for ``c``, ``(L*D, H_out)`` unbatched, and
``(N, H)`` / ``(H,)`` for the Cell classes.
"""

from __future__ import annotations

from typing import Any, Union

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import StateShapeError
from .kinds import StateKind, draw, get_kind, resolve
from .shapes import BatchInfo, StateSpec, resolve_target, spec_of

__all__ = ["InitialState", "State"]

#: ``h0`` (RNN, GRU, their cells) or ``(h0, c0)`` (LSTM, LSTMCell).
State = Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]


def _reference(module: nn.Module) -> torch.Tensor:
    for p in module.parameters():
        return p
    return torch.empty(0)


class InitialState(nn.Module):
    """Produce the initial state of ``rnn`` (``nn.RNN``/``nn.LSTM``/``nn.GRU`` or a Cell).

    ``InitialState(rnn, kind="learned", *, generator=None, eval_random=False, **params)``;
    call it as ``state(batch_size)``, ``state(like=input)`` or ``state(context)`` for the
    ``conditional`` kind. It returns ``h0`` or ``(h0, c0)`` (LSTMs). ``rnn`` is only read for
    its shapes, dtype and device; it is not stored.

    Kinds (see :data:`rnninit.STATE_KINDS` and ``docs/states.md``):

    * ``learned``: trainable ``h0`` of shape ``(L*D, H_out)`` (and ``c0``, ``(L*D, H)``),
      zero at the start, broadcast over the batch with ``expand`` (no copy); the gradient is
      the sum over the batch. Saved in ``state_dict`` as ``h0``/``c0``. Sonnet 2's
      ``TrainableState``; S. Pitis, *Non-zero initial states for RNNs* (2016).
    * ``learned_noisy`` (``noise_std=0.1``): ``h0 + noise_std * eps``, ``eps ~ N(0, 1)`` per
      sample, in training; exactly ``h0`` in eval (Pitis 2016).
    * ``conditional`` (``context_size=``, ``activation="tanh"``): ``h0 = act(W_h ctx + b_h)``
      (and ``c0 = act(W_c ctx + b_c)``) with ``W_h`` of shape ``(L*D*H_out, context_size)``,
      as in Xu et al. 2015 (*Show, Attend and Tell*); ``ctx`` is ``(N, context_size)`` or
      ``(context_size,)``. ``nn.Linear`` default initialization.
    * the parameter-free kinds of :func:`rnninit.initial_state` (``zeros``, ``constant``,
      ``uniform``, ``normal``, ``xavier_uniform``, ``xavier_normal``).

    Eval mode: a random kind gives its mean (``learned_noisy`` gives ``h0``; uniform
    ``(low+high)/2``; normal ``mean``; xavier 0) unless ``eval_random=True``.
    """

    spec: StateSpec
    kind: str
    params: dict[str, Any]
    eval_random: bool

    def __init__(
        self,
        rnn: nn.Module,
        kind: str = "learned",
        *,
        generator: torch.Generator | None = None,
        eval_random: bool = False,
        **params: Any,
    ) -> None:
        super().__init__()
        spec = spec_of(rnn)
        k = get_kind(kind)
        resolved = resolve(k, params)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        ref = _reference(rnn)
        dtype, device = ref.dtype, ref.device
        self.spec = spec
        self.kind = k.name
        self._kind: StateKind = k
        self.params = resolved
        self.generator = generator
        self.eval_random = bool(eval_random)
        if k.name in ("learned", "learned_noisy"):
            for name, width in zip(spec.names, spec.widths, strict=True):
                shape = (width,) if spec.is_cell else (spec.layers_dirs, width)
                self.register_parameter(
                    name, nn.Parameter(torch.zeros(shape, dtype=dtype, device=device))
                )
        elif k.name == "conditional":
            size = resolved["context_size"]
            ld = 1 if spec.is_cell else spec.layers_dirs
            self.proj_h = nn.Linear(size, ld * spec.hidden_out, dtype=dtype, device=device)
            if spec.has_cell_state:
                self.proj_c = nn.Linear(size, ld * spec.hidden_size, dtype=dtype, device=device)
        else:  # tracks .to(dtype/device) for states built without like=
            self.register_buffer("_anchor", torch.empty(0, dtype=dtype, device=device), False)

    @property
    def is_learned(self) -> bool:
        """True when the state holds trainable parameters."""
        return self._kind.learned

    def extra_repr(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"{self.spec.describe()}, kind={self.kind!r}{params}"

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

        The ``conditional`` kind takes ``context`` (or a tensor as first argument) of shape
        ``(N, context_size)`` or ``(context_size,)``; ``generator`` overrides the one given at
        construction for this call.
        """
        if isinstance(batch_size, torch.Tensor):
            if self.kind != "conditional":
                raise TypeError(
                    f"InitialState(kind={self.kind!r}) takes a batch size, not a tensor; "
                    "pass the input as like=input (a tensor is the context only for "
                    "kind='conditional')"
                )
            if context is not None:
                raise TypeError("context given twice (positionally and as context=)")
            context, batch_size = batch_size, None
        dtype, device = self._defaults()
        if self.kind == "conditional":
            info = self._context_target(context, batch_size, like, dtype, device)
        else:
            if context is not None:
                raise TypeError(f"context= is for kind='conditional', not {self.kind!r}")
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
            raise TypeError(
                f"InitialState(kind='conditional') needs a context of shape (N, {size}) or "
                f"({size},): call state(context)"
            )
        if not isinstance(context, torch.Tensor):
            raise TypeError(f"context must be a torch.Tensor, got {type(context).__name__}")
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
        """
        if random is None:
            random = self.training or self.eval_random
        gen = generator if generator is not None else self.generator
        spec, n = self.spec, info.batch_size
        parts: list[torch.Tensor] = []
        for name, width in zip(spec.names, spec.widths, strict=True):
            if self.kind in ("learned", "learned_noisy"):
                t = self._broadcast(getattr(self, name), n).to(info.dtype)
                if self.kind == "learned_noisy" and random and self.params["noise_std"] > 0:
                    noise = torch.empty(t.shape, dtype=t.dtype, device=t.device)
                    t = t + noise.normal_(0.0, self.params["noise_std"], generator=gen)
            elif self.kind == "conditional":
                if context is None:
                    raise TypeError("kind='conditional' needs a context")
                t = self._project(name, context, width)
            else:
                shape = spec.shapes(n)[spec.names.index(name)]
                t = draw(
                    self._kind,
                    self.params,
                    shape,
                    width,
                    dtype=info.dtype,
                    device=info.device,
                    generator=gen,
                    random=random,
                )
            parts.append(t)
        return (parts[0], parts[1]) if len(parts) == 2 else parts[0]

    def _broadcast(self, p: torch.Tensor, n: int | None) -> torch.Tensor:
        if n is None:
            return p.view_as(p)
        if self.spec.is_cell:
            return p.unsqueeze(0).expand(n, p.shape[0])
        return p.unsqueeze(1).expand(p.shape[0], n, p.shape[1])

    def _project(self, name: str, context: torch.Tensor, width: int) -> torch.Tensor:
        proj = self.proj_h if name == "h0" else self.proj_c
        assert isinstance(proj, nn.Linear)
        y: torch.Tensor = proj(context.to(proj.weight.dtype))
        if self.params["activation"] == "tanh":
            y = torch.tanh(y)
        if self.spec.is_cell:
            return y
        ld = self.spec.layers_dirs
        if context.dim() == 1:
            return y.view(ld, width)
        return y.view(context.shape[0], ld, width).transpose(0, 1).contiguous()
