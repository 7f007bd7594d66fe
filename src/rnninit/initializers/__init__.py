"""Tensor-level initializers, in the style of ``torch.nn.init``.

Each function fills ``tensor`` in place under ``torch.no_grad()`` and returns it. Every random
draw takes an optional ``generator`` (a ``torch.Generator``; ``None`` uses PyTorch's global RNG).
Values are drawn in the tensor's dtype when it is ``float32``/``float64`` and in ``float32``
otherwise (``float16``/``bfloat16``), then copied in, so half-precision tensors get the same
distribution and orthogonal matrices are computed by a ``float32`` (or ``float64``) QR. When a
generator lives on another device than the tensor, values are drawn on the generator's device.

Fans follow ``torch.nn.init``: for a ``(rows, cols)`` matrix ``fan_in = cols`` and
``fan_out = rows`` (written $n_{in}$ and $n_{out}$ in the formulas below). Applied per gate
block by :func:`rnninit.init_`, a block of an LSTM ``weight_ih`` is ``(H, in)``, so
``fan_out = H``; applied to the whole stacked matrix it is ``4H`` (this is what Keras does on
its ``(in, 4H)`` kernel).

The parts: the tensor functions below (``_tensor``; the keep-gate biases, ``_gate_biases``;
where and in which dtype values are drawn, ``_draw``), and the registry of named initializers
that schemes and initial states name them by (:func:`register`, :data:`INITIALIZERS`,
:class:`Init`; ``_registry``) with its built-in catalogue (``_catalog``).

>>> import torch
>>> from rnninit import initializers as I
>>> w = torch.empty(8, 4)  # a (rows, cols) matrix: fan_in = cols, fan_out = rows
>>> I.fans(w)
(4, 8)
>>> q = I.orthogonal_(torch.empty(4, 4), generator=torch.Generator().manual_seed(0))
>>> bool(torch.allclose(q @ q.T, torch.eye(4), atol=1e-6))
True
"""

from __future__ import annotations

from . import _catalog  # noqa: F401  (registers the built-in names)
from ._registry import INITIALIZERS, Init, register, unregister
from ._tensor import (
    chrono_,
    chrono_log_,
    constant_,
    fan_in_truncated_normal_,
    fans,
    identity_,
    kaiming_normal_,
    kaiming_uniform_,
    lecun_normal_,
    normal_,
    orthogonal_,
    pytorch_default_,
    truncated_normal_,
    uniform_,
    uniform_gate_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)

__all__ = [
    "INITIALIZERS",
    "Init",
    "chrono_",
    "chrono_log_",
    "constant_",
    "fan_in_truncated_normal_",
    "fans",
    "identity_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "normal_",
    "orthogonal_",
    "pytorch_default_",
    "register",
    "truncated_normal_",
    "uniform_",
    "uniform_gate_",
    "unregister",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
