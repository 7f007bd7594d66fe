r"""Keras recurrent weights into PyTorch modules (:func:`from_keras_`) and back (:func:`to_keras`).

Supported: Keras 3 ``LSTM``, ``GRU`` (``reset_after=True``), ``SimpleRNN`` (or ``RNN`` around
their cells), ``Bidirectional`` around them (``merge_mode="concat"``), a list of stacked layers
into one multi-layer ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``, the cells into ``nn.LSTMCell`` /
``nn.GRUCell`` / ``nn.RNNCell``; and plain arrays in Keras' ``get_weights()`` layout, so weights
saved by any Keras or TensorFlow version come over without Keras installed (this module never
imports Keras unless a Keras object is passed in).

The mapping (checked against ``keras/src/layers/rnn/{lstm,gru,simple_rnn,bidirectional}.py``
and ``torch/nn/modules/rnn.py``, and proven by running both frameworks on the same inputs in
``tests/test_from_keras.py``). Keras multiplies row vectors, ``x @ kernel`` with kernel
``(in, G*H)``; PyTorch multiplies ``W_ih @ x`` with ``W_ih`` ``(G*H, in)``: every matrix is
transposed, and its column blocks become row blocks.

* **LSTM**, Keras ``z = x K + h R + b`` split into ``i, f, c, o``;
  ``c' = f * c + i * tanh(z_c)``, ``h' = o * tanh(c')`` with ``i, f, o = sigmoid(...)``.
  PyTorch's gates are ``W_ih x + b_ih + W_hh h + b_hh`` in the order ``i, f, g, o``: the same
  order, so ``W_ih = K^T``, ``W_hh = R^T``, and the one Keras bias goes to ``b_ih = b`` with
  ``b_hh = 0`` (PyTorch only ever uses the sum ``b_ih + b_hh``).
* **GRU** (``reset_after=True``), Keras columns ``z, r, h`` and a ``(2, 3H)`` bias (row 0 input,
  row 1 recurrent): ``z = sigmoid(x K_z + b0_z + h R_z + b1_z)``, likewise ``r``,
  ``h~ = tanh(x K_h + b0_h + r * (h R_h + b1_h))``, ``h' = z * h + (1 - z) * h~``. PyTorch:
  rows ``r, z, n`` with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and
  ``h' = (1 - z) * n + z * h``: the same cell once the blocks are reordered, so
  ``W_ih = [K_r, K_z, K_h]^T``, ``W_hh = [R_r, R_z, R_h]^T``, ``b_ih = [b0_r, b0_z, b0_h]`` and
  ``b_hh = [b1_r, b1_z, b1_h]`` (the recurrent ``b_hn`` sits inside ``r * (...)``, which is why
  Keras' ``reset_after=False`` GRU cannot be represented).
* **SimpleRNN**, ``h' = act(x K + b + h R)``: ``W_ih = K^T``, ``W_hh = R^T``, ``b_ih = b``,
  ``b_hh = 0``; ``act`` must be the module's ``nonlinearity`` (``tanh`` or ``relu``).
* **Bidirectional**: ``get_weights()`` lists the forward layer's arrays, then the backward
  layer's. The backward layer runs with ``go_backwards=True`` and Keras flips its outputs back
  into time order, so it is PyTorch's reverse direction (``*_reverse``, ``out[..., H:]``).
* **Stacks**: Keras layer ``k`` (a Bidirectional counts as one) is PyTorch layer ``k``; layer
  ``k > 0`` reads ``num_directions * H`` features (the concatenated outputs of layer ``k - 1``).

What PyTorch cannot represent raises :class:`KerasConversionError` before anything is
written: ``reset_after=False``; an ``activation`` other than ``tanh`` (LSTM, GRU) or other
than the module's ``nonlinearity`` (SimpleRNN); a ``recurrent_activation`` other than
``sigmoid`` (``hard_sigmoid``, the default before Keras 2.3, included); ``use_bias`` against the
module's ``bias``; ``units`` or the input width against the module's sizes; the layer count or
the number of directions; ``go_backwards=True`` on a unidirectional layer; a Bidirectional
``merge_mode`` other than ``"concat"``; ``proj_size > 0``; arrays of the wrong count or shape.
What only matters in training or between batches is copied with a
:class:`KerasConversionWarning`: ``stateful=True`` (the carried state is not transferred) and
``dropout`` / ``recurrent_dropout``. With plain arrays the Keras settings are not known: check
the activations and ``reset_after`` yourself (a GRU bias of shape ``(3H,)`` is refused).

The parts:

* :mod:`rnninit.interop.keras_arrays`: Keras' ``get_weights()`` layout <-> PyTorch Parameters
  (transposes, gate order, bias split), with no Keras import;
* :mod:`rnninit.interop.keras_layers`: reading a live Keras 3 layer (its settings checked
  against what PyTorch can represent) into that layout; Keras is imported only when a Keras
  object is given.
"""

from __future__ import annotations

from ._keras_io import KerasConversionError, KerasConversionWarning, from_keras_, to_keras

__all__ = ["KerasConversionError", "KerasConversionWarning", "from_keras_", "to_keras"]
