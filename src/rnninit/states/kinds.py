"""The registry of initial-state kinds, their parameters, and how each is drawn.

Every kind draws one state tensor of a given shape and *width* (the size of the state vector:
``H_out`` for ``h``, ``H`` for ``c``):

* ``zeros``: PyTorch's and Keras' default (``hx=None``);
* ``constant(value)``;
* ``uniform(low=-0.5, high=0.5)`` or ``uniform(scale=s)`` = U(-s, s);
* ``normal(mean=0, std=0.1)``: the "noisy zero state" of S. Pitis, *Non-zero initial states
  for recurrent neural networks* (r2rt.com, 2016);
* ``xavier_uniform(gain=1)`` / ``xavier_normal(gain=1)``: Glorot & Bengio (2010) with
  ``fan_in = fan_out = width``: each state vector is treated as the output of a
  ``width x width`` map, so ``std = gain * sqrt(2 / (2 * width)) = gain / sqrt(width)``
  (bound ``gain * sqrt(3 / width)`` for the uniform one). It does not depend on the batch size,
  unlike the folk recipe ``xavier_uniform_(torch.empty(1, N, H))`` whose ``fan_in = N * H`` and
  ``fan_out = H`` (``torch.nn.init`` reads ``size(1) * prod(shape[2:])``), i.e. std
  ``sqrt(2 / ((N + 1) * H))``;
* ``learned``: a trainable state per layer and direction, broadcast over the batch (Sonnet 2's
  ``TrainableState``; Pitis 2016);
* ``learned_noisy(noise_std=0.1)``: learned plus Gaussian noise in training (Pitis 2016);
* ``conditional(context_size, activation="tanh")``: ``h0 = act(W ctx + b)`` from a context
  vector, as in Xu et al. (2015), *Show, Attend and Tell*, where ``h0`` and ``c0`` are computed
  from the mean image feature.

The last three hold trainable parameters and live in :class:`rnninit.InitialState`.
In eval mode a random kind gives its mean (zeros for the symmetric defaults) unless
``eval_random=True``: evaluation should be deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import InitializerError, UnknownNameError, nearest

__all__ = ["STATE_KINDS", "StateKind", "draw", "get_kind", "resolve"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class StateKind:
    """One kind of initial state: its keyword parameters (defaults) and its nature.

    ``random``: the draw uses a generator (replaced by its mean in eval mode unless
    ``eval_random=True``). ``learned``: it holds trainable parameters (needs an
    :class:`~rnninit.InitialState` module).
    """

    name: str
    params: Mapping[str, Any]
    random: bool
    learned: bool
    doc: str


_KINDS: dict[str, StateKind] = {
    k.name: k
    for k in (
        StateKind("zeros", {}, False, False, "all zeros (PyTorch's hx=None)"),
        StateKind("constant", {"value": REQUIRED}, False, False, "every entry = value"),
        StateKind(
            "uniform",
            {"low": None, "high": None, "scale": None},
            True,
            False,
            "U(low, high), default U(-0.5, 0.5); scale=s gives U(-s, s)",
        ),
        StateKind("normal", {"mean": 0.0, "std": 0.1}, True, False, "N(mean, std^2)"),
        StateKind("xavier_uniform", {"gain": 1.0}, True, False, "U(-b, b), b = gain*sqrt(3/width)"),
        StateKind("xavier_normal", {"gain": 1.0}, True, False, "N(0, (gain/sqrt(width))^2)"),
        StateKind("learned", {}, False, True, "trainable, per layer and direction"),
        StateKind(
            "learned_noisy", {"noise_std": 0.1}, True, True, "learned + N(0, noise_std^2) in train"
        ),
        StateKind(
            "conditional",
            {"context_size": REQUIRED, "activation": "tanh"},
            False,
            True,
            "act(W context + b), learned projection",
        ),
    )
}

#: Names of every initial-state kind.
STATE_KINDS: tuple[str, ...] = tuple(_KINDS)

_ACTIVATIONS = ("tanh", "identity")


def get_kind(name: object, argument: str = "kind") -> StateKind:
    """The :class:`StateKind` called ``name``; :class:`UnknownNameError` with a suggestion."""
    if not isinstance(name, str) or name not in _KINDS:
        raise UnknownNameError(argument, name, _KINDS)
    return _KINDS[name]


def _number(kind: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InitializerError(
            f"parameter {key!r} of kind {kind!r} must be a number, got {value!r}"
        )
    if not math.isfinite(float(value)):
        raise InitializerError(f"parameter {key!r} of kind {kind!r} must be finite, got {value!r}")
    return float(value)


def resolve(kind: StateKind, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``params`` for ``kind`` and return them complete (defaults filled in).

    Raises :class:`~rnninit.errors.InitializerError` for a parameter the kind does not take
    (with the nearest valid name), a missing required one, or a value out of range.
    """
    for key in params:
        if key not in kind.params:
            valid = ", ".join(kind.params) or "none"
            hint = nearest(key, kind.params)
            raise InitializerError(
                f"kind {kind.name!r} takes no parameter {key!r}; its parameters: {valid}"
                + (f". Did you mean {hint!r}?" if hint else "")
            )
    missing = [k for k, v in kind.params.items() if v is REQUIRED and k not in params]
    if missing:
        raise InitializerError(
            f"kind {kind.name!r} needs {', '.join(m + '=' for m in missing)}"
            f" (e.g. kind={kind.name!r}, {missing[0]}=...)"
        )
    out: dict[str, Any] = {**kind.params, **params}
    name = kind.name
    if name == "constant":
        out["value"] = _number(name, "value", out["value"])
    elif name == "uniform":
        scale, low, high = out.pop("scale"), out["low"], out["high"]
        if scale is not None:
            if low is not None or high is not None:
                raise InitializerError(
                    "kind 'uniform' takes either scale= (U(-scale, scale)) or low=/high=, not both"
                )
            s = _number(name, "scale", scale)
            if s <= 0:
                raise InitializerError(f"kind 'uniform' needs scale > 0, got {scale!r}")
            low, high = -s, s
        low = -0.5 if low is None else _number(name, "low", low)
        high = 0.5 if high is None else _number(name, "high", high)
        if not low < high:
            raise InitializerError(f"kind 'uniform' needs low < high, got low={low}, high={high}")
        out["low"], out["high"] = low, high
    elif name == "normal":
        out["mean"] = _number(name, "mean", out["mean"])
        out["std"] = _number(name, "std", out["std"])
        if out["std"] < 0:
            raise InitializerError(f"kind 'normal' needs std >= 0, got {out['std']}")
    elif name in ("xavier_uniform", "xavier_normal"):
        out["gain"] = _number(name, "gain", out["gain"])
        if out["gain"] < 0:
            raise InitializerError(f"kind {name!r} needs gain >= 0, got {out['gain']}")
    elif name == "learned_noisy":
        out["noise_std"] = _number(name, "noise_std", out["noise_std"])
        if out["noise_std"] < 0:
            raise InitializerError(
                f"kind 'learned_noisy' needs noise_std >= 0, got {out['noise_std']}"
            )
    elif name == "conditional":
        size = out["context_size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InitializerError(
                f"kind 'conditional' needs context_size = a positive int, got {size!r}"
            )
        if out["activation"] not in _ACTIVATIONS:
            raise UnknownNameError("activation", out["activation"], _ACTIVATIONS)
    return out


