"""The layout of neuralforecast's own LSTM cell (``neuralforecast.models.dilated_rnn.LSTMCell``).

neuralforecast 3.3's ``DilatedRNN`` with ``cell_type="AttentiveLSTM"`` runs its own
``LSTMCell`` (inside ``AttentiveLSTMLayer``), read in ``neuralforecast/models/dilated_rnn.py``:
``weight_ih`` ``(4H, in)``, ``weight_hh`` ``(4H, H)``, ``bias_ih``, ``bias_hh`` ``(4H,)``,
gates ``chunk(4, 1)`` in the order ``i, f, g, o`` and PyTorch's ``nn.LSTMCell`` equations,
``c' = f * c + i * g``, ``h' = o * tanh(c')``. It draws every one of them from an unscaled
N(0, 1): a gate's recurrent pre-activation then has a standard deviation of up to
``sqrt(H)`` (8 at ``H = 64``, for ``|h|`` near 1), so the gates start near saturation.
Importing this module registers the declaration.

Its ``ResLSTMCell`` (inside ``ResLSTMLayer``, ``cell_type="ResLSTM"``) does not fit: the cell
candidate has no input block (``weight_ii`` stacks only ``i, f, o``), the recurrent weights
are split over ``weight_ih`` (``i, f, o``) and ``weight_hh`` (the candidate), and ``c`` enters
through a full matrix ``weight_ic``. ``init_`` names it in an ``UndeclaredModuleWarning``.
The ``"GRU"``, ``"RNN"`` and ``"LSTM"`` cell types are PyTorch's own modules, started as they
are. ``pip install neuralforecast`` (tested with 3.3.0).

>>> import rnninit
>>> import rnninit.contrib.neuralforecast
>>> from neuralforecast.models.dilated_rnn import LSTMCell
>>> cell = rnninit.init_(LSTMCell(3, 8), "orthogonal")
>>> (cell.bias_ih + cell.bias_hh)[8:16].tolist() == [1.0] * 8  # forget gate, rows H:2H
True
"""

from __future__ import annotations

from neuralforecast.models.dilated_rnn import LSTMCell

from ..layouts import Declaration, register_layout

__all__ = ["DECLARATIONS"]

#: The declared neuralforecast cell classes and their declarations.
DECLARATIONS: dict[type, Declaration] = {
    LSTMCell: Declaration(
        "LSTM",
        "ifgo",
        input="weight_ih",
        recurrent="weight_hh",
        bias_ih="bias_ih",
        bias_hh="bias_hh",
    ),
}

for _cls, _decl in DECLARATIONS.items():
    register_layout(_cls, _decl)
