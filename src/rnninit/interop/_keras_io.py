"""Keras weights in and out: :func:`from_keras_`, :func:`to_keras` (see :mod:`rnninit.interop`)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, TypeVar

import torch
from torch import nn

from ..errors import KerasConversionError, KerasConversionWarning
from ..layouts import Layout, is_recurrent, layout_of
from .keras_arrays import (
    check_shapes,
    direction_names,
    from_torch,
    split_arrays,
    to_torch,
)
from .keras_layers import is_keras_object, read_keras

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["KerasConversionError", "KerasConversionWarning", "from_keras_", "to_keras"]

M = TypeVar("M", bound=nn.Module)


def _layout(module: object) -> Layout:
    if not isinstance(module, nn.Module) or not is_recurrent(module):
        raise KerasConversionError(
            "module",
            "type",
            type(module).__name__,
            "expected nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell or nn.RNNCell",
        )
    layout = layout_of(module)
    if layout.proj_size > 0:
        raise KerasConversionError(
            "module", "proj_size", layout.proj_size, "Keras' LSTM has no output projection"
        )
    return layout


def _is_keras_source(layer: object) -> bool:
    if isinstance(layer, list | tuple):
        return bool(layer) and all(is_keras_object(o) for o in layer)
    return is_keras_object(layer)


def from_keras_(module: M, layer: object) -> M:
    """Copy a Keras recurrent layer's weights into ``module`` in place and return ``module``.

    ``layer`` is one of:

    * a built Keras 3 ``LSTM``, ``GRU``, ``SimpleRNN`` (or ``RNN`` around their cells), a
      ``Bidirectional`` around one, or a cell (``LSTMCell``, ``GRUCell``, ``SimpleRNNCell``);
    * a list of such layers, one per PyTorch layer, for a multi-layer module;
    * plain arrays in Keras' layout: one layer's ``get_weights()``, a list of such lists (one
      per stacked layer) or the same flattened (a ``Sequential`` model's ``get_weights()``).

    The math (transposes, gate order Keras GRU ``z, r, h`` -> PyTorch ``r, z, n``, one Keras
    bias -> ``bias_ih`` with ``bias_hh = 0``, GRU's ``(2, 3H)`` bias -> ``bias_ih`` / ``bias_hh``)
    is in the module docstring of :mod:`rnninit.interop`. Every check runs before the first
    write, so on :class:`KerasConversionError` the module is unchanged; on success the existing
    Parameters are written with ``copy_`` under ``torch.no_grad()`` (dtype, device and cuDNN's
    flat weight buffer kept). Source: ``keras/src/layers/rnn/`` (Keras 3) and
    ``torch/nn/modules/rnn.py``.

    >>> import numpy as np, torch
    >>> u, n_in = 2, 3
    >>> rng = np.random.default_rng(0)
    >>> kernel = rng.normal(size=(n_in, 3 * u)).astype("float32")  # Keras GRU columns z, r, h
    >>> recurrent = rng.normal(size=(u, 3 * u)).astype("float32")
    >>> bias = np.arange(6 * u, dtype="float32").reshape(2, 3 * u)  # row 0 input, 1 recurrent
    >>> gru = from_keras_(torch.nn.GRU(n_in, u), [kernel, recurrent, bias])
    >>> gru.bias_ih_l0.tolist()  # PyTorch rows r, z, n = Keras columns 2:4, 0:2, 4:6
    [2.0, 3.0, 0.0, 1.0, 4.0, 5.0]
    >>> gru.bias_hh_l0.tolist()
    [8.0, 9.0, 6.0, 7.0, 10.0, 11.0]
    >>> torch.equal(gru.weight_ih_l0[0:u], torch.from_numpy(kernel[:, u : 2 * u].T))  # r
    True
    """
    layout = _layout(module)
    notes: list[str] = []
    if _is_keras_source(layer):
        directions = read_keras(layout, layer, notes)
    else:
        directions = split_arrays(layout, layer)
    params = direction_names(module)
    writes: list[tuple[torch.Tensor, torch.Tensor]] = []
    for index, dw in enumerate(directions):
        k, d = divmod(index, layout.num_directions)
        check_shapes(layout, k, dw)
        for kind, value in to_torch(layout, dw).items():
            p = params[(k, d)][kind]
            writes.append((p, value.to(dtype=p.dtype, device=p.device)))
    for note in notes:
        warnings.warn(note, KerasConversionWarning, stacklevel=2)
    with torch.no_grad():
        for p, value in writes:
            p.copy_(value)
    return module


def to_keras(module: nn.Module) -> list[list[NDArray[Any]]]:
    """The weights of ``module`` in Keras' ``get_weights()`` layout: one list per layer.

    ``to_keras(m)[k]`` is what ``set_weights`` of Keras layer ``k`` takes: ``[kernel (in, G*H),
    recurrent_kernel (H, G*H), bias]`` (no bias when ``bias=False``), the forward direction's
    arrays then the backward direction's for a bidirectional module (a Keras
    ``Bidirectional``). A Cell gives a list of one list. Flatten it (``sum(w, [])``) for a
    ``Sequential`` model's ``set_weights``.

    The inverse of :func:`from_keras_`: ``kernel = W_ih^T`` and ``recurrent_kernel = W_hh^T``
    with PyTorch's row blocks put back in Keras' column order (GRU ``r, z, n`` -> ``z, r, h``);
    LSTM and SimpleRNN fold the two biases into Keras' one, ``bias = b_ih + b_hh`` (the gates
    only see the sum, so outputs match; it is exact when ``b_hh = 0``, as after
    :func:`from_keras_`); GRU keeps them as the rows of a ``(2, 3H)`` bias. Arrays are copies,
    in the module's dtype, on the CPU. Needs NumPy.

    >>> import torch
    >>> lstm = torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True)
    >>> w = to_keras(lstm)
    >>> [[a.shape for a in layer] for layer in w]  # forward then backward, per layer
    [[(3, 8), (2, 8), (8,), (3, 8), (2, 8), (8,)], [(4, 8), (2, 8), (8,), (4, 8), (2, 8), (8,)]]
    >>> bias = (lstm.bias_ih_l1_reverse + lstm.bias_hh_l1_reverse).detach().numpy()
    >>> bool((w[1][5] == bias).all())
    True
    """
    layout = _layout(module)
    params = direction_names(module)
    return [
        [
            t.contiguous().cpu().numpy()
            for d in range(layout.num_directions)
            for t in from_torch(layout, params[(k, d)])
        ]
        for k in range(layout.num_layers)
    ]
