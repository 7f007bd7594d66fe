"""Keras' ``get_weights()`` layout <-> PyTorch recurrent Parameters, one direction at a time.

No Keras import here: this is the plain-array path (weights saved by any Keras or TensorFlow
version) and the common back end of the Keras-layer path. The math is documented in
:mod:`rnninit.interop`.

Per direction Keras stores ``[kernel (in, G*H), recurrent_kernel (H, G*H), bias]`` (no bias
when ``use_bias=False``); the bias is ``(G*H,)`` for LSTM and SimpleRNN and ``(2, G*H)`` for
GRU with ``reset_after=True`` (row 0 input bias, row 1 recurrent bias). Gate blocks are column
blocks, in the order LSTM ``i, f, c, o``, GRU ``z, r, h``, SimpleRNN one block
(``keras/src/layers/rnn/{lstm,gru,simple_rnn}.py``, ``build`` and ``call``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import KerasConversionError
from ..layouts import GATES, Layout, parameters_of

__all__ = [
    "KERAS_GATES",
    "DirectionWeights",
    "check_shapes",
    "direction_names",
    "from_torch",
    "keras_block_order",
    "split_arrays",
    "to_torch",
]

#: Keras' gate (column-block) order per PyTorch family (``keras/src/layers/rnn/*.py``, ``call``).
KERAS_GATES: dict[str, tuple[str, ...]] = {
    "LSTM": ("i", "f", "c", "o"),
    "GRU": ("z", "r", "h"),
    "RNN": ("h",),
}

#: PyTorch's gate name -> Keras' name for the same gate (the cell candidate / new gate).
_KERAS_NAME_OF = {"g": "c", "n": "h"}


def keras_block_order(family: str) -> tuple[int, ...]:
    """For each PyTorch row block (``layouts.GATES`` order), the Keras column block it takes.

    >>> keras_block_order("GRU")  # PyTorch r, z, n <- Keras blocks 1 (r), 0 (z), 2 (h)
    (1, 0, 2)
    >>> keras_block_order("LSTM")  # i, f, g, o <- i, f, c, o
    (0, 1, 2, 3)
    """
    keras = KERAS_GATES[family]
    return tuple(keras.index(_KERAS_NAME_OF.get(g, g)) for g in GATES[family])


@dataclass(frozen=True)
class DirectionWeights:
    """One direction of one layer in Keras' layout, as tensors.

    ``where`` says where it came from (for error messages), e.g. ``"arrays[3:6]"``.
    """

    kernel: torch.Tensor
    recurrent: torch.Tensor
    bias: torch.Tensor | None
    where: str


def _shape(t: object) -> tuple[int, ...] | None:
    shape = getattr(t, "shape", None)
    return tuple(int(s) for s in shape) if shape is not None else None


def _as_tensor(a: object, where: str, index: int) -> torch.Tensor:
    if _shape(a) is None:
        raise KerasConversionError(
            where, f"arrays[{index}]", type(a).__name__, "expected a numpy array or tensor"
        )
    try:  # a copy: read-only arrays (np.load with mmap, h5py) stay untouched and warn-free
        t = a.detach().clone() if isinstance(a, torch.Tensor) else torch.tensor(a)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise KerasConversionError(
            where, f"arrays[{index}]", type(a).__name__, f"cannot be read as a tensor ({exc})"
        ) from exc
    if not t.is_floating_point():
        raise KerasConversionError(
            where, f"arrays[{index}].dtype", t.dtype, "expected floating-point weights"
        )
    return t


def _per_direction(layout: Layout) -> int:
    return 3 if layout.bias else 2


def _group(layout: Layout, arrays: Sequence[object], start: int) -> list[DirectionWeights]:
    n = _per_direction(layout)
    out = []
    for s in range(0, len(arrays), n):
        where = f"arrays[{start + s}:{start + s + n}]"
        ts = [_as_tensor(a, where, start + s + i) for i, a in enumerate(arrays[s : s + n])]
        out.append(DirectionWeights(ts[0], ts[1], ts[2] if n == 3 else None, where))
    return out


def _count_error(layout: Layout, what: str, given: int, expected: int) -> KerasConversionError:
    n = _per_direction(layout)
    return KerasConversionError(
        "arrays",
        what,
        given,
        f"expected {expected}: the module has num_layers={layout.num_layers}, "
        f"{layout.num_directions} direction(s) and bias={layout.bias}, so {n} arrays per "
        f"direction (kernel, recurrent_kernel{', bias' if n == 3 else ''}); a Keras layer "
        f"with use_bias={not layout.bias} gives {5 - n}",
    )


def split_arrays(layout: Layout, arrays: object) -> list[DirectionWeights]:
    """Split plain Keras arrays into one :class:`DirectionWeights` per (layer, direction).

    ``arrays`` is one layer's ``get_weights()`` (a Bidirectional layer's lists the forward
    layer's arrays, then the backward layer's), a list of such lists (one per stacked Keras
    layer), or the same flattened (a ``Sequential`` model's ``get_weights()``).

    >>> import torch
    >>> from rnninit.layouts import layout_of
    >>> layout = layout_of(torch.nn.LSTM(3, 2, num_layers=2))
    >>> flat = [torch.zeros(3, 8), torch.zeros(2, 8), torch.zeros(8)] * 2
    >>> [d.where for d in split_arrays(layout, flat)]
    ['arrays[0:3]', 'arrays[3:6]']
    """
    if not isinstance(arrays, Sequence) or isinstance(arrays, str | bytes) or not arrays:
        raise KerasConversionError(
            "arrays",
            "layer",
            type(arrays).__name__,
            "expected a Keras layer, a list of stacked Keras layers, or a non-empty list of "
            "weight arrays (layer.get_weights()), or a list of such lists",
        )
    n = _per_direction(layout)
    nested = [isinstance(a, list | tuple) for a in arrays]
    if all(nested):
        if len(arrays) != layout.num_layers:
            raise KerasConversionError(
                "arrays",
                "len(arrays)",
                len(arrays),
                f"a list of lists needs one list per layer: {layout.num_layers} for this module",
            )
        out: list[DirectionWeights] = []
        start = 0
        for k, group in enumerate(arrays):
            if len(group) != n * layout.num_directions:
                raise _count_error(
                    layout, f"len(arrays[{k}])", len(group), n * layout.num_directions
                )
            out.extend(_group(layout, group, start))
            start += len(group)
        return out
    if any(nested):
        raise KerasConversionError(
            "arrays", "layer", "a mix of arrays and lists", "give either arrays or lists of arrays"
        )
    expected = n * layout.num_layers * layout.num_directions
    if len(arrays) != expected:
        raise _count_error(layout, "len(arrays)", len(arrays), expected)
    return _group(layout, arrays, 0)


def _expect(dw: DirectionWeights, name: str, given: object, expected: tuple[int, ...]) -> None:
    shape = _shape(given)
    if shape != expected:
        raise KerasConversionError(dw.where, f"{name}.shape", shape, f"expected {expected}")


def check_shapes(layout: Layout, layer: int, dw: DirectionWeights) -> None:
    """Check one direction's arrays against the module's sizes (``layer`` is the layer index).

    Layer 0 reads ``input_size`` features, layer ``k > 0`` reads ``num_directions * H``.

    >>> import torch
    >>> from rnninit.layouts import layout_of
    >>> layout = layout_of(torch.nn.RNN(3, 2))
    >>> dw = DirectionWeights(torch.zeros(4, 2), torch.zeros(2, 2), None, "arrays[0:2]")
    >>> check_shapes(layout, 0, dw)
    Traceback (most recent call last):
    ...
    rnninit.errors.KerasConversionError: arrays[0:2]: kernel input width=4: ...
    """
    g, h = layout.num_gates, layout.hidden_size
    width = layout.input_size if layer == 0 else layout.num_directions * layout.hidden_out
    if _shape(dw.kernel) is not None and len(dw.kernel.shape) == 2:
        rows = dw.kernel.shape[0]
        if rows != width:
            raise KerasConversionError(
                dw.where,
                "kernel input width",
                int(rows),
                f"layer {layer} of the module takes {width} input features "
                f"({'input_size' if layer == 0 else 'num_directions * hidden_size'})",
            )
    _expect(dw, "kernel", dw.kernel, (width, g * h))
    _expect(dw, "recurrent_kernel", dw.recurrent, (h, g * h))
    if dw.bias is not None:
        if layout.family == "GRU" and _shape(dw.bias) == (g * h,):
            raise KerasConversionError(
                dw.where,
                "reset_after",
                False,
                "a GRU bias of shape (3*units,) comes from reset_after=False, which applies the "
                "reset gate before the recurrent matrix; PyTorch's GRU applies it after "
                "(reset_after=True, bias (2, 3*units))",
            )
        _expect(dw, "bias", dw.bias, (2, g * h) if layout.family == "GRU" else (g * h,))


def _blocks(t: torch.Tensor, order: Sequence[int], h: int, dim: int) -> torch.Tensor:
    return torch.cat([t.narrow(dim, j * h, h) for j in order], dim=dim)


def to_torch(layout: Layout, dw: DirectionWeights) -> dict[str, torch.Tensor]:
    """PyTorch tensors for one direction: ``weight_ih``, ``weight_hh`` and the two biases.

    ``weight_ih = reorder(kernel).T``, ``weight_hh = reorder(recurrent_kernel).T``; LSTM and
    SimpleRNN: ``bias_ih = reorder(bias)``, ``bias_hh = 0``; GRU: ``bias_ih = reorder(bias[0])``,
    ``bias_hh = reorder(bias[1])``. ``reorder`` puts Keras' column blocks in PyTorch's order.
    Keys are :mod:`rnninit.layouts` matrix kinds (``input``, ``recurrent``, ``bias_ih``, ...).

    >>> import torch
    >>> from rnninit.layouts import layout_of
    >>> layout = layout_of(torch.nn.GRU(1, 1))
    >>> bias = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # Keras z, r, h
    >>> dw = DirectionWeights(torch.zeros(1, 3), torch.zeros(1, 3), bias, "example")
    >>> out = to_torch(layout, dw)
    >>> out["bias_ih"].tolist(), out["bias_hh"].tolist()  # PyTorch r, z, n
    ([2.0, 1.0, 3.0], [5.0, 4.0, 6.0])
    """
    order, h = keras_block_order(layout.family), layout.hidden_size
    out = {
        "input": _blocks(dw.kernel, order, h, 1).T,
        "recurrent": _blocks(dw.recurrent, order, h, 1).T,
    }
    if dw.bias is not None:
        if layout.family == "GRU":
            out["bias_ih"] = _blocks(dw.bias[0], order, h, 0)
            out["bias_hh"] = _blocks(dw.bias[1], order, h, 0)
        else:
            out["bias_ih"] = _blocks(dw.bias, order, h, 0)
            out["bias_hh"] = torch.zeros_like(out["bias_ih"])
    return out


def direction_names(module: nn.Module) -> dict[tuple[int, int], dict[str, torch.Tensor]]:
    """The module's Parameters by ``(layer, direction)`` and matrix kind (``input``, ...).

    >>> import torch
    >>> sorted(direction_names(torch.nn.GRU(2, 3, bidirectional=True))[(0, 1)])
    ['bias_hh', 'bias_ih', 'input', 'recurrent']
    """
    out: dict[tuple[int, int], dict[str, torch.Tensor]] = {}
    for ref in parameters_of(module):
        out.setdefault((ref.layer, ref.direction), {})[ref.kind] = ref.param
    return out


def from_torch(layout: Layout, params: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """One direction in Keras' layout: ``[kernel, recurrent_kernel(, bias)]`` (the inverse).

    LSTM and SimpleRNN fold PyTorch's two biases into Keras' one: ``bias = b_ih + b_hh`` (the
    gates only ever see the sum). GRU keeps them apart: ``bias = stack([b_ih, b_hh])``.

    >>> import torch
    >>> from rnninit.layouts import layout_of
    >>> rnn = torch.nn.RNN(2, 3)
    >>> kernel, recurrent, bias = from_torch(layout_of(rnn), direction_names(rnn)[(0, 0)])
    >>> kernel.shape, recurrent.shape, torch.equal(bias, rnn.bias_ih_l0 + rnn.bias_hh_l0)
    (torch.Size([2, 3]), torch.Size([3, 3]), True)
    """
    order, h = keras_block_order(layout.family), layout.hidden_size
    inverse = [order.index(j) for j in range(len(order))]
    with torch.no_grad():
        out = [
            _blocks(params["input"].detach().T, inverse, h, 1),
            _blocks(params["recurrent"].detach().T, inverse, h, 1),
        ]
        if layout.bias:
            b_ih = _blocks(params["bias_ih"].detach(), inverse, h, 0)
            b_hh = _blocks(params["bias_hh"].detach(), inverse, h, 0)
            out.append(torch.stack([b_ih, b_hh]) if layout.family == "GRU" else b_ih + b_hh)
    return out
