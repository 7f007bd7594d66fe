"""Running a model on calibration data, for the ``auto`` scheme (:mod:`rnninit.auto`).

What calibration needs from the data and the model, apart from the scheme's math: the batches
(one batch or the first few of an iterable), a check for NaN/inf, one forward pass with a
forward pre-hook on every recurrent module recording its real input and its sequence lengths,
the valid time steps of an input (padding excluded), one layer of a stacked module run alone,
second moments, and the ``torch.distributed`` reductions that make every rank agree.

A private module of :mod:`rnninit.auto` (the public entry points are
``init_(model, "auto", data=...)`` and :func:`rnninit.auto.auto_init_`); its ``__all__`` names
what the scheme's steps (``rnninit.auto._scheme``) use.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import ArgumentTypeError, CalibrationError, RnnInitError, a_kind
from ..layouts import layout_of

__all__ = [
    "Call",
    "Capture",
    "all_reduce",
    "as_call",
    "broadcast_from_rank0",
    "calibration_calls",
    "capture_pass",
    "check_finite",
    "layer_module",
    "lengths_tensor",
    "model_call",
    "reduce_max",
    "reduce_sum",
    "second_moment",
    "seq_len",
    "valid_rows",
]


@dataclass
class Capture:
    """What one recurrent module saw in a pass: its inputs and the longest sequence."""

    inputs: list[Any] = field(default_factory=list)
    max_len: int = 0
    calls: int = 0  # calls in the current forward (cells: one per step)
    first_call: int = -1  # global call index of its first call
    last_call: int = -1


@dataclass(frozen=True)
class Call:
    """The arguments of one calibration forward, ``model(*args, **kwargs)``."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def is_batch(value: object) -> bool:
    """One batch rather than an iterable of batches (a list is an iterable of batches)."""
    return isinstance(value, torch.Tensor | PackedSequence | tuple | Mapping)


def _positional(model: nn.Module) -> tuple[int, float] | None:
    """How many positional arguments ``model.forward`` requires and takes at most (None if its
    signature cannot be read)."""
    try:
        sig = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return None
    required, most = 0, 0.0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            most += 1
            required += p.default is p.empty
        elif p.kind is p.VAR_POSITIONAL:
            most = math.inf
    return required, most


def _binds_keywords(model: nn.Module, batch: Mapping[Any, Any]) -> bool:
    try:
        inspect.signature(model.forward).bind(**{str(k): v for k, v in batch.items()})
    except (TypeError, ValueError):
        return False
    return True


_INPUTS_HINT = (
    "pass inputs= (a function from one batch to the model's arguments: a tensor, a tuple of "
    "positional arguments or a dict of keyword arguments), e.g. inputs=lambda b: (b[0], b[1])"
)


def as_call(arguments: object) -> Call:
    """What ``inputs=`` returned, as a call: a tuple is the positional arguments, a dict the
    keyword arguments, anything else the one argument."""
    if isinstance(arguments, tuple) and not isinstance(arguments, PackedSequence):
        return Call(arguments)
    if isinstance(arguments, Mapping):
        return Call((), {str(k): v for k, v in arguments.items()})
    return Call((arguments,))


def model_call(model: nn.Module, batch: object, index: int) -> Call:
    """The call that one batch stands for (the rules of :func:`rnninit.auto.auto_init_`).

    A tensor or ``PackedSequence`` is the input. A tuple or list is the positional arguments
    when ``model.forward`` requires exactly that many (or it has one element); otherwise, for a
    forward that requires at most one, it is ``(inputs, targets, ...)`` as a DataLoader yields:
    the first element is the input (a tuple of arguments if it is a tuple), the rest is left
    out, as Keras' ``fit`` and fastai (one input by default) read a batch. A dict is the keyword
    arguments when they fit the signature, else the one argument of a forward that takes a dict.
    """
    if isinstance(batch, torch.Tensor | PackedSequence):
        return as_call(batch)
    counts = _positional(model)
    required, most = counts if counts is not None else (0, math.inf)
    where = f"batch {index} of data"
    if isinstance(batch, tuple | list):
        n = len(batch)
        if n and (n == required or (n == 1 and most >= 1)) and n <= most:
            return Call(tuple(batch))
        if n >= 2 and required <= 1:
            first = batch[0]
            if isinstance(first, list) or (
                isinstance(first, tuple) and not isinstance(first, PackedSequence)
            ):
                return Call(tuple(first))
            if isinstance(first, Mapping):
                return model_call(model, first, index)
            return Call((first,))
        raise CalibrationError(
            f"{where} is {a_kind(batch)} of {n} elements, but {type(model).__name__}.forward "
            f"requires {required} positional argument{'' if required == 1 else 's'}: the "
            f"batch is neither the arguments nor (inputs, targets); {_INPUTS_HINT}"
        )
    if isinstance(batch, Mapping):
        if _binds_keywords(model, batch):
            return as_call(batch)
        if required <= 1 and most >= 1:
            return Call((batch,))
        raise CalibrationError(
            f"{where} is a dict with keys {sorted(map(str, batch))}, which "
            f"{type(model).__name__}.forward does not take as keyword arguments; {_INPUTS_HINT}"
        )
    raise CalibrationError(
        f"{where} is {a_kind(batch)}; each batch must be a tensor, a PackedSequence, "
        f"a tuple or list (the arguments, or (inputs, targets) as a DataLoader yields) or a "
        f"dict; {_INPUTS_HINT}"
    )


