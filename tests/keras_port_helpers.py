"""Shared helpers of the Keras import/export tests: build, randomize and run both frameworks.

Sizes are chosen so that no two can coincide: batch 3 is not L*D (1, 2 or 4), input width 4 is
not the hidden size 6, and the time length 5 is neither.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn

os.environ.setdefault("KERAS_BACKEND", "torch")

B, T, IN, H = 3, 5, 4, 6
KINDS = ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")
ATOL = 1e-5


def keras_layer(kind: str, bidirectional: bool = False, **kw: Any) -> Any:
    """A Keras 3 layer of ``kind`` returning sequences and states (not built)."""
    from keras import layers

    kw = {"return_sequences": True, "return_state": True, **kw}
    if kind == "LSTM":
        layer = layers.LSTM(H, **kw)
    elif kind == "GRU":
        layer = layers.GRU(H, **kw)
    else:
        kw.setdefault("activation", "relu" if kind == "RNN_RELU" else "tanh")
        layer = layers.SimpleRNN(H, **kw)
    return layers.Bidirectional(layer) if bidirectional else layer


def randomize(layer: Any, rng: np.random.Generator, scale: float = 0.4) -> list[np.ndarray]:
    """Set every Keras weight (every bias entry included) to N(0, scale^2); return them."""
    values = [rng.normal(0.0, scale, w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(values)
    return values


def build_stack(
    kind: str, num_layers: int, bidirectional: bool, rng: np.random.Generator, **kw: Any
) -> list[Any]:
    """``num_layers`` built Keras layers with random weights, each fed by the previous one."""
    stack = []
    width = IN
    for _ in range(num_layers):
        layer = keras_layer(kind, bidirectional, **kw)
        layer.build((None, T, width))
        randomize(layer, rng)
        stack.append(layer)
        width = H * (2 if bidirectional else 1)
    return stack


def run_keras(stack: list[Any], x: np.ndarray) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Output of the last layer, and the final states of every (layer, direction) in order.

    Each entry of the state list is ``[h]`` or ``[h, c]``; a Bidirectional layer returns the
    forward layer's states, then the backward layer's.
    """
    from keras import ops

    y: Any = x
    finals: list[list[np.ndarray]] = []
    for layer in stack:
        out = layer(y)
        y = out[0]
        states = [ops.convert_to_numpy(s) for s in out[1:]]
        inner = layer.forward_layer if hasattr(layer, "forward_layer") else layer
        per = 2 if type(inner).__name__ == "LSTM" else 1
        finals.extend(states[i : i + per] for i in range(0, len(states), per))
    return ops.convert_to_numpy(y), finals


def torch_module(
    kind: str, num_layers: int = 1, bidirectional: bool = False, **kw: Any
) -> nn.RNNBase:
    """The matching PyTorch module (batch_first, so inputs are shared with Keras as-is)."""
    args = {"num_layers": num_layers, "bidirectional": bidirectional, "batch_first": True, **kw}
    if kind == "LSTM":
        return nn.LSTM(IN, H, **args)
    if kind == "GRU":
        return nn.GRU(IN, H, **args)
    return nn.RNN(IN, H, nonlinearity="relu" if kind == "RNN_RELU" else "tanh", **args)


def run_torch(module: nn.RNNBase, x: np.ndarray) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Output and final states per (layer, direction), in the same form as :func:`run_keras`."""
    with torch.no_grad():
        out, state = module(torch.from_numpy(x))
    parts = state if isinstance(state, tuple) else (state,)
    finals = [[p[i].numpy() for p in parts] for i in range(parts[0].shape[0])]
    return out.numpy(), finals


def assert_same_run(a: tuple[Any, Any], b: tuple[Any, Any]) -> None:
    """Outputs and every final state equal within float32 tolerance (and never trivially)."""
    (out_a, fin_a), (out_b, fin_b) = a, b
    assert out_a.shape == out_b.shape
    np.testing.assert_allclose(out_a, out_b, atol=ATOL, rtol=0)
    assert len(fin_a) == len(fin_b)
    for sa, sb in zip(fin_a, fin_b, strict=True):
        assert len(sa) == len(sb)
        for ta, tb in zip(sa, sb, strict=True):
            assert ta.shape == tb.shape == (B, H)
            np.testing.assert_allclose(ta, tb, atol=ATOL, rtol=0)
    assert float(np.abs(out_a).max()) > 0.05  # a real signal, not two zero tensors


def snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every parameter, to prove a failed call wrote nothing."""
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def assert_unchanged(module: nn.Module, before: dict[str, torch.Tensor]) -> None:
    """Every parameter bit-identical to ``before``."""
    for n, p in module.named_parameters():
        assert torch.equal(p, before[n]), n
