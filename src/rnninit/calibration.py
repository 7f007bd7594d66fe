"""Running a model on calibration data, for the ``auto`` scheme (:mod:`rnninit.auto`).

What calibration needs from the data and the model, apart from the scheme's math: the batches
(one batch or the first few of an iterable), a check for NaN/inf, one forward pass with a
forward pre-hook on every recurrent module recording its real input and its sequence lengths,
the valid time steps of an input (padding excluded), one layer of a stacked module run alone,
second moments, and the ``torch.distributed`` reductions that make every rank agree.

Internal to rnninit (the public entry points are ``init_(model, "auto", data=...)`` and
:func:`rnninit.auto.auto_init_`); :class:`CalibrationError` is re-exported by
:mod:`rnninit.auto`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .errors import CalibrationError, RnnInitError
from .layouts import layout_of

__all__ = [
    "Capture",
    "all_reduce",
    "broadcast_from_rank0",
    "calibration_batches",
    "capture_pass",
    "check_finite",
    "layer_module",
    "lengths_tensor",
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


def is_batch(value: object) -> bool:
    return isinstance(value, torch.Tensor | PackedSequence | tuple | Mapping)


def calibration_batches(data: object, max_batches: int) -> list[Any]:
    """The calibration batches: one batch, or the first ``max_batches`` of an iterable."""
    if is_batch(data):
        return [data]
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise CalibrationError(
            "data must be what model(data) accepts (a tensor, a PackedSequence, a tuple of "
            "positional arguments, a dict of keyword arguments) or an iterable of such batches "
            f"(e.g. a DataLoader yielding inputs), got {type(data).__name__}"
        )
    out: list[Any] = []
    for batch in data:
        if not is_batch(batch):
            raise CalibrationError(
                f"batch {len(out)} of data is a {type(batch).__name__}; each batch must be a "
                "tensor, a PackedSequence, a tuple of positional arguments or a dict (for a "
                "loader of (x, y) pairs pass (x for x, _ in loader))"
            )
        out.append(batch)
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
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from tensors(v)
    elif isinstance(value, tuple | list):
        for v in value:
            yield from tensors(v)


def check_finite(batches: Sequence[Any]) -> None:
    """Raise :class:`CalibrationError` naming the first batch with a NaN or inf value."""
    for i, batch in enumerate(batches):
        for t in tensors(batch):
            if t.is_floating_point() and t.numel() and not bool(torch.isfinite(t).all()):
                raise CalibrationError(f"batch {i} of data holds NaN or inf values")


def call_model(model: nn.Module, batch: Any) -> None:
    if isinstance(batch, torch.Tensor | PackedSequence):  # a PackedSequence is a tuple too
        model(batch)
    elif isinstance(batch, Mapping):
        model(**batch)
    elif isinstance(batch, tuple):
        model(*batch)
    else:
        model(batch)


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
    if lay.is_cell or x.dim() == 2:  # a cell's step (N, in) or an unbatched sequence (T, in)
        return x.reshape(-1, x.shape[-1])
    if lengths is None:  # every step counts; the row order does not matter
        return x.reshape(-1, x.shape[-1])
    seq = x if lay.batch_first else x.transpose(0, 1)  # (N, T, in)
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
    batches: Sequence[Any],
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
                call_model(model, batch)
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