def calibration_calls(
    model: nn.Module, data: object, max_batches: int, inputs: Callable[[Any], Any] | None = None
) -> list[Call]:
    """The calibration calls: from one batch, or the first ``max_batches`` of an iterable,
    each mapped to the model's arguments by ``inputs`` if given, else by :func:`model_call`."""
    if inputs is not None and not callable(inputs):
        raise ArgumentTypeError("inputs", inputs, "a callable from one batch to the arguments")
    single = is_batch(data) or (inputs is not None and not isinstance(data, Iterable))
    if not single and (isinstance(data, str | bytes) or not isinstance(data, Iterable)):
        raise CalibrationError(
            "data must be what model(data) accepts (a tensor, a PackedSequence, a tuple of "
            "positional arguments, a dict of keyword arguments) or an iterable of such batches "
            f"(e.g. a DataLoader, also one yielding (x, y) pairs), got {type(data).__name__}"
        )
    out: list[Call] = []
    for batch in [data] if single else cast(Iterable[Any], data):
        if inputs is None:
            out.append(model_call(model, batch, len(out)))
        else:
            try:
                arguments = inputs(batch)
            except Exception as exc:
                raise CalibrationError(
                    f"inputs= failed on batch {len(out)} of data: {type(exc).__name__}: {exc}"
                ) from exc
            out.append(as_call(arguments))
        if len(out) >= max_batches:
            break
    if not out:
        raise CalibrationError("data is empty: no batch to calibrate on")
    return out


def tensors(value: object) -> Iterator[torch.Tensor]:
    if isinstance(value, PackedSequence):
        yield value.data
    elif isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, Call):
        yield from tensors(value.args)
        yield from tensors(value.kwargs)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from tensors(v)
    elif isinstance(value, tuple | list):
        for v in value:
            yield from tensors(v)


def check_finite(calls: Sequence[Call]) -> None:
    """Raise :class:`CalibrationError` naming the first batch with a NaN or inf input."""
    for i, call in enumerate(calls):
        for t in tensors(call):
            if t.is_floating_point() and t.numel() and not bool(torch.isfinite(t).all()):
                raise CalibrationError(f"batch {i} of data holds NaN or inf values")


def lengths_tensor(lengths: object) -> torch.Tensor | None:
    """``lengths=`` as a flat integer tensor (None stays None); positive integers or an error."""
    if lengths is None:
        return None
    t = torch.as_tensor(lengths).flatten()
    if t.numel() == 0 or t.is_floating_point() or bool((t < 1).any()):
        raise CalibrationError(
            f"lengths must be positive integers, one per sequence, got {lengths!r}"
        )
    return t.long().cpu()


def valid_rows(
    module: nn.Module, x: torch.Tensor | PackedSequence, lengths: torch.Tensor | None, name: str
) -> torch.Tensor:
    """The valid time steps of one captured input as a ``(rows, features)`` matrix."""
    if isinstance(x, PackedSequence):
        return x.data
    lay = layout_of(module)
    if lay.is_cell or lengths is None:  # a cell's step (N, in), or every step counts
        return x.reshape(-1, x.shape[-1])  # the row order does not matter
    # (N, T, in); an unbatched sequence (T, in) is a batch of one
    seq = x.unsqueeze(0) if x.dim() == 2 else x if lay.batch_first else x.transpose(0, 1)
    n, t = seq.shape[0], seq.shape[1]
    if lengths.numel() != n or int(lengths.max()) > t:
        raise CalibrationError(
            f"lengths= has {lengths.numel()} entries (max {int(lengths.max())}) but "
            f"{name or 'the module'} sees a batch of {n} sequences of {t} steps: lengths= is for "
            "a single padded batch that reaches every recurrent layer unchanged; use a "
            "PackedSequence otherwise"
        )
    mask = torch.arange(t).unsqueeze(0) < lengths.unsqueeze(1)
    return seq[mask.to(seq.device)]


def seq_len(module: nn.Module, x: Any, lengths: torch.Tensor | None) -> int:
    """The longest sequence in ``x``, the input of ``module``: packed steps, ``lengths`` or the
    time dimension; 0 for a cell (its calls are counted instead)."""
    if isinstance(x, PackedSequence):
        return int(x.batch_sizes.numel())
    lay = layout_of(module)
    if lay.is_cell:
        return 0  # counted by calls
    if lengths is not None:
        return int(lengths.max())
    if x.dim() == 2:
        return int(x.shape[0])
    return int(x.shape[1] if lay.batch_first else x.shape[0])


