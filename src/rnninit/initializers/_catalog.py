r"""The built-in initializers of the registry (:data:`rnninit.initializers.INITIALIZERS`).

Each entry names a function of :mod:`rnninit.initializers`, its parameters with defaults, and
what it needs; ``doc`` gives its law and source (details in ``docs/recipes.md``). One meaning per
name, for weights and initial states alike (``for_states``): ``uniform`` is $\mathcal{U}(a, b)$
with $a$, $b$ = ``low``, ``high``, default $\mathcal{U}(-0.5, 0.5)$; ``normal`` is
$\mathcal{N}(\mu, \sigma^2)$ with $\mu$, $\sigma$ = ``mean``, ``std``, default
$\mathcal{N}(0, 0.1^2)$. The ``doc`` strings are data and stay plain text.

>>> from rnninit.initializers import INITIALIZERS
>>> INITIALIZERS["normal"].params, INITIALIZERS["glorot_uniform"].name
({'mean': 0.0, 'std': 0.1}, 'xavier_uniform')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from . import _tensor as I
from ._registry import _REGISTERED, NUMBER, register

__all__: list[str] = []


def _ones_(tensor: torch.Tensor) -> torch.Tensor:
    return I.constant_(tensor, 1.0)


def _mean(params: Mapping[str, Any]) -> float:
    return float(params["mean"])


def _midpoint(params: Mapping[str, Any]) -> float:
    return (float(params["low"]) + float(params["high"])) / 2


_FANS = ("fans",)  # a state builder supplies (W, W); weights use the tensor's own fans
register("zeros", I.zeros_, random=False, for_states=True, doc="0")
register("ones", _ones_, random=False, doc="1")
register("constant", I.constant_, {"value": NUMBER}, random=False, for_states=True, doc="value")
register(
    "uniform",
    I.uniform_,
    {"low": -0.5, "high": 0.5},
    for_states=True,
    eval_value=_midpoint,
    doc="U(low, high), default U(-0.5, 0.5)",
)
register(
    "normal",
    I.normal_,
    {"mean": 0.0, "std": 0.1},
    for_states=True,
    eval_value=_mean,
    doc="N(mean, std^2), default N(0, 0.1^2) (Pitis 2016's noisy zero state)",
)
register(
    "truncated_normal",
    I.truncated_normal_,
    {"mean": 0.0, "std": NUMBER, "a": -2.0, "b": 2.0},
    eval_value=_mean,
    doc="N(mean, std^2) truncated to [mean + a std, mean + b std]",
)
register(
    "xavier_uniform",
    I.xavier_uniform_,
    {"gain": 1.0},
    context=_FANS,
    needs_matrix=True,
    for_states=True,
    doc="U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)",
)
register(
    "xavier_normal",
    I.xavier_normal_,
    {"gain": 1.0},
    context=_FANS,
    needs_matrix=True,
    for_states=True,
    doc="N(0, 2 gain^2 / (fan_in + fan_out)) (Glorot & Bengio 2010)",
)
# Keras' names for the same entries (the registry's own package writes them directly)
_REGISTERED["glorot_uniform"] = _REGISTERED["xavier_uniform"]
_REGISTERED["glorot_normal"] = _REGISTERED["xavier_normal"]
register(
    "kaiming_uniform",
    I.kaiming_uniform_,
    {"nonlinearity": "relu", "mode": "fan_in"},
    needs_matrix=True,
    doc="U(-a, a), a = gain sqrt(3 / fan) (He et al. 2015)",
)
register(
    "kaiming_normal",
    I.kaiming_normal_,
    {"nonlinearity": "relu", "mode": "fan_in"},
    needs_matrix=True,
    doc="N(0, gain^2 / fan) (He et al. 2015)",
)
register(
    "lecun_normal",
    I.lecun_normal_,
    needs_matrix=True,
    doc="truncated N with variance 1/fan_in (Flax/Keras lecun_normal)",
)
register(
    "fan_in_truncated_normal",
    I.fan_in_truncated_normal_,
    {"scale": 1.0},
    needs_matrix=True,
    doc="TruncatedNormal(stddev = scale / sqrt(fan_in)) (Sonnet 2)",
)
register(
    "orthogonal",
    I.orthogonal_,
    {"gain": 1.0},
    needs_matrix=True,
    doc="(semi-)orthogonal, Haar via QR (Saxe et al. 2014)",
)
register(
    "identity",
    I.identity_,
    {"gain": 1.0},
    random=False,
    needs_matrix=True,
    needs_square=True,
    doc="gain * I (IRNN, Le et al. 2015)",
)
register(
    "pytorch_default",
    I.pytorch_default_,
    context=("hidden_size",),
    doc="U(-1/sqrt(H), 1/sqrt(H)) (torch.nn.RNNBase.reset_parameters)",
)
register(
    "chrono",
    I.chrono_,
    {"max_timescale": NUMBER},
    doc="log U(1, T_max - 1) (Tallec & Ollivier 2018)",
)
register(
    "chrono_log",
    I.chrono_log_,
    {"max_timescale": NUMBER},
    doc="log(tau - 1), tau log-uniform on [2, T_max] (chrono, log-spaced timescales)",
)
register("uniform_gate", I.uniform_gate_, doc="logit U(1/d, 1 - 1/d) (Gu et al. 2020)")
