"""The ``auto`` scheme's steps (the method: :mod:`rnninit.auto`)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from ..errors import CalibrationError, UnknownNameError
from ..layouts import find_recurrent, layout_of, parameters_of, require_module
from ..schemes import AUTO, AUTO_PARAMS, KEEP, Recipe, build_recipe, recipe
from ..schemes._apply import DATA_HORIZON_ATTRIBUTE, SCHEME_ATTRIBUTE, Selected, apply_selected
from ..schemes._overrides import Explicit, Overrides
from ..schemes._transaction import atomic
from ..schemes._validation import check_arguments
from ._calibration import (
    Call,
    Capture,
    all_reduce,
    broadcast_from_rank0,
    calibration_calls,
    capture_pass,
    check_finite,
    layer_module,
    lengths_tensor,
    reduce_max,
    reduce_sum,
    second_moment,
    seq_len,
    valid_rows,
)

__all__ = [
    "AUTO_DEFAULTS",
    "TARGETS",
    "TIMESCALES",
    "CalibrationError",
    "auto_init_",
    "auto_then_",
]

M = TypeVar("M", bound=nn.Module)

#: How the keep-gate timescales spread over $[2, T_{\max}]$: the keep-bias initializer of each.
TIMESCALES: dict[str, str] = {"log": "chrono_log", "uniform": "chrono"}

#: Where the task's targets are, the one argument that says what kind of task it is:
#: ``"end"`` (the default: a target after the sequence, or after a long delay: classification,
#: adding, copy) gets the long keep-gate timescales; ``"every_step"`` (a target at every step:
#: language modelling, sequence labelling, one-step prediction) gets every gate bias 0
#: (timescale 2), as Flax's LSTM and GRU cells start; the evidence: docs/realdata.md.
TARGETS: tuple[str, ...] = ("end", "every_step")


def _check_number(name: str, value: object, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CalibrationError(f"{name} must be a finite number, got {value!r}")
    if not value > low:
        raise CalibrationError(f"{name} must be > {low:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class _Settings:
    """The validated constants of one ``auto`` call."""

    horizon: float | None
    reach: float
    target: float
    gain: float
    per_feature: bool
    timescales: str
    targets: str = "end"
    max_batches: int = 4


def _settings(
    horizon: object,
    reach: object,
    target: object,
    gain: object,
    per_feature: bool,
    max_batches: object,
    timescales: object,
    targets: object = "end",
) -> _Settings:
    """Step 1: every constant checked (``CalibrationError`` / ``UnknownNameError``)."""
    target_ = _check_number("target", target, 0.0)
    gain_ = _check_number("gain", gain, 0.0)
    reach_ = _check_number("reach", reach, 0.0)
    t_fixed = None if horizon is None else _check_number("horizon", horizon, 0.0)
    if t_fixed is not None and not reach_ * t_fixed > 2:
        raise CalibrationError(
            f"the chrono T_max = reach * horizon must be > 2, got {reach_:g} * {t_fixed:g}: give "
            "a longer horizon= (the longest dependency in steps) or a larger reach="
        )
    if isinstance(max_batches, bool) or not isinstance(max_batches, int) or max_batches < 1:
        raise CalibrationError(f"max_batches must be a positive int, got {max_batches!r}")
    if not isinstance(timescales, str) or timescales not in TIMESCALES:
        raise UnknownNameError("timescales", timescales, TIMESCALES)
    if not isinstance(targets, str) or targets not in TARGETS:
        raise UnknownNameError("targets", targets, TARGETS)
    if targets == "every_step" and t_fixed is None:
        t_fixed = 1.0  # no keep-gate timescale is drawn: no horizon is needed without data
    return _Settings(
        t_fixed, reach_, target_, gain_, bool(per_feature), timescales, targets, max_batches
    )


def _batches(
    module: nn.Module,
    data: object,
    lens: torch.Tensor | None,
    cfg: _Settings,
    inputs: Callable[[Any], Any] | None,
) -> list[Call]:
    """Step 2: the calibration calls (none without ``data``: then ``horizon`` is needed)."""
    if data is None:
        if cfg.horizon is None:
            raise CalibrationError(
                "scheme 'auto' without data= needs horizon= (the longest dependency in steps, "
                "e.g. the sequence length): init_(model, 'auto', horizon=200), or give data= "
                "(a batch of real inputs) to calibrate on"
            )
        if lens is not None:
            raise CalibrationError("lengths= describes data=; it was given without data")
        if inputs is not None:
            raise CalibrationError("inputs= maps the batches of data=; it was given without data")
        return []
    calls = calibration_calls(module, data, cfg.max_batches, inputs)
    check_finite(calls)
    if lens is not None and len(calls) != 1:
        raise CalibrationError(
            f"lengths= is for a single padded batch, but data gave {len(calls)} batches; "
            "use PackedSequence batches instead"
        )
    return calls


def _scale_blocks(
    module: nn.Module, k: int, sigma: torch.Tensor, target: float, where: str, per_feature: bool
) -> None:
    """Rescale every gate block of layer ``k``'s input weights (each direction) to ``target``.

    ``per_feature``: first divide each input column by its feature's root mean square (the
    weights then see the data as if every feature were standardized), then scale the block.
    """
    lay = layout_of(module)
    diag = torch.diagonal(sigma)
    if not bool((diag > 0).any()):
        raise CalibrationError(
            f"the input of {where or 'the module'} (layer {k}) carries no signal (every "
            "feature is always 0): cannot scale its input weights"
        )
    col = torch.where(diag > 0, diag.clamp_min(1e-300).rsqrt(), torch.ones_like(diag))
    if not per_feature:
        col = torch.ones_like(diag)
    for ref in parameters_of(module, where, parametrized=True):
        if ref.kind != "input" or ref.layer != k:
            continue
        w = ref.param  # (G*H, in): the Parameter, or its transposed view (column-stacked)
        if ref.parametrization is not None:
            raise CalibrationError(
                f"{ref.name} is not a plain Parameter (a parametrization?): initialize the "
                "model before registering parametrizations"
            )
        for g in lay.gates:
            rows = lay.gate_slice(g)
            block = w[rows].to(torch.float64) * col
            ms = float(((block @ sigma) * block).sum()) / block.shape[0]
            if not ms > 0:
                raise CalibrationError(
                    f"the input of {where or 'the module'} (layer {k}) carries no signal "
                    f"(mean square 0) for gate {g!r}: cannot scale its input weights"
                )
            scaled = (block * math.sqrt(target / ms)).to(w.dtype)
            if not bool(torch.isfinite(scaled).all()):
                raise CalibrationError(
                    f"scaling gate {g!r} of {where or 'the module'} (layer {k}) to target="
                    f"{target:g} overflows {w.dtype} (the input's mean square is {ms:.3g}): "
                    "give a smaller target= or rescale the data"
                )
            w[rows] = scaled


def _calibrate(
    name: str,
    module: nn.Module,
    cap: Capture,
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
        rows = [valid_rows(module, x, lengths, name) for x in inputs]
        s, n = second_moment(rows)
        count = all_reduce(torch.tensor([float(n)], dtype=torch.float64), reduce_sum())
        s = all_reduce(s, reduce_sum()) / float(count.item())
        _scale_blocks(module, k, s.to(torch.float64), target, name, per_feature)
        if k + 1 < lay.num_layers:
            if not isinstance(module, nn.RNNBase):
                raise CalibrationError(
                    f"{name or 'the module'} ({type(module).__name__}) has {lay.num_layers} "
                    "layers: 'auto' runs layer k alone only for nn.RNN/LSTM/GRU; declare and "
                    "initialize its layers (or cells) one by one"
                )
            single = layer_module(module, k)
            inputs = [single(x)[0] for x in inputs]


def _base_init(
    name: str, module: nn.Module, t_max: float, cfg: _Settings, gen: torch.Generator | None
) -> None:
    """The fixed recipe of step 3 on one module (see the module docstring, 1. Base)."""
    lay = layout_of(module)
    recurrent = ("orthogonal", {"gain": cfg.gain})
    if lay.keep_gate is None or cfg.targets == "every_step":
        apply_selected([("", module)], recipe("flax", recurrent=recurrent), gen, None)
        return
    if t_max <= 2:
        raise CalibrationError(
            f"{name or 'the module'}: the chrono keep-gate bias needs T_max > 2, got "
            f"{t_max!r} (reach * horizon); give a longer horizon= (the longest dependency in "
            "steps) or a larger reach="
        )
    keep = (TIMESCALES[cfg.timescales], {"max_timescale": t_max})
    r = recipe(
        "chrono", max_timescale=t_max, input="lecun_normal", recurrent=recurrent, forget_bias=keep
    )
    apply_selected([("", module)], r, gen, None)


def _execution_order(modules: Selected, caps: dict[str, Capture]) -> list[str]:
    """The module names in the order ``model(data)`` first called them (never called: last)."""
    return sorted(
        (n for n, _ in modules), key=lambda n: (caps[n].first_call < 0, caps[n].first_call)
    )


def _base_all(
    modules: Selected,
    caps: dict[str, Capture],
    lens: torch.Tensor | None,
    cfg: _Settings,
    gen: torch.Generator | None,
) -> dict[str, float]:
    """Step 3: each module's base recipe, its ``T_max = reach * horizon`` from ``data``; the
    horizons taken from ``data``, by module name."""
    from_data: dict[str, float] = {}
    for name, mod in modules:
        longest = cfg.horizon
        if longest is None:
            cap = caps[name]
            seen = [seq_len(mod, x, lens) for x in cap.inputs] or [0]
            local = float(max(max(seen), cap.max_len))
            longest = float(all_reduce(torch.tensor([local]), reduce_max()).item())
            from_data[name] = longest
        _base_init(name, mod, cfg.reach * longest, cfg, gen)
        broadcast_from_rank0(mod.parameters())
    return from_data


def _scale_standardized(modules: Selected, cfg: _Settings) -> None:
    """Step 4 without data: inputs assumed standardized (``S = I``, the module docstring's S)."""
    for name, mod in modules:
        lay = layout_of(mod)
        for k in range(lay.num_layers):
            width = lay.input_size if k == 0 else lay.num_directions * lay.hidden_out
            eye = torch.eye(width, dtype=torch.float64)
            _scale_blocks(mod, k, eye, cfg.target, name, cfg.per_feature)


def _calibrate_all(
    model: nn.Module,
    batches: list[Call],
    modules: Selected,
    caps: dict[str, Capture],
    lens: torch.Tensor | None,
    cfg: _Settings,
) -> None:
    """Step 4 on data: each module in execution order, on the inputs it sees once the modules
    before it are calibrated (the first pass's capture is reused when nothing ran between)."""
    order = _execution_order(modules, caps)
    mods = dict(modules)
    for i, name in enumerate(order):
        first = caps[order[0]]
        clean = i == 0 and all(
            c.first_call < 0 or c.first_call > first.last_call for n, c in caps.items() if n != name
        )
        cap = caps[name] if clean else capture_pass(model, batches, modules, {name})[name]
        _calibrate(name, mods[name], cap, lens, cfg.target, cfg.per_feature)
        broadcast_from_rank0(mods[name].parameters())


def auto_init_(
    module: M,
    data: object = None,
    *,
    horizon: float | None = None,
    reach: float = 3.0,
    lengths: object = None,
    target: float = 1.0,
    gain: float = 1.0,
    per_feature: bool = True,
    max_batches: int = 4,
    timescales: str = "log",
    targets: str = "end",
    inputs: Callable[[Any], Any] | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
) -> M:
    r"""Initialize every selected recurrent layer of ``module`` calibrated on ``data``; in place.

    See the module docstring for the math. ``data`` is one batch or an iterable of batches
    (a DataLoader, a list), of which the first ``max_batches`` are used. A batch is read as
    the training loops read it (:func:`rnninit.auto._calibration.model_call`):

    - a tensor or ``PackedSequence``: ``module(x)``;
    - a tuple or list: the positional arguments when ``module.forward`` requires exactly that
      many (``(x, lengths)`` for ``forward(x, lengths)``); otherwise ``(x, y, ...)``, the
      inputs and the targets as a DataLoader yields them (the default collate gives lists):
      ``module(x)``, or ``module(*x)`` when ``x`` is itself a tuple;
    - a dict: the keyword arguments when the forward takes them, else ``module(batch)`` for a
      forward that takes one dict.

    ``inputs``, a function from one batch to the arguments, reads any other batch: it returns
    the one argument, a tuple of positional arguments or a dict of keyword arguments, e.g.
    ``inputs=lambda b: (b["tokens"], b["lengths"])``. ``lengths`` (one
    padded batch only) excludes padding from the statistics. ``horizon`` is the longest
    dependency in steps (default: the longest sequence in ``data``; required without ``data``)
    and the chrono $T_{\max}$ is ``reach * horizon``.
    ``target`` is the mean square of each gate block's input contribution, ``gain`` the gain of
    the orthogonal recurrent blocks, ``timescales`` how the keep-gate timescales spread over
    $[2, T_{\max}]$: ``"log"`` (log-uniform, the default) or ``"uniform"`` (chrono's).
    ``targets`` says where the task's targets are (:data:`TARGETS`): ``"end"`` (default: one
    target after the sequence or a long delay) keeps the chrono keep-gate timescales;
    ``"every_step"`` (language modelling, sequence labelling, one-step forecasting) sets every
    gate bias to 0 (timescale 2, as Flax) and needs no ``horizon``; the input calibration and
    the orthogonal recurrent blocks are the same in both.

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
    require_module(module)
    check_arguments(include, exclude, generator)
    cfg = _settings(horizon, reach, target, gain, per_feature, max_batches, timescales, targets)
    modules = find_recurrent(module, include, exclude)
    return _auto(module, modules, cfg, data, lengths, inputs, generator, None)


def _auto(
    module: M,
    modules: Selected,
    cfg: _Settings,
    data: object,
    lengths: object,
    inputs: Callable[[Any], Any] | None,
    generator: torch.Generator | None,
    then: tuple[Recipe, Explicit] | None,
) -> M:
    """The steps on checked arguments, then the overrides ``then``, in one atomic write."""
    lens = lengths_tensor(lengths)
    batches = _batches(module, data, lens, cfg, inputs)
    was_training = {m: m.training for m in module.modules()}
    try:
        with atomic(modules), torch.no_grad():
            module.eval()
            caps: dict[str, Capture] = {}
            if batches:
                caps = capture_pass(module, batches, modules, wanted={n for n, _ in modules})
            from_data = _base_all(modules, caps, lens, cfg, generator)
            if batches:
                _calibrate_all(module, batches, modules, caps, lens, cfg)
            else:
                _scale_standardized(modules, cfg)
            if then is not None:  # the user's overrides win over the calibrated start
                apply_selected(modules, then[0], generator, then[1])
        for name, mod in modules:
            setattr(mod, SCHEME_ATTRIBUTE, AUTO)
            if name in from_data and cfg.targets == "end":
                setattr(mod, DATA_HORIZON_ATTRIBUTE, from_data[name])
    finally:
        for m, mode in was_training.items():
            m.training = mode
    return module


def auto_then_(
    module: M,
    params: Mapping[str, Any],
    given: Overrides,
    include: str | Sequence[str] | None,
    exclude: str | Sequence[str] | None,
    generator: torch.Generator | None,
) -> M:
    """``init_(module, "auto", **params, **overrides)``: :func:`auto_init_` with ``params`` (the
    keywords of :class:`~rnninit.schemes.AutoParams`, defaults from :func:`auto_init_`'s own
    signature), then the overrides ``given``, checked once and written in one atomic step.

    >>> import torch
    >>> gru = torch.nn.GRU(2, 4)
    >>> _ = auto_then_(gru, {"horizon": 20}, {"forget_bias": 0.5}, None, None, None)
    >>> (gru.bias_ih_l0 + gru.bias_hh_l0)[4:8].tolist()  # the update gate z, rows H:2H
    [0.5, 0.5, 0.5, 0.5]
    """
    for key in params:
        if key not in AUTO_PARAMS:
            raise UnknownNameError("keyword for scheme 'auto'", key, (*AUTO_PARAMS, *given))
    require_module(module)
    check_arguments(include, exclude, generator)
    then = (build_recipe(KEEP, given, {}), Explicit.of(given)) if given else None
    modules = find_recurrent(module, include, exclude)  # the selection first, as init_ does
    p = AUTO_DEFAULTS | dict(params)
    cfg = _settings(
        p["horizon"],
        p["reach"],
        p["target"],
        p["gain"],
        p["per_feature"],
        p["max_batches"],
        p["timescales"],
        p["targets"],
    )
    return _auto(module, modules, cfg, p["data"], p["lengths"], p["inputs"], generator, then)


#: The default of every keyword of ``auto`` (:data:`~rnninit.schemes.AUTO_PARAMS`), read from
#: :func:`auto_init_`'s signature, the one place they are stated (the constants ``target``,
#: ``gain``, ``reach`` were chosen by the factor ablation, ``docs/ablation.md``).
AUTO_DEFAULTS: dict[str, Any] = {
    k: p.default for k, p in inspect.signature(auto_init_).parameters.items() if k in AUTO_PARAMS
}
