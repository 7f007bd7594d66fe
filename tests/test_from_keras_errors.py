"""from_keras_ refuses what PyTorch cannot represent, by name, before writing anything.

Each case builds a valid-looking PyTorch module and a Keras source it cannot take; the call
must raise KerasConversionError naming the setting, and every parameter of the module must be
bit-identical afterwards (including when only a later layer of a stack is at fault).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from keras_port_helpers import (
    IN,
    H,
    T,
    assert_unchanged,
    build_stack,
    keras_layer,
    snapshot,
    torch_module,
)
from torch import nn

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from rnninit.errors import RnnInitError  # noqa: E402
from rnninit.interop import KerasConversionError, from_keras_  # noqa: E402

_RNG = np.random.default_rng(11)


def _built(kind: str, width: int = IN, bidirectional: bool = False, **kw: Any) -> Any:
    return (
        build_stack(kind, 1, bidirectional, _RNG, **kw)[0]
        if width == IN
        else _wide(kind, width, **kw)
    )


def _wide(kind: str, width: int, **kw: Any) -> Any:
    layer = keras_layer(kind, **kw)
    layer.build((None, T, width))
    return layer


def _arrays(kind: str, **kw: Any) -> list[np.ndarray]:
    return list(_built(kind, **kw).get_weights())


# (id, module factory, source factory, setting named in the error, words in the reason)
CASES: list[tuple[str, Callable[[], nn.Module], Callable[[], Any], str, str]] = [
    ("gru_reset_before", lambda: torch_module("GRU"), lambda: _built("GRU", reset_after=False),
     "reset_after", "before the recurrent matrix"),
    ("gru_reset_before_arrays", lambda: torch_module("GRU"),
     lambda: _arrays("GRU", reset_after=False), "reset_after", "(3*units,)"),
    ("hard_sigmoid", lambda: torch_module("LSTM"),
     lambda: _built("LSTM", recurrent_activation="hard_sigmoid"), "recurrent_activation",
     "sigmoid"),
    ("lstm_relu", lambda: torch_module("LSTM"), lambda: _built("LSTM", activation="relu"),
     "activation", "tanh"),
    ("gru_custom_fn", lambda: torch_module("GRU"),
     lambda: _built("GRU", activation=lambda t: keras.ops.tanh(t)), "activation", "tanh"),
    ("rnn_relu_into_tanh", lambda: torch_module("RNN_TANH"), lambda: _built("RNN_RELU"),
     "activation", "nonlinearity"),
    ("rnn_tanh_into_relu", lambda: torch_module("RNN_RELU"), lambda: _built("RNN_TANH"),
     "activation", "relu"),
    ("rnn_linear", lambda: torch_module("RNN_TANH"), lambda: _built("RNN_TANH", activation=None),
     "activation", "tanh"),
    ("no_bias_into_bias", lambda: torch_module("LSTM"), lambda: _built("LSTM", use_bias=False),
     "use_bias", "bias=True"),
    ("bias_into_no_bias", lambda: torch_module("GRU", bias=False), lambda: _built("GRU"),
     "use_bias", "bias=False"),
    ("units", lambda: nn.LSTM(IN, H + 1, batch_first=True), lambda: _built("LSTM"), "units",
     f"hidden_size={H + 1}"),
    ("input_width", lambda: torch_module("GRU"), lambda: _built("GRU", width=IN + 3),
     "kernel input width", "input_size"),
    ("too_few_layers", lambda: torch_module("LSTM", 2), lambda: _built("LSTM"), "len(layers)",
     "num_layers=2"),
    ("too_many_layers", lambda: torch_module("LSTM"),
     lambda: build_stack("LSTM", 2, False, _RNG), "len(layers)", "num_layers=1"),
    ("bidirectional_into_uni", lambda: torch_module("GRU"),
     lambda: _built("GRU", bidirectional=True), "layer type", "unidirectional"),
    ("uni_into_bidirectional", lambda: torch_module("GRU", bidirectional=True),
     lambda: _built("GRU"), "layer type", "Bidirectional"),
    ("go_backwards_alone", lambda: torch_module("LSTM"),
     lambda: _built("LSTM", go_backwards=True), "go_backwards", "backward-only"),
    ("merge_sum", lambda: torch_module("LSTM", bidirectional=True),
     lambda: _merge("sum"), "merge_mode", "concatenates"),
    ("merge_none", lambda: torch_module("LSTM", bidirectional=True),
     lambda: _merge(None), "merge_mode", "concatenates"),
    ("family", lambda: torch_module("LSTM"), lambda: _built("GRU"), "layer type", "LSTM"),
    ("cell_family", lambda: nn.GRUCell(IN, H), lambda: _cell(keras.layers.LSTMCell),
     "layer type", "GRU"),
    ("not_built", lambda: torch_module("LSTM"), lambda: keras_layer("LSTM"), "weights",
     "not built"),
    ("stacked_cells", lambda: torch_module("LSTM", 2), lambda: _stacked_cells(),
     "len(layers)", "num_layers=2"),
    ("stacked_cells_one", lambda: torch_module("LSTM"), lambda: _stacked_cells(),
     "layer type", "as a list"),
    ("dense", lambda: torch_module("LSTM"), lambda: _dense(), "layer type", "supported"),
    ("proj_size", lambda: nn.LSTM(IN, H, proj_size=2), lambda: _built("LSTM"), "proj_size",
     "projection"),
    ("not_recurrent", lambda: nn.Linear(IN, H), lambda: _built("LSTM"), "type", "nn.LSTM"),
    ("arrays_count", lambda: torch_module("LSTM"), lambda: _arrays("LSTM")[:2], "len(arrays)",
     "expected 3"),
    ("arrays_count_no_bias", lambda: torch_module("LSTM", bias=False),
     lambda: _arrays("LSTM"), "len(arrays)", "use_bias=True gives 3"),
    ("arrays_nested_count", lambda: torch_module("GRU", 2),
     lambda: [_arrays("GRU")], "len(arrays)", "one list per layer"),
    ("arrays_nested_group", lambda: torch_module("GRU", bidirectional=True),
     lambda: [_arrays("GRU")], "len(arrays[0])", "expected 6"),
    ("arrays_shape_recurrent", lambda: torch_module("LSTM"),
     lambda: [a.T if a.ndim == 2 and a.shape[0] == H else a for a in _arrays("LSTM")],
     "recurrent_kernel.shape", f"({H}, {4 * H})"),
    ("arrays_shape_bias", lambda: torch_module("RNN_TANH"),
     lambda: [*_arrays("RNN_TANH")[:2], np.zeros(H + 1, np.float32)], "bias.shape", f"({H},)"),
    ("arrays_gru_bias_flat", lambda: torch_module("GRU"),
     lambda: [*_arrays("GRU")[:2], np.zeros(6 * H, np.float32)], "bias.shape", f"(2, {3 * H})"),
    ("arrays_mixed", lambda: torch_module("LSTM"),
     lambda: [*_arrays("LSTM")[:2], [np.zeros(4 * H, np.float32)]], "layer", "mix"),
    ("arrays_not_array", lambda: torch_module("LSTM"), lambda: [*_arrays("LSTM")[:2], "bias"],
     "arrays[2]", "numpy array"),
    ("arrays_int", lambda: torch_module("LSTM"),
     lambda: [*_arrays("LSTM")[:2], np.zeros(4 * H, np.int64)], "arrays[2].dtype",
     "floating-point"),
    ("not_a_list", lambda: torch_module("LSTM"), lambda: np.zeros((IN, 4 * H), np.float32),
     "layer", "get_weights"),
    ("empty", lambda: torch_module("LSTM"), lambda: [], "layer", "non-empty"),
]  # fmt: skip


def _merge(mode: str | None) -> Any:
    layer = keras.layers.Bidirectional(keras.layers.LSTM(H, return_sequences=True), merge_mode=mode)
    layer.build((None, T, IN))
    return layer


def _cell(cls: Any) -> Any:
    cell = cls(H)
    cell.build((None, IN))
    return cell


def _stacked_cells() -> Any:
    layer = keras.layers.RNN([keras.layers.LSTMCell(H), keras.layers.LSTMCell(H)])
    layer.build((None, T, IN))
    return layer


def _dense() -> Any:
    layer = keras.layers.Dense(H)
    layer.build((None, IN))
    return layer


@pytest.mark.parametrize(("module_fn", "source_fn", "setting", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])  # fmt: skip
def test_refused_by_name_and_module_untouched(
    module_fn: Callable[[], nn.Module], source_fn: Callable[[], Any], setting: str, words: str
) -> None:
    module = module_fn()
    source = source_fn()
    before = snapshot(module)
    with pytest.raises(KerasConversionError) as info:
        from_keras_(module, source)
    err = info.value
    assert isinstance(err, RnnInitError) and isinstance(err, ValueError)
    assert err.setting == setting
    assert words in str(err)
    assert_unchanged(module, before)


def test_a_bad_later_layer_leaves_earlier_layers_untouched() -> None:
    good = build_stack("LSTM", 1, True, _RNG)[0]
    bad = keras.layers.Bidirectional(
        keras.layers.LSTM(H, return_sequences=True, recurrent_activation="hard_sigmoid")
    )
    bad.build((None, T, 2 * H))
    module = torch_module("LSTM", 2, True)
    before = snapshot(module)
    with pytest.raises(
        KerasConversionError, match=r"layers\[1\].*forward: recurrent_activation='hard_sigmoid'"
    ):
        from_keras_(module, [good, bad])
    assert_unchanged(module, before)


def test_a_bad_last_array_leaves_everything_untouched() -> None:
    arrays = [g for layer in build_stack("GRU", 2, False, _RNG) for g in layer.get_weights()]
    arrays[-1] = arrays[-1][:, :-1]  # the last bias one column short
    module = torch_module("GRU", 2)
    before = snapshot(module)
    with pytest.raises(KerasConversionError, match=r"arrays\[3:6\]: bias.shape"):
        from_keras_(module, arrays)
    assert_unchanged(module, before)


def test_bidirectional_backward_layer_must_run_backwards() -> None:
    fwd = keras.layers.GRU(H, return_sequences=True)
    bwd = keras.layers.GRU(H, return_sequences=True, go_backwards=True)
    layer = keras.layers.Bidirectional(fwd, backward_layer=bwd)
    layer.build((None, T, IN))
    layer.backward_layer.go_backwards = False  # as a hand-edited config could leave it
    module = torch_module("GRU", bidirectional=True)
    before = snapshot(module)
    with pytest.raises(KerasConversionError, match=r"backward.*go_backwards=False"):
        from_keras_(module, layer)
    assert_unchanged(module, before)


def test_custom_backward_layer_settings_are_checked_too() -> None:
    fwd = keras.layers.SimpleRNN(H, return_sequences=True)
    bwd = keras.layers.SimpleRNN(H, return_sequences=True, go_backwards=True, activation="relu")
    layer = keras.layers.Bidirectional(fwd, backward_layer=bwd)
    layer.build((None, T, IN))
    module = torch_module("RNN_TANH", bidirectional=True)
    before = snapshot(module)
    with pytest.raises(KerasConversionError, match=r"backward: activation='relu'"):
        from_keras_(module, layer)
    assert_unchanged(module, before)
    assert torch.equal(module.weight_ih_l0, before["weight_ih_l0"])