def draw(
    kind: StateKind,
    params: Mapping[str, Any],
    shape: tuple[int, ...],
    width: int,
    *,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator | None,
    random: bool,
) -> torch.Tensor:
    """Draw one state tensor of a parameter-free kind.

    ``random=False`` gives the deterministic counterpart of a random kind: its mean
    (``(low + high) / 2`` for uniform, ``mean`` for normal, 0 for xavier).
    """
    name = kind.name
    if name == "zeros":
        return torch.zeros(shape, dtype=dtype, device=device)
    if name == "constant":
        return torch.full(shape, params["value"], dtype=dtype, device=device)
    if name == "uniform":
        low, high = params["low"], params["high"]
        if not random:
            return torch.full(shape, (low + high) / 2, dtype=dtype, device=device)
        return torch.empty(shape, dtype=dtype, device=device).uniform_(
            low, high, generator=generator
        )
    if name == "normal":
        if not random:
            return torch.full(shape, params["mean"], dtype=dtype, device=device)
        out = torch.empty(shape, dtype=dtype, device=device)
        return out.normal_(params["mean"], params["std"], generator=generator)
    if name == "xavier_uniform":
        if not random:
            return torch.zeros(shape, dtype=dtype, device=device)
        bound = params["gain"] * math.sqrt(3.0 / width)
        out = torch.empty(shape, dtype=dtype, device=device)
        return out.uniform_(-bound, bound, generator=generator)
    if name == "xavier_normal":
        if not random:
            return torch.zeros(shape, dtype=dtype, device=device)
        std = params["gain"] / math.sqrt(width)
        return torch.empty(shape, dtype=dtype, device=device).normal_(0.0, std, generator=generator)
    raise InitializerError(f"kind {name!r} holds parameters; it is drawn by InitialState")
