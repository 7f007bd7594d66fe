"""Read live Keras 3 recurrent layers into :class:`~rnninit.interop.keras_arrays.DirectionWeights`.

Every setting that changes what the layer computes is checked against the PyTorch module
first (``keras/src/layers/rnn/rnn.py``, ``bidirectional.py`` and the cell classes); settings
that only affect training or bookkeeping are listed as warnings. Keras is imported here only
when a Keras object is given, so rnninit itself never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import KerasConversionError
from ..layouts import Layout
from .keras_arrays import DirectionWeights, split_arrays

__all__ = ["is_keras_object", "read_keras"]

_CELL_FAMILY = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "RNN"}
_KERAS_NAME = {"LSTM": "LSTM", "GRU": "GRU", "RNN": "SimpleRNN"}


def is_keras_object(obj: object) -> bool:
    """True for a Keras layer or cell (duck-typed: no Keras import).

    >>> import numpy as np
    >>> is_keras_object(np.zeros(3))
    False
    """
    return hasattr(obj, "get_weights") and hasattr(obj, "get_config") and not isinstance(obj, type)


def _label(obj: Any, where: str) -> str:
    return f"{where} ({type(obj).__name__} {getattr(obj, 'name', '?')!r})"


def _cell_of(obj: Any, layout: Layout, where: str) -> Any:
    """The LSTMCell/GRUCell/SimpleRNNCell behind a layer (or the cell itself)."""
    import keras  # only reached when the caller already holds a Keras object

    cell = obj.cell if isinstance(obj, keras.layers.RNN) else obj
    family = next(
        (f for name, f in _CELL_FAMILY.items() if isinstance(cell, getattr(keras.layers, name))),
        None,
    )
    if family is None:
        raise KerasConversionError(
            where,
            "layer type",
            type(cell).__name__,
            "supported: keras.layers.LSTM, GRU, SimpleRNN (or RNN around their cells), "
            "Bidirectional around them, and the cells LSTMCell, GRUCell, SimpleRNNCell; for "
            "StackedRNNCells pass the cells as a list; for Keras 2 / tf.keras layers pass "
            "layer.get_weights()",
        )
    if family != layout.family:
        raise KerasConversionError(
            where,
            "layer type",
            type(cell).__name__,
            f"the PyTorch module is a {layout.family}; it takes a Keras "
            f"{_KERAS_NAME[layout.family]} (or its cell)",
        )
    return cell


def _activation_name(fn: object) -> str:
    """Keras' name of an activation function (``keras.activations.*`` or ``keras.ops.*``).

    Anything defined outside Keras is reported as custom: rnninit cannot tell what it computes.
    """
    name = str(getattr(fn, "__name__", repr(fn)))
    return name if str(getattr(fn, "__module__", "")).startswith("keras.") else f"custom {name}"


def _check_activations(cell: Any, layout: Layout, where: str) -> None:
    if layout.family == "RNN":
        given = _activation_name(cell.activation)
        if given != layout.nonlinearity:
            options = "build it with nonlinearity={given!r}; " if given in ("tanh", "relu") else ""
            raise KerasConversionError(
                where,
                "activation",
                given,
                f"the module's nonlinearity is {layout.nonlinearity!r}; "
                f"{options.format(given=given)}nn.RNN offers only tanh and relu",
            )
        return
    for setting, value in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        given = _activation_name(getattr(cell, setting))
        if given != value:
            raise KerasConversionError(
                where,
                setting,
                given,
                f"PyTorch's {layout.family} always uses {value} there and has no option for it",
            )


def _check_cell(cell: Any, layout: Layout, where: str, notes: list[str]) -> None:
    _check_activations(cell, layout, where)
    if layout.family == "GRU" and not cell.reset_after:
        raise KerasConversionError(
            where,
            "reset_after",
            False,
            "Keras then applies the reset gate before the recurrent matrix, "
            "h~ = tanh(W x + U (r * h)); PyTorch's GRU applies it after, "
            "n = tanh(W x + b_in + r * (U h + b_hn)) (Keras reset_after=True)",
        )
    if bool(cell.use_bias) != layout.bias:
        raise KerasConversionError(
            where,
            "use_bias",
            bool(cell.use_bias),
            f"the PyTorch module has bias={layout.bias}; build it with bias={not layout.bias}",
        )
    if int(cell.units) != layout.hidden_size:
        raise KerasConversionError(
            where, "units", cell.units, f"the PyTorch module has hidden_size={layout.hidden_size}"
        )
    drop = [f"{k}={getattr(cell, k)}" for k in ("dropout", "recurrent_dropout") if getattr(cell, k)]
    if drop:
        notes.append(
            f"{where}: {', '.join(drop)} not carried over: PyTorch's dropout acts only between "
            "stacked layers, on their outputs, and it has no recurrent dropout; the weights are "
            "copied and the outputs are the same in evaluation mode"
        )


def _check_layer(obj: Any, backwards: bool, where: str, notes: list[str]) -> None:
    go_backwards = bool(getattr(obj, "go_backwards", False))
    if go_backwards != backwards:
        reason = (
            "a unidirectional Keras layer with go_backwards=True reads the sequence back to "
            "front (and returns reversed outputs); PyTorch has no backward-only layer. Flip the "
            "time axis yourself and pass layer.get_weights(), or wrap the layer in Bidirectional"
            if go_backwards
            else "the backward layer of a Bidirectional must have go_backwards=True"
        )
        raise KerasConversionError(where, "go_backwards", go_backwards, reason)
    if getattr(obj, "stateful", False):
        notes.append(
            f"{where}: stateful=True: the weights are copied but not the state Keras carries "
            "between batches; pass it to the PyTorch module as its initial state "
            "(h0 / (h0, c0), shaped (num_layers * num_directions, batch, hidden))"
        )


def _direction(obj: Any, layout: Layout, backwards: bool, where: str, notes: list[str]) -> Any:
    cell = _cell_of(obj, layout, where)
    if obj is not cell:
        _check_layer(obj, backwards, where, notes)
    _check_cell(cell, layout, where, notes)
    weights = cell.get_weights()
    if not weights:
        raise KerasConversionError(
            where, "weights", [], "the layer is not built yet: call it on an input (or build it)"
        )
    return weights


def _layer(obj: Any, layout: Layout, where: str, notes: list[str]) -> list[Any]:
    import keras

    where = _label(obj, where)
    if isinstance(obj, keras.layers.Bidirectional):
        if layout.num_directions != 2:
            raise KerasConversionError(
                where,
                "layer type",
                "Bidirectional",
                "the PyTorch module is unidirectional (use bidirectional=True)",
            )
        if obj.merge_mode != "concat":
            raise KerasConversionError(
                where,
                "merge_mode",
                obj.merge_mode,
                "PyTorch's bidirectional output concatenates the forward and backward features "
                "(out[..., :H] forward, out[..., H:] backward); it has no sum, mul, ave or "
                "None. For the last layer you may pass layer.get_weights() and combine the "
                "two halves yourself; a next stacked layer would see different inputs",
            )
        return [
            *_direction(obj.forward_layer, layout, False, where + " forward", notes),
            *_direction(obj.backward_layer, layout, True, where + " backward", notes),
        ]
    if layout.num_directions != 1:
        raise KerasConversionError(
            where,
            "layer type",
            type(obj).__name__,
            "the PyTorch module is bidirectional: give a keras.layers.Bidirectional",
        )
    return list(_direction(obj, layout, False, where, notes))


def read_keras(layout: Layout, source: object, notes: list[str]) -> list[DirectionWeights]:
    """Check a Keras layer (or list of stacked layers) and return its weights per direction.

    Appends to ``notes`` what is not carried over (stateful, dropout); raises
    :class:`~rnninit.errors.KerasConversionError` for what PyTorch cannot represent.

    >>> import torch
    >>> from rnninit.layouts import layout_of
    >>> read_keras(layout_of(torch.nn.LSTM(3, 2, num_layers=2)), [], [])
    Traceback (most recent call last):
    ...
    rnninit.errors.KerasConversionError: layers: len(layers)=0: ...
    """
    layers: Sequence[Any] = source if isinstance(source, list | tuple) else [source]
    if len(layers) != layout.num_layers:
        raise KerasConversionError(
            "layers",
            "len(layers)",
            len(layers),
            f"the PyTorch module has num_layers={layout.num_layers}: give one Keras layer "
            "(a Bidirectional counts as one) per PyTorch layer",
        )
    nested = [_layer(obj, layout, f"layers[{k}]", notes) for k, obj in enumerate(layers)]
    out = split_arrays(layout, nested)
    # name each direction after its Keras layer, not after its position in the array list
    labels = [
        _label(obj, f"layers[{k}]") + ("" if layout.num_directions == 1 else f" {d}")
        for k, obj in enumerate(layers)
        for d in (["forward", "backward"] if layout.num_directions == 2 else [""])
    ]
    return [
        DirectionWeights(dw.kernel, dw.recurrent, dw.bias, label)
        for dw, label in zip(out, labels, strict=True)
    ]
