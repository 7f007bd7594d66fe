"""Layout declarations for third-party recurrent cells, one module per library.

Each module imports its library and registers its declarations when *you* import it (nothing
here is imported by ``import rnninit``):

* :mod:`rnninit.contrib.torchrecurrent`: ``torchrecurrent`` 0.2.5 (the ``cells`` extra:
  ``pip install rnninit[cells]``): ``PeepholeLSTMCell``, ``ResLSTMCell``, ``WMCLSTMCell``,
  ``OriginalLSTMCell``, ``JANETCell``, ``LiGRUCell``, ``UGRNNCell``; ``NOT_DECLARED`` says why
  each of the other 34 cells does not fit.
* :mod:`rnninit.contrib.neuralforecast`: neuralforecast 3.3's own ``LSTMCell`` (in
  ``DilatedRNN``'s ``AttentiveLSTMLayer``).

How to declare a cell of your own, and the sources of these cells' equations: the docs page
``docs/custom_cells.md`` ("Your own recurrent module").
"""
