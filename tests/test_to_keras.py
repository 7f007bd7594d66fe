"""to_keras: PyTorch weights in Keras' get_weights() layout.

Proven two ways: loaded into real Keras 3 layers with set_weights, they compute what the
PyTorch module computes (PyTorch's default init has non-zero b_ih AND b_hh, so the LSTM/RNN
bias fold is exercised); and from_keras_ -> to_keras gives back the very arrays it was given.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from keras_port_helpers import IN, KINDS, T, assert_same_run, keras_layer, run_keras, run_torch
from keras_port_helpers import torch_module as make_module
from torch import nn

from rnninit.interop import KerasConversionError, from_keras_, to_keras

os.environ.setdefault("KERAS_BACKEND", "torch")


def _x(seed: int, width: int = IN) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(3, T, width)).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("num_layers", "bidirectional"), [(1, False), (2, True)])
def test_loaded_into_keras_it_computes_the_same(
    kind: str, num_layers: int, bidirectional: bool
) -> None:
    pytest.importorskip("keras")
    torch.manual_seed(12)
    module = make_module(kind, num_layers, bidirectional)
    assert module.bias_hh_l0.abs().min() > 0  # both PyTorch biases live
    stack = []
    width = IN
    for group in to_keras(module):
        layer = keras_layer(kind, bidirectional)
        layer.build((None, T, width))
        layer.set_weights(group)
        stack.append(layer)
        width = module.hidden_size * (2 if bidirectional else 1)
    x = _x(13)
    assert_same_run(run_keras(stack, x), run_torch(module, x))


def test_structure_one_list_per_layer_forward_then_backward() -> None:
    gru = nn.GRU(4, 5, num_layers=2, bidirectional=True, bias=False)
    w = to_keras(gru)
    assert [[a.shape for a in group] for group in w] == [
        [(4, 15), (5, 15)] * 2,
        [(10, 15), (5, 15)] * 2,
    ]
    assert all(a.dtype == np.float32 for group in w for a in group)
    cell = nn.LSTMCell(4, 5)
    assert [[a.shape for a in group] for group in to_keras(cell)] == [[(4, 20), (5, 20), (20,)]]


def test_gru_bias_rows_and_lstm_bias_sum_against_raw_parameters() -> None:
    torch.manual_seed(14)
    gru, lstm, h = nn.GRU(3, 2), nn.LSTM(3, 2), 2
    (_, _, gb), (_, _, lb) = to_keras(gru)[0], to_keras(lstm)[0]
    # Keras GRU columns z, r, h = PyTorch rows 1, 0, 2; row 0 input bias, row 1 recurrent bias
    for keras_cols, torch_rows in [(slice(0, h), slice(h, 2 * h)), (slice(h, 2 * h), slice(0, h))]:
        assert np.array_equal(gb[0, keras_cols], gru.bias_ih_l0[torch_rows].detach().numpy())
        assert np.array_equal(gb[1, keras_cols], gru.bias_hh_l0[torch_rows].detach().numpy())
    forget = (lstm.bias_ih_l0[h : 2 * h] + lstm.bias_hh_l0[h : 2 * h]).detach().numpy()
    assert np.array_equal(lb[h : 2 * h], forget)


def test_arrays_are_copies() -> None:
    lstm = nn.LSTM(3, 2)
    kernel = to_keras(lstm)[0][0]
    kernel[:] = 7.0
    assert not (lstm.weight_ih_l0 == 7.0).any()


def test_read_only_arrays_and_tensors_are_read_without_warning(
    recwarn: pytest.WarningsRecorder,
) -> None:
    rng = np.random.default_rng(17)
    arrays = [rng.normal(size=s).astype(np.float32) for s in [(3, 6), (2, 6), (2, 6)]]
    for a in arrays:
        a.flags.writeable = False  # as np.load(..., mmap_mode="r") gives them
    gru = from_keras_(nn.GRU(3, 2), arrays)
    from_tensors = from_keras_(nn.GRU(3, 2), [torch.from_numpy(a.copy()) for a in arrays])
    assert not recwarn.list
    for p, q in zip(gru.parameters(), from_tensors.parameters(), strict=True):
        assert torch.equal(p, q)
    assert np.array_equal(to_keras(gru)[0][2], arrays[2])


def test_refuses_what_keras_cannot_hold() -> None:
    with pytest.raises(KerasConversionError, match="proj_size"):
        to_keras(nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(KerasConversionError, match="type='Linear'"):
        to_keras(nn.Linear(3, 4))


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    n_in=st.integers(1, 5),
    hidden=st.integers(1, 4),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    bias=st.booleans(),
)
@example(kind="GRU", n_in=3, hidden=2, num_layers=2, bidirectional=True, bias=True)
@example(kind="LSTM", n_in=1, hidden=1, num_layers=1, bidirectional=False, bias=False)
def test_round_trip_returns_the_same_arrays(
    kind: str, n_in: int, hidden: int, num_layers: int, bidirectional: bool, bias: bool
) -> None:
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU}.get(kind, nn.RNN)
    extra = {"nonlinearity": "relu" if kind == "RNN_RELU" else "tanh"} if cls is nn.RNN else {}
    module = cls(n_in, hidden, num_layers, bias=bias, bidirectional=bidirectional, **extra)
    rng = np.random.default_rng(n_in * 100 + hidden * 10 + num_layers)
    arrays = [
        [rng.normal(size=a.shape).astype(np.float32) for a in group] for group in to_keras(module)
    ]
    back = to_keras(from_keras_(module, arrays))
    assert len(back) == len(arrays) == num_layers
    for got, want in zip(back, arrays, strict=True):
        assert len(got) == len(want) == (3 if bias else 2) * (2 if bidirectional else 1)
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape and np.array_equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_cells_loaded_into_keras_cells_step_the_same(kind: str) -> None:
    keras = pytest.importorskip("keras")
    torch.manual_seed(18)
    relu = kind == "RNN_RELU"
    module, keras_cell = {
        "LSTM": (nn.LSTMCell(IN, 5), keras.layers.LSTMCell(5)),
        "GRU": (nn.GRUCell(IN, 5), keras.layers.GRUCell(5)),
    }.get(kind) or (
        nn.RNNCell(IN, 5, nonlinearity="relu" if relu else "tanh"),
        keras.layers.SimpleRNNCell(5, activation="relu" if relu else "tanh"),
    )
    keras_cell.build((None, IN))
    (weights,) = to_keras(module)
    keras_cell.set_weights(weights)
    rng = np.random.default_rng(19)
    x = rng.normal(size=(3, IN)).astype(np.float32)
    states = [rng.normal(size=(3, 5)).astype(np.float32) for _ in range(2 if kind == "LSTM" else 1)]
    _, want = keras_cell(x, states)
    with torch.no_grad():
        given = [torch.from_numpy(s) for s in states]
        got = module(torch.from_numpy(x), tuple(given) if kind == "LSTM" else given[0])
    got = got if isinstance(got, tuple) else (got,)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(w), g.numpy(), atol=1e-5, rtol=0)
    assert float(np.abs(got[0].numpy()).max()) > 0.05
