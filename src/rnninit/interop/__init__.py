"""Weights from and to other frameworks: the helpers behind :mod:`rnninit.keras_io`.

* :mod:`rnninit.interop.keras_arrays`: Keras' ``get_weights()`` layout <-> PyTorch Parameters
  (transposes, gate order, bias split), with no Keras import;
* :mod:`rnninit.interop.keras_layers`: reading a live Keras 3 layer (its settings checked
  against what PyTorch can represent) into that layout; Keras is imported only when a Keras
  object is given.
"""
