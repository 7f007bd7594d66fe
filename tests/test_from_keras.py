"""from_keras_ against the real Keras 3 (torch backend): same inputs, same outputs and states.

Every Keras weight is first set to random values (biases on every gate non-zero), then copied
into the PyTorch module; both run the same random sequence. Outputs and final states of every
layer and direction must agree to 1e-5 in float32. Gate mapping is also checked against raw
parameter rows (PyTorch order LSTM i,f,g,o; GRU r,z,n).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from keras_port_helpers import (
    IN,
    KINDS,
    B,
    H,
    T,
    assert_same_run,
    build_stack,
    keras_layer,
    randomize,
    run_keras,
    run_torch,
    torch_module,
)
from torch import nn

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from rnninit.interop import KerasConversionWarning, from_keras_  # noqa: E402

STRUCTURES = [(1, False), (1, True), (2, False), (2, True)]


def _x(seed: int, width: int = IN) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(B, T, width)).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("num_layers", "bidirectional"), STRUCTURES)
def test_same_outputs_and_states_as_keras(kind: str, num_layers: int, bidirectional: bool) -> None:
    rng = np.random.default_rng(KINDS.index(kind) * 10 + num_layers * 2 + bidirectional)
    stack = build_stack(kind, num_layers, bidirectional, rng)
    module = torch_module(kind, num_layers, bidirectional)
    params_before = {n: p for n, p in module.named_parameters()}
    source = stack[0] if num_layers == 1 else stack
    assert from_keras_(module, source) is module
    # in place: the very same Parameter objects, no re-pack
    assert all(p is params_before[n] for n, p in module.named_parameters())
    x = _x(1)
    assert_same_run(run_keras(stack, x), run_torch(module, x))


@pytest.mark.parametrize("kind", KINDS)
def test_plain_arrays_give_the_same_module_as_the_layer(kind: str) -> None:
    stack = build_stack(kind, 2, True, np.random.default_rng(3))
    nested = [layer.get_weights() for layer in stack]
    flat = [a for group in nested for a in group]
    by_layer = from_keras_(torch_module(kind, 2, True), stack)
    x = _x(2)
    for arrays in (nested, flat):
        by_arrays = from_keras_(torch_module(kind, 2, True), arrays)
        for (n, p), q in zip(by_arrays.named_parameters(), by_layer.parameters(), strict=True):
            assert torch.equal(p, q), n
    assert_same_run(run_keras(stack, x), run_torch(by_layer, x))


def test_rnn_wrapper_around_a_cell_is_accepted() -> None:
    layer = keras.layers.RNN(keras.layers.GRUCell(H), return_sequences=True, return_state=True)
    layer.build((None, T, IN))
    randomize(layer, np.random.default_rng(4))
    module = from_keras_(torch_module("GRU"), layer)
    x = _x(3)
    assert_same_run(run_keras([layer], x), run_torch(module, x))


_CELLS = {
    "LSTM": (nn.LSTMCell, keras.layers.LSTMCell, {}),
    "GRU": (nn.GRUCell, keras.layers.GRUCell, {}),
    "RNN_TANH": (nn.RNNCell, keras.layers.SimpleRNNCell, {"activation": "tanh"}),
    "RNN_RELU": (nn.RNNCell, keras.layers.SimpleRNNCell, {"activation": "relu"}),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("from_layer", [False, True], ids=["cell", "layer"])
def test_cells_step_like_keras(kind: str, from_layer: bool) -> None:
    torch_cls, keras_cls, kw = _CELLS[kind]
    rng = np.random.default_rng(5)
    cell = keras_cls(H, **kw)
    cell.build((None, IN))
    randomize(cell, rng)
    source = cell
    if from_layer:  # the same cell inside a built layer
        source = keras_layer(kind)
        source.build((None, T, IN))
        source.set_weights(cell.get_weights())
    extra = {"nonlinearity": "relu"} if kind == "RNN_RELU" else {}
    module = from_keras_(torch_cls(IN, H, **extra), source)
    x = rng.normal(size=(B, IN)).astype(np.float32)
    states = [rng.normal(size=(B, H)).astype(np.float32) for _ in range(2 if kind == "LSTM" else 1)]
    _, new_states = cell(x, states)
    with torch.no_grad():
        got = module(torch.from_numpy(x), tuple(map(torch.from_numpy, states)) if kind == "LSTM"
                     else torch.from_numpy(states[0]))  # fmt: skip
    got = got if isinstance(got, tuple) else (got,)
    for want, have in zip(new_states, got, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(want), have.numpy(), atol=1e-5)
    assert float(np.abs(got[0].numpy()).max()) > 0.05


def test_lstm_gate_blocks_land_on_pytorch_rows() -> None:
    layer = keras_layer("LSTM")
    layer.build((None, T, IN))
    k, r, b = randomize(layer, np.random.default_rng(6))
    m = from_keras_(torch_module("LSTM"), layer)
    for j in range(4):  # Keras i, f, c, o = PyTorch i, f, g, o
        rows, cols = slice(j * H, (j + 1) * H), slice(j * H, (j + 1) * H)
        assert torch.equal(m.weight_ih_l0[rows], torch.from_numpy(k[:, cols].T.copy()))
        assert torch.equal(m.weight_hh_l0[rows], torch.from_numpy(r[:, cols].T.copy()))
        assert torch.equal(m.bias_ih_l0[rows], torch.from_numpy(b[cols]))
    assert torch.equal(m.bias_hh_l0, torch.zeros(4 * H))  # the one Keras bias goes to bias_ih


def test_gru_gate_blocks_land_on_pytorch_rows() -> None:
    layer = keras_layer("GRU")
    layer.build((None, T, IN))
    k, r, b = randomize(layer, np.random.default_rng(7))
    m = from_keras_(torch_module("GRU"), layer)
    z, reset, cand = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)  # Keras columns z, r, h
    for torch_rows, keras_cols in [(slice(0, H), reset), (slice(H, 2 * H), z), (cand, cand)]:
        assert torch.equal(m.weight_ih_l0[torch_rows], torch.from_numpy(k[:, keras_cols].T.copy()))
        assert torch.equal(m.weight_hh_l0[torch_rows], torch.from_numpy(r[:, keras_cols].T.copy()))
        assert torch.equal(m.bias_ih_l0[torch_rows], torch.from_numpy(b[0, keras_cols]))
        assert torch.equal(m.bias_hh_l0[torch_rows], torch.from_numpy(b[1, keras_cols]))


def test_dtype_and_device_are_kept() -> None:
    layer = keras_layer("GRU")
    layer.build((None, T, IN))
    k, _, _ = randomize(layer, np.random.default_rng(8))
    m = from_keras_(torch_module("GRU", dtype=torch.float64), layer)
    assert m.weight_ih_l0.dtype == torch.float64
    assert torch.equal(
        m.weight_ih_l0[2 * H :], torch.from_numpy(k[:, 2 * H :].T.astype(np.float64))
    )


def test_stateful_layer_warns_and_copies_the_weights() -> None:
    layer = keras_layer("LSTM", stateful=True)
    layer.build((B, T, IN))
    k, _, _ = randomize(layer, np.random.default_rng(9))
    m = torch_module("LSTM")
    with pytest.warns(KerasConversionWarning, match=r"stateful=True.*initial state"):
        from_keras_(m, layer)
    assert torch.equal(m.weight_ih_l0, torch.from_numpy(k.T.copy()))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH"])
def test_dropout_warns_and_evaluation_outputs_match(kind: str) -> None:
    stack = build_stack(kind, 1, False, np.random.default_rng(10), dropout=0.3,
                        recurrent_dropout=0.2)  # fmt: skip
    with pytest.warns(KerasConversionWarning, match=r"dropout=0.3, recurrent_dropout=0.2"):
        m = from_keras_(torch_module(kind), stack[0])
    x = _x(4)
    assert_same_run(run_keras(stack, x), run_torch(m.eval(), x))  # Keras' call: training=False


def test_importing_and_plain_arrays_never_import_keras() -> None:
    code = (
        "import sys, numpy as np, torch\n"
        "from rnninit.keras_io import from_keras_, to_keras\n"
        "m = torch.nn.LSTM(2, 3)\n"
        "from_keras_(m, [np.ones((2, 12), 'f4'), np.ones((3, 12), 'f4'), np.ones(12, 'f4')])\n"
        "to_keras(m)\n"
        "assert 'keras' not in sys.modules, 'keras was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_go_backwards_advice_holds_flip_time_and_pass_the_arrays() -> None:
    # the refusal message says: flip the time axis yourself and pass layer.get_weights()
    stack = build_stack("GRU", 1, False, np.random.default_rng(15), go_backwards=True)
    module = from_keras_(torch_module("GRU"), stack[0].get_weights())
    x = _x(5)
    keras_out, keras_final = run_keras(stack, x)  # Keras returns the reversed sequence
    torch_out, torch_final = run_torch(module, np.ascontiguousarray(x[:, ::-1]))
    assert_same_run((keras_out, keras_final), (torch_out, torch_final))


def test_merge_mode_sum_advice_holds_for_the_last_layer() -> None:
    layer = keras.layers.Bidirectional(keras_layer("LSTM", return_state=False), merge_mode="sum")
    layer.build((None, T, IN))
    randomize(layer, np.random.default_rng(16))
    module = from_keras_(torch_module("LSTM", bidirectional=True), layer.get_weights())
    x = _x(6)
    want = keras.ops.convert_to_numpy(layer(x))
    got, _ = run_torch(module, x)
    np.testing.assert_allclose(want, got[..., :H] + got[..., H:], atol=1e-5, rtol=0)
    assert float(np.abs(want).max()) > 0.05