def capture_pass(
    model: nn.Module,
    batches: Sequence[Call],
    modules: Sequence[tuple[str, nn.Module]],
    wanted: set[str],
) -> dict[str, Capture]:
    """Run ``model`` on every batch; record the inputs of the ``wanted`` modules."""
    caps = {name: Capture() for name, _ in modules}
    counter = [0]
    handles = []

    def hook_for(name: str) -> Any:
        def hook(mod: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            x = args[0] if args else kwargs.get("input")
            cap = caps[name]
            if cap.first_call < 0:
                cap.first_call = counter[0]
            cap.last_call = counter[0]
            counter[0] += 1
            cap.calls += 1
            if isinstance(x, torch.Tensor) and x.dim() >= 3 and layout_of(mod).is_cell:
                raise CalibrationError(
                    f"{name or type(mod).__name__} is a cell ({type(mod).__name__}): it takes "
                    f"one time step (N, in), got an input of shape {tuple(x.shape)}; calibrate "
                    "the model that runs the cell over time on the sequences "
                    "(init_(model, 'auto', data=sequences)), or pass one step x[t] "
                    "(batch-first: x[:, t]) with horizon= the sequence length"
                )
            if name in wanted and isinstance(x, torch.Tensor | PackedSequence):
                cap.inputs.append(x.detach() if isinstance(x, torch.Tensor) else x)

        return hook

    try:
        for name, mod in modules:
            handles.append(mod.register_forward_pre_hook(hook_for(name), with_kwargs=True))
        for i, batch in enumerate(batches):
            for cap in caps.values():
                cap.calls = 0
            try:
                model(*batch.args, **batch.kwargs)
            except RnnInitError:
                raise
            except Exception as exc:  # the user's forward: report it as a calibration error
                raise CalibrationError(
                    f"model(data) failed on calibration batch {i}: {type(exc).__name__}: {exc}"
                ) from exc
            for (_, mod), cap in zip(modules, caps.values(), strict=True):
                if layout_of(mod).is_cell:
                    cap.max_len = max(cap.max_len, cap.calls)
    finally:
        for h in handles:
            h.remove()
    return caps


def layer_module(module: nn.RNNBase, k: int) -> nn.RNNBase:
    """A one-layer copy of layer ``k`` of ``module`` (both directions), to run it alone."""
    lay = layout_of(module)
    in_k = lay.input_size if k == 0 else lay.num_directions * lay.hidden_out
    ref = next(module.parameters())
    kwargs: dict[str, Any] = {
        "bias": lay.bias,
        "batch_first": lay.batch_first,
        "bidirectional": lay.num_directions == 2,
        "device": ref.device,
        "dtype": ref.dtype,
    }
    if lay.family == "LSTM":
        single: nn.RNNBase = nn.LSTM(in_k, lay.hidden_size, proj_size=lay.proj_size, **kwargs)
    elif lay.family == "GRU":
        single = nn.GRU(in_k, lay.hidden_size, **kwargs)
    else:
        single = nn.RNN(in_k, lay.hidden_size, nonlinearity=lay.nonlinearity or "tanh", **kwargs)
    with torch.no_grad():
        for name, p in single.named_parameters():
            p.copy_(getattr(module, name.replace("_l0", f"_l{k}")))
    return single.eval()


def second_moment(rows: Sequence[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """``sum_r x_r x_r^T`` and the row count: each batch in its own (float32 or wider) dtype,
    the sum over batches in float64."""
    total: torch.Tensor | None = None
    count = 0
    for r in rows:
        r = r.detach()
        if r.dtype not in (torch.float32, torch.float64):
            r = r.float()
        s = (r.T @ r).to(torch.float64)
        total = s if total is None else total + s
        count += r.shape[0]
    assert total is not None
    return total, count


def all_reduce(t: torch.Tensor, op: Any) -> torch.Tensor:
    """``t`` reduced in place over the ranks with ``op`` when a process group is initialized."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t, op=op)
    return t


def broadcast_from_rank0(params: Iterable[torch.Tensor]) -> None:
    """Overwrite ``params`` with rank 0's values when a process group is initialized."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        for p in params:
            dist.broadcast(p.data, src=0)


def reduce_sum() -> Any:
    """``torch.distributed.ReduceOp.SUM`` (imported when needed)."""
    import torch.distributed as dist

    return dist.ReduceOp.SUM


def reduce_max() -> Any:
    """``torch.distributed.ReduceOp.MAX`` (imported when needed)."""
    import torch.distributed as dist

    return dist.ReduceOp.MAX
