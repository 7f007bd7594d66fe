"""The ``auto`` scheme: gate-aware initialization calibrated on the user's data.

``init_(model, "auto", data=batch)`` (or :func:`auto_init_`) starts every selected recurrent
layer from a fixed recipe and then looks at the data, layer by layer, bottom-up:

1. **Base.** Recurrent weights orthogonal per gate block, ``U_g ~ Haar(H_out x H) * gain``
   (Saxe et al. 2014); input weights LeCun normal per gate block (Flax's ``kernel_init``);
   keep-gate bias chrono (Tallec & Ollivier 2018): ``b_f ~ log U(1, T_max - 1)``, LSTM
   ``b_i = -b_f``, GRU ``b_z = +log U(1, T_max - 1)``; every other bias 0 (GRU ``b_hn = 0``).
   Relu/tanh RNNs have no keep gate: orthogonal recurrent weights, zero bias.
2. **Calibration** (LSUV, Mishkin & Matas 2016, made gate-aware). For each layer ``k`` and
   direction, on the real input ``x`` that layer sees (layer 0: the module's input captured by a
   forward pre-hook; layer ``k > 0``: the output of layer ``k - 1`` after it was calibrated), each
   gate block ``W_g`` of ``weight_ih`` is rescaled so that the mean square of its contribution to
   the gate pre-activation is ``target``:

       W_g <- W_g * sqrt(target / m_g),   m_g = tr(W_g S W_g^T) / H,   S = E[x x^T]

   over every valid time step (padding excluded: a ``PackedSequence`` or ``lengths=``). The mean
   square (not the centered variance) counts an offset from non-centered inputs, e.g. raw pixel
   values, as well as their spread: both saturate a sigmoid gate alike.
3. ``T_max`` is ``horizon`` when given, else the longest valid sequence the layer saw in ``data``
   (for a Cell: the most calls in one forward).

Without ``data`` the inputs are assumed standardized (``Sigma = I``): the input blocks are LeCun
normal scaled by ``sqrt(target)``, and ``horizon`` is required.

Guarantees: in place on the existing Parameters under ``torch.no_grad()``; atomic (any error
leaves every parameter bit-identical); the model runs in eval mode during calibration and gets
its mode back; hooks are removed on every path; deterministic with ``generator``. Under
``torch.distributed`` the statistics are summed over ranks and rank 0's weights are broadcast,
so every rank ends with the same weights. The constants (``target``, ``gain``) were chosen by
the factor ablation recorded in ``docs/BENCHMARKS.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .errors import RnnInitError
from .layouts import find_recurrent, layout_of

__all__ = ["AUTO_DEFAULTS", "AUTO_PARAMS", "CalibrationError", "auto_init_"]

M = TypeVar("M", bound=nn.Module)

#: Defaults of the ``auto`` scheme's constants (see docs/BENCHMARKS.md for the evidence).
AUTO_DEFAULTS: dict[str, float] = {"target": 1.0, "gain": 1.0}

_MAX_BATCHES = 4

#: The keywords ``init_(model, "auto", ...)`` passes on to :func:`auto_init_`.
AUTO_PARAMS: tuple[str, ...] = (
    "data",
    "horizon",
    "lengths",
    "target",
    "gain",
    "per_feature",
    "max_batches",
)


class CalibrationError(RnnInitError, ValueError):
    """The data given to the ``auto`` scheme cannot calibrate the model (the model is unchanged).

    >>> import torch
    >>> try:
    ...     auto_init_(torch.nn.LSTM(3, 4), torch.zeros(5, 2, 3))
    ... except CalibrationError as e:
    ...     print(str(e)[:60])
    the input of the module (layer 0) carries no signal (every f
    """


@dataclass
class _Capture:
    """What one recurrent module saw in a pass: its inputs and the longest sequence."""

    inputs: list[Any] = field(default_factory=list)
    max_len: int = 0
    calls: int = 0  # calls in the current forward (cells: one per step)
    first_call: int = -1  # global call index of its first call
    last_call: int = -1


def _check_number(name: str, value: object, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CalibrationError(f"{name} must be a finite number, got {value!r}")
    if not value > low:
        raise CalibrationError(f"{name} must be > {low:g}, got {value!r}")
    return float(value)


def _is_batch(value: object) -> bool:
    return isinstance(value, torch.Tensor | PackedSequence | tuple | Mapping)


def _batches(data: object, max_batches: int) -> list[Any]:
    """The calibration batches: one batch, or the first ``max_batches`` of an iterable."""
    if _is_batch(data):
        return [data]
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise CalibrationError(
            "data must be what model(data) accepts (a tensor, a PackedSequence, a tuple of "
            "positional arguments, a dict of keyword arguments) or an iterable of such batches "
            f"(e.g. a DataLoader yielding inputs), got {type(data).__name__}"
        )
    out: list[Any] = []
    for batch in data:
        if not _is_batch(batch):
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


def _tensors(value: object) -> Iterator[torch.Tensor]:
    if isinstance(value, PackedSequence):
        yield value.data
    elif isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _tensors(v)
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _tensors(v)


def _check_finite(batches: Sequence[Any]) -> None:
    for i, batch in enumerate(batches):
        for t in _tensors(batch):
            if t.is_floating_point() and t.numel() and not bool(torch.isfinite(t).all()):
                raise CalibrationError(f"batch {i} of data holds NaN or inf values")


def _call(model: nn.Module, batch: Any) -> None:
    if isinstance(batch, torch.Tensor | PackedSequence):  # a PackedSequence is a tuple too
        model(batch)
    elif isinstance(batch, Mapping):
        model(**batch)
    elif isinstance(batch, tuple):
        model(*batch)
    else:
        model(batch)


def _lengths_tensor(lengths: object) -> torch.Tensor | None:
    if lengths is None:
        return None
    t = torch.as_tensor(lengths).flatten()
    if t.numel() == 0 or t.is_floating_point() or bool((t < 1).any()):
        raise CalibrationError(
            f"lengths must be positive integers, one per sequence, got {lengths!r}"
        )
    return t.long().cpu()


def _rows(
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


def _seq_len(module: nn.Module, x: Any, lengths: torch.Tensor | None) -> int:
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


def _capture_pass(
    model: nn.Module,
    batches: Sequence[Any],
    modules: Sequence[tuple[str, nn.Module]],
    wanted: set[str],
) -> dict[str, _Capture]:
    """Run ``model`` on every batch; record the inputs of the ``wanted`` modules."""
    caps = {name: _Capture() for name, _ in modules}
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
                _call(model, batch)
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


def _layer_module(module: nn.RNNBase, k: int) -> nn.RNNBase:
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


def _second_moment(rows: Sequence[torch.Tensor]) -> tuple[torch.Tensor, int]:
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


def _all_reduce(t: torch.Tensor, op: Any) -> torch.Tensor:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t, op=op)
    return t


def _broadcast(params: Iterable[torch.Tensor]) -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        for p in params:
            dist.broadcast(p.data, src=0)


def _scale_blocks(
    module: nn.Module, k: int, sigma: torch.Tensor, target: float, where: str, per_feature: bool
) -> None:
    """Rescale every gate block of layer ``k``'s input weights (each direction) to ``target``.

    ``per_feature``: first divide each input column by its feature's root mean square (the
    weights then see the data as if every feature were standardized), then scale the block.
    """
    lay = layout_of(module)
    suffixes = [""] if lay.is_cell else ["", "_reverse"][: lay.num_directions]
    diag = torch.diagonal(sigma)
    if not bool((diag > 0).any()):
        raise CalibrationError(
            f"the input of {where or 'the module'} (layer {k}) carries no signal (every "
            "feature is always 0): cannot scale its input weights"
        )
    col = torch.where(diag > 0, diag.clamp_min(1e-300).rsqrt(), torch.ones_like(diag))
    if not per_feature:
        col = torch.ones_like(diag)
    for suffix in suffixes:
        name = "weight_ih" if lay.is_cell else f"weight_ih_l{k}{suffix}"
        w = getattr(module, name)
        if not isinstance(w, nn.Parameter):
            raise CalibrationError(
                f"{where}.{name} is not a plain Parameter (a parametrization?): initialize the "
                "model before registering parametrizations"
            )
        for g in lay.gate_names:
            rows = lay.gate_slice(g)
            block = w[rows].to(torch.float64) * col
            ms = float(((block @ sigma) * block).sum()) / block.shape[0]
            if not ms > 0:
                raise CalibrationError(
                    f"the input of {where or 'the module'} (layer {k}) carries no signal "
                    f"(mean square 0) for gate {g!r}: cannot scale its input weights"
                )
            w[rows] = (block * math.sqrt(target / ms)).to(w.dtype)


def _calibrate(
    name: str,
    module: nn.Module,
    cap: _Capture,
    lengths: torch.Tensor | None,
    target: float,
    per_feature: bool,
) -> None:
    """Calibrate every layer of one module, bottom-up, on its captured inputs."""
    if not cap.inputs:
        raise CalibrationError(
            f"{name or 'the module'} was not called with a tensor or PackedSequence input "
            "during model(data): nothing to calibrate it on"
        )
    lay = layout_of(module)
    inputs = list(cap.inputs)
    for k in range(lay.num_layers):
        rows = [_rows(module, x, lengths, name) for x in inputs]
        s, n = _second_moment(rows)
        count = _all_reduce(torch.tensor([float(n)], dtype=torch.float64), _sum())
        s = _all_reduce(s, _sum()) / float(count.item())
        _scale_blocks(module, k, s.to(torch.float64), target, name, per_feature)
        if k + 1 < lay.num_layers:
            assert isinstance(module, nn.RNNBase)
            single = _layer_module(module, k)
            inputs = [single(x)[0] for x in inputs]


def _sum() -> Any:
    import torch.distributed as dist

    return dist.ReduceOp.SUM


def _max() -> Any:
    import torch.distributed as dist

    return dist.ReduceOp.MAX


def _base_init(
    name: str, module: nn.Module, t_max: float | None, gain: float, gen: torch.Generator | None
) -> None:
    from .apply import init_

    lay = layout_of(module)
    recurrent = ("orthogonal", {"gain": gain})
    if lay.keep_gate is None:
        init_(module, "flax", recurrent=recurrent, generator=gen)
        return
    if t_max is None or t_max <= 2:
        raise CalibrationError(
            f"{name or 'the module'}: the chrono keep-gate bias needs T_max > 2, got "
            f"{t_max!r}; give horizon= (the longest dependency in steps)"
        )
    init_(
        module,
        "chrono",
        max_timescale=t_max,
        input="lecun_normal",
        recurrent=recurrent,
        generator=gen,
    )


def auto_init_(
    module: M,
    data: object = None,
    *,
    horizon: float | None = None,
    lengths: object = None,
    target: float = AUTO_DEFAULTS["target"],
    gain: float = AUTO_DEFAULTS["gain"],
    per_feature: bool = True,
    max_batches: int = _MAX_BATCHES,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
) -> M:
    """Initialize every selected recurrent layer of ``module`` calibrated on ``data``; in place.

    See the module docstring for the math. ``data`` is what ``module(data)`` accepts (a tensor,
    a ``PackedSequence``, a tuple of positional arguments, a dict of keyword arguments) or an
    iterable of such batches, of which the first ``max_batches`` are used. ``lengths`` (one
    padded batch only) excludes padding from the statistics. ``horizon`` sets the chrono
    ``T_max`` (default: the longest sequence in ``data``); it is required without ``data``.
    ``target`` is the mean square of each gate block's input contribution, ``gain`` the gain of
    the orthogonal recurrent blocks.

    Raises:
        CalibrationError: bad data (empty, NaN/inf, a forward that fails on it, wrong lengths),
            bad constants, or a module that cannot be calibrated. The module is then unchanged.

    Example:
        >>> import torch, rnninit
        >>> lstm = torch.nn.LSTM(3, 16, batch_first=True)
        >>> x = 100 * torch.randn(8, 40, 3)  # unnormalized inputs
        >>> _ = rnninit.auto.auto_init_(lstm, x, generator=torch.Generator().manual_seed(0))
        >>> w = lstm.weight_ih_l0.detach()[16:32].double()  # forget gate: (W x)^2 averages 1
        >>> round(float((x.reshape(-1, 3).double() @ w.T).pow(2).mean()), 2)
        1.0
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    target = _check_number("target", target, 0.0)
    gain = _check_number("gain", gain, 0.0)
    t_fixed = None if horizon is None else _check_number("horizon", horizon, 2.0)
    if isinstance(max_batches, bool) or not isinstance(max_batches, int) or max_batches < 1:
        raise CalibrationError(f"max_batches must be a positive int, got {max_batches!r}")
    modules = find_recurrent(module, include, exclude)
    lens = _lengths_tensor(lengths)
    if data is None:
        if t_fixed is None:
            raise CalibrationError(
                "scheme 'auto' without data= needs horizon= (the longest dependency in steps, "
                "e.g. the sequence length): init_(model, 'auto', horizon=200), or give data= "
                "(a batch of real inputs) to calibrate on"
            )
        if lens is not None:
            raise CalibrationError("lengths= describes data=; it was given without data")
        batches: list[Any] = []
    else:
        batches = _batches(data, max_batches)
        _check_finite(batches)
        if lens is not None and len(batches) != 1:
            raise CalibrationError(
                f"lengths= is for a single padded batch, but data gave {len(batches)} batches; "
                "use PackedSequence batches instead"
            )
    params = [p for _, m in modules for p in m.parameters(recurse=False)]
    backup = [p.detach().clone() for p in params]
    was_training = {m: m.training for m in module.modules()}
    try:
        with torch.no_grad():
            module.eval()
            order = [n for n, _ in modules]
            caps: dict[str, _Capture] = {}
            if batches:
                caps = _capture_pass(module, batches, modules, wanted=set(order))
                order = sorted(
                    order, key=lambda n: (caps[n].first_call < 0, caps[n].first_call)
                )  # execution order; modules never called last (they get an error below)
            for name, mod in modules:
                t_max = t_fixed
                if t_max is None:
                    cap = caps[name]
                    seen = [_seq_len(mod, x, lens) for x in cap.inputs] or [0]
                    local = float(max(max(seen), cap.max_len))
                    t_max = float(_all_reduce(torch.tensor([local]), _max()).item())
                _base_init(name, mod, t_max, gain, generator)
                _broadcast(mod.parameters(recurse=False))
            mods = dict(modules)
            if not batches:
                for name, mod in modules:
                    lay = layout_of(mod)
                    for k in range(lay.num_layers):
                        width = lay.input_size if k == 0 else lay.num_directions * lay.hidden_out
                        eye = torch.eye(width, dtype=torch.float64)
                        _scale_blocks(mod, k, eye, target, name, per_feature)
            for i, name in enumerate(order if batches else []):
                first = caps[order[0]]
                clean = i == 0 and all(
                    c.first_call < 0 or c.first_call > first.last_call
                    for n, c in caps.items()
                    if n != name
                )
                cap = caps[name] if clean else _capture_pass(module, batches, modules, {name})[name]
                _calibrate(name, mods[name], cap, lens, target, per_feature)
                _broadcast(mods[name].parameters(recurse=False))
    except BaseException:
        with torch.no_grad():
            for p, saved in zip(params, backup, strict=True):
                p.copy_(saved)
        raise
    finally:
        for m, mode in was_training.items():
            m.training = mode
    return module
