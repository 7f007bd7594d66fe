"""``Recurrent``: a drop-in wrapper that gives ``nn.RNN``/``nn.LSTM``/``nn.GRU`` an initial state
from any initializer, shape checks, and an optional carried (stateful) state for truncated BPTT.

>>> rec = Recurrent(nn.LSTM(3, 4, batch_first=True), "learned", stateful=True)
>>> out, (h, c) = rec(torch.randn(2, 7, 3))
>>> out.shape, h.shape, rec.carried_state is not None
(torch.Size([2, 7, 4]), torch.Size([1, 2, 4]), True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import (
    ArgumentTypeError,
    ArgumentValueError,
    ExportError,
    InitializerError,
    StateShapeError,
    shown,
)
from .kinds import StateInitLike
from .modules import InitialState, State
from .shapes import BatchInfo, batch_of, check_state_for, spec_of

__all__ = ["Recurrent"]

_FORWARDED = frozenset(
    {
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
        "mode",
        "all_weights",
    }
)


def _detach(state: State) -> State:
    if isinstance(state, tuple):
        return (state[0].detach(), state[1].detach())
    return state.detach()


def _parts(state: State) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def _pack(parts: Sequence[torch.Tensor]) -> State:
    return (parts[0], parts[1]) if len(parts) == 2 else parts[0]


def _capture() -> str | None:
    """The graph capture running now if it keeps no Python state between calls, else ``None``.

    ``torch.jit.trace`` (and the legacy ONNX exporter built on it) and ``torch.export`` (and
    ``torch.onnx.export(dynamo=True)``) record one call; ``torch.compile`` guards on Python
    attributes and recompiles, so a carried state works there.
    """
    if torch.jit.is_tracing():  # type: ignore[attr-defined,no-untyped-call]
        return "torch.jit.trace"
    exporting = getattr(torch.compiler, "is_exporting", None)  # torch >= 2.3
    if exporting is not None and exporting():
        return "torch.export"
    return None


class Recurrent(nn.Module):
    """Wrap ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` so that it builds its own initial state.

    ``Recurrent(rnn, init="learned", stateful=False, *, generator=None, eval_random=False)``.
    ``init`` takes every form :class:`~rnninit.InitialState` takes (a name from
    :data:`rnninit.states.STATE_KINDS`, a number, ``(name, kwargs)`` such as
    ``("learned_noisy", {"noise_std": 0.1})``, a dict, a callable) or an
    :class:`~rnninit.InitialState`; the module is kept as the submodule ``initial_state``.
    ``forward(input, state=None, context=None)`` returns exactly what the wrapped module
    returns,
    ``(output, h_n)`` or ``(output, (h_n, c_n))``:

    * ``state=None``: the state is built from the input (batched, unbatched, ``batch_first``,
      ``PackedSequence``: batch size, dtype and device from it); ``context`` feeds a
      ``conditional`` state;
    * ``state`` given: validated (structure, shapes, dtype, device; the message names expected
      and given shapes and the likely cause, such as a batch-first ``h0``) and passed through.

    ``stateful=True`` carries the final state into the next call, detached (truncated
    backpropagation through time, Williams & Peng 1990: gradients stop at chunk boundaries, so
    the graph does not grow). ``reset()`` forgets it (the next call may change the batch
    size); ``reset(mask)`` restarts the rows where ``mask`` is True (or the listed indices) at
    the module's initial state on the next call, e.g. at episode ends or document boundaries.
    A learned initial state stays in the graph of every stateful call (with zero gradient on
    carried rows), so ``DistributedDataParallel`` sees all parameters used. The carried state
    is a plain attribute, not a buffer: it is per process under DDP and not in ``state_dict``.
    So ``torch.jit.trace`` and ``torch.export`` (and the ONNX exporters built on them), which
    record one call, raise :class:`~rnninit.errors.ExportError` for a stateful ``Recurrent``
    (capture ``stateful=False`` and pass the state in and out); ``torch.compile`` runs it.

    Attributes of the wrapped module (``hidden_size``, ``batch_first``, ...) read through.

    >>> rec = Recurrent(nn.GRU(3, 4), ("normal", {"std": 0.5}))
    >>> rec.hidden_size, rec.initial_state.name
    (4, 'normal')
    """

    def __init__(
        self,
        rnn: nn.Module,
        init: StateInitLike | Callable[..., Any] | InitialState = "learned",
        stateful: bool = False,
        *,
        generator: torch.Generator | None = None,
        eval_random: bool = False,
    ) -> None:
        if not isinstance(rnn, nn.RNNBase):
            if isinstance(rnn, nn.RNNCellBase):
                raise ArgumentTypeError(
                    f"Recurrent wraps sequence modules (nn.RNN, nn.LSTM, nn.GRU); "
                    f"{type(rnn).__name__} is a Cell: loop over time yourself and build the "
                    f"state with rnninit.InitialState(cell, ...) or rnninit.initial_state(cell)"
                )
            raise ArgumentTypeError(
                f"Recurrent wraps nn.RNN, nn.LSTM or nn.GRU, got {type(rnn).__name__}"
            )
        spec = spec_of(rnn)
        if isinstance(init, InitialState):
            if generator is not None or eval_random:
                raise ArgumentTypeError(
                    "init is an InitialState module: give generator and eval_random to it, "
                    "not to Recurrent"
                )
            if not init.spec.compatible(spec):
                raise InitializerError(
                    f"init was built for {init.spec.describe()}, whose states do not fit "
                    f"{spec.describe()}"
                )
            state_module = init
        else:
            state_module = InitialState(rnn, init, generator=generator, eval_random=eval_random)
        super().__init__()
        self.rnn = rnn
        self.initial_state = state_module
        self.stateful = bool(stateful)
        self._spec = spec
        self._carry: State | None = None
        self._pending: torch.Tensor | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in _FORWARDED:
                return getattr(self._modules["rnn"], name)
            raise

    def extra_repr(self) -> str:
        return f"stateful={self.stateful}"

    def flatten_parameters(self) -> None:
        """Call the wrapped module's ``flatten_parameters()`` (cuDNN weight packing)."""
        rnn = self.rnn
        assert isinstance(rnn, nn.RNNBase)
        rnn.flatten_parameters()

    @property
    def carried_state(self) -> State | None:
        """The detached state carried to the next call (``None`` if nothing is carried)."""
        return self._carry

    def reset(self, mask: torch.Tensor | Sequence[int] | None = None) -> None:
        """Restart the carried state.

        ``reset()`` forgets it: the next call starts every row at the initial state and may
        change the batch size. ``reset(mask)``, with a bool tensor of shape ``(N,)`` or a list
        of row indices, restarts only those rows at the next call; other rows keep their
        carried state. Several masks before one call accumulate. A mask needs a carried state
        to be checked against (its batch size): before the first call, after ``reset()`` or
        with ``stateful=False`` it raises :class:`~rnninit.errors.ArgumentValueError` (every
        row starts at the initial state then anyway), a bool mask of the wrong length or an
        index out of range :class:`~rnninit.errors.StateShapeError`; nothing is changed.

        >>> rec = Recurrent(nn.GRU(3, 4), "zeros", stateful=True)
        >>> _ = rec(torch.randn(5, 2, 3))
        >>> rec.reset([1])  # row 1 restarts at the initial state on the next call
        >>> rec.reset()
        >>> rec.carried_state is None
        True
        """
        if mask is None:
            self._carry = None
            self._pending = None
            return
        if self._carry is None:
            self._check_mask_type(mask)
            why = (
                "stateful=False" if not self.stateful else "before the first call or after reset()"
            )
            raise ArgumentValueError(
                f"reset(mask={shown(mask)}): nothing is carried ({why}), so there are no rows "
                "to restart and the mask cannot be checked against a batch size; every row "
                "starts at the initial state on the next call anyway: call reset() without a "
                "mask, or reset(mask) after a call"
            )
        h = _parts(self._carry)[0]
        if h.dim() == 2:
            raise StateShapeError(
                "the carried state is unbatched (the last input had no batch dimension): "
                "call reset() without a mask"
            )
        n = h.shape[1]
        rows = self._as_mask(mask, n, h.device)
        self._pending = rows if self._pending is None else (self._pending | rows)

    @staticmethod
    def _check_mask_type(mask: object) -> None:
        if isinstance(mask, torch.Tensor):
            return
        if isinstance(mask, Sequence) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in mask
        ):
            return
        raise ArgumentTypeError(
            f"mask must be a bool tensor (N,) or a list of row indices, got {type(mask).__name__}"
        )

    def _as_mask(self, mask: object, n: int, device: torch.device) -> torch.Tensor:
        self._check_mask_type(mask)
        if isinstance(mask, torch.Tensor) and mask.dtype == torch.bool:
            if mask.shape != (n,):
                raise StateShapeError(
                    f"reset mask must have shape ({n},) (the carried batch size), "
                    f"got {tuple(mask.shape)}"
                )
            return mask.to(device)
        if isinstance(mask, torch.Tensor) and (
            mask.dim() != 1 or mask.dtype.is_floating_point or mask.dtype.is_complex
        ):
            raise ArgumentTypeError(
                f"mask must be a bool tensor (N,) or 1-D integer indices, got dtype {mask.dtype} "
                f"and shape {tuple(mask.shape)}"
            )
        idx = mask.tolist() if isinstance(mask, torch.Tensor) else list(mask)  # type: ignore[call-overload]
        bad = [i for i in idx if not -n <= i < n]
        if bad:
            raise StateShapeError(
                f"reset indices {bad} out of range for the carried batch size {n}"
            )
        rows = torch.zeros(n, dtype=torch.bool, device=device)
        rows[torch.as_tensor(idx, dtype=torch.long, device=device)] = True
        return rows

    def forward(
        self,
        input: torch.Tensor | PackedSequence,
        state: State | None = None,
        context: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor | PackedSequence, State]:
        """Run the wrapped module from ``state`` or from a built (or carried) initial state.

        ``context`` may also come third by position: the legacy ONNX exporter and
        ``torch.jit.trace(..., example_kwarg_inputs=...)`` pass every argument by position.

        >>> rec = Recurrent(nn.LSTM(3, 4), ("normal", {"std": 0.1}))
        >>> out, (h, c) = rec(torch.randn(6, 2, 3))
        >>> tuple(out.shape), tuple(h.shape)
        ((6, 2, 4), (1, 2, 4))
        """
        if self.stateful:
            capture = _capture()
            if capture is not None:
                raise ExportError(
                    f"{capture} cannot capture a stateful Recurrent: it carries the final state "
                    "to the next call in a Python attribute, which a captured graph does not "
                    "keep (the program would start every call from the initial state). Capture "
                    "one stateless step and carry the state yourself: set rec.stateful = False "
                    "(or build it with stateful=False) and call out, state = rec(x, state); "
                    "torch.compile runs a stateful Recurrent as it is. "
                    "See 'Export and compilation' in docs/states.md"
                )
        info = batch_of(self._spec, input)
        if state is not None:
            if context is not None:
                raise ArgumentTypeError(
                    "give either state= or context= (a context builds the state)"
                )
            check_state_for(self._spec, state, info)
            start = state
        elif self.stateful and self._carry is not None:
            start = self._from_carry(info, context)
        else:
            start = self._fresh(info, context)
        output, final = self.rnn(input, start)
        if self.stateful:
            self._carry = _detach(final)
            self._pending = None
        return output, final

    def _fresh(self, info: BatchInfo, context: torch.Tensor | None) -> State:
        state = self.initial_state
        if state.takes_context:
            if context is None:
                raise ArgumentTypeError(
                    "this Recurrent has a conditional initial state: call it with "
                    "context=<(N, context_size) tensor>"
                )
            target = state._context_target(context, None, None, info.dtype, info.device)
            if target.batch_size != info.batch_size:
                given = "no batch dimension" if target.batch_size is None else target.batch_size
                wanted = "no batch dimension" if info.batch_size is None else info.batch_size
                raise StateShapeError(
                    f"context has shape {tuple(context.shape)} (batch size: {given}) but the "
                    f"input has {wanted} ({info.source})"
                )
            return state.build(target, context=context)
        if context is not None:
            raise ArgumentTypeError(
                f"context= is for a conditional initial state, not {state.name!r}"
            )
        return state.build(info)

    def _from_carry(self, info: BatchInfo, context: torch.Tensor | None) -> State:
        assert self._carry is not None
        carry = _parts(self._carry)
        carried_n = carry[0].shape[1] if carry[0].dim() == 3 else None
        if carried_n != info.batch_size:
            now = "is unbatched" if info.batch_size is None else f"has batch size {info.batch_size}"
            was = (
                "an unbatched state" if carried_n is None else f"a state for batch size {carried_n}"
            )
            raise StateShapeError(
                f"stateful Recurrent carries {was} but this input {now} "
                f"({info.source}); call reset() first to start new sequences"
            )
        carry = tuple(c.to(device=info.device, dtype=info.dtype) for c in carry)
        pending = self._pending
        need_graph = (
            self.initial_state.is_learned
            and torch.is_grad_enabled()
            and any(p.requires_grad for p in self.initial_state.parameters())
        )
        if pending is None and not need_graph:
            return _pack(carry)
        if self.initial_state.takes_context and context is None:
            if pending is not None:
                raise ArgumentTypeError(
                    "rows are reset and the initial state is conditional: pass context="
                )
            return _pack(carry)
        init = _parts(self._fresh(info, context))
        if pending is None:
            cond = torch.zeros((), dtype=torch.bool, device=info.device)
        else:
            cond = pending.to(info.device).view(1, -1, 1)
        return _pack([torch.where(cond, i, c) for i, c in zip(init, carry, strict=True)])
