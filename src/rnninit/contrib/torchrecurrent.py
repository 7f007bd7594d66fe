"""Layouts of torchrecurrent's gated cells (``pip install rnninit[cells]``, torchrecurrent 0.2.5).

Importing this module registers them (:func:`rnninit.register_layout`); every scheme, ``auto``
and the diagnostics then work on these cells and on torchrecurrent's multi-layer wrappers
(``torchrecurrent.JANET(...)`` holds one ``JANETCell`` per layer in ``cells``). Each cell
stacks its gate blocks by rows of ``weight_ih`` ``(G*H, in)`` and ``weight_hh`` ``(G*H, H)``
and adds ``bias_ih + bias_hh`` (``bias=False`` / ``recurrent_bias=False`` leave them out), as
read in the installed source (``torchrecurrent/cells/*.py``, ``chunk(G, 0)`` order):

=================== ====== ===== ===========================================================
cell                family gates equations (``s`` = the gate's pre-activation)
=================== ====== ===== ===========================================================
``PeepholeLSTMCell`` LSTM  ifgo  as ``nn.LSTMCell`` plus peepholes ``weight_ph`` on ``c``
                                 (i, f, o; left as they are): ``c' = f * c + i * g``
``JANETCell``        LSTM  fg    ``c' = sigma(s_f) * c + (1 - sigma(s_f - beta)) * tanh(s_g)``,
                                 ``h' = c'`` (Westhuizen & Lasenby 2018): ``f`` keeps ``c``
``LiGRUCell``        GRU   zn    ``h' = (1 - z) * act(s_n) + z * h`` (no reset gate)
``UGRNNCell``        GRU   nz    ``h' = z * h + (1 - z) * tanh(s_n)``: candidate block first
=================== ====== ===== ===========================================================

The gate orders are verified by behaviour in ``tests/test_declared_cells.py``
(a saturated keep-gate bias holds the state over many steps of the real cell).

>>> import torchrecurrent, rnninit
>>> import rnninit.contrib.torchrecurrent
>>> cell = rnninit.init_(torchrecurrent.JANETCell(3, 8), "chrono", max_timescale=50)
>>> bool((cell.bias_ih[:8] > 0).all()), rnninit.gates(cell)[0].gate  # f is the first block
(True, 'f')
"""

from __future__ import annotations

import torchrecurrent as tr

from ..layouts._declaration import Declaration
from ..layouts._registry import register_layout

__all__ = ["DECLARATIONS"]

_SWITCHES = {"bias_ih": "bias", "bias_hh": "recurrent_bias"}


def _cell(family: str, gates: str) -> Declaration:
    return Declaration(
        family,
        gates,
        input="weight_ih",
        recurrent="weight_hh",
        bias_ih="bias_ih",
        bias_hh="bias_hh",
        switches=_SWITCHES,
    )


#: The declared torchrecurrent cell classes and their declarations.
DECLARATIONS: dict[type, Declaration] = {
    tr.PeepholeLSTMCell: _cell("LSTM", "ifgo"),
    tr.JANETCell: _cell("LSTM", "fg"),
    tr.LiGRUCell: _cell("GRU", "zn"),
    tr.UGRNNCell: _cell("GRU", "nz"),
}

for _cls, _decl in DECLARATIONS.items():
    register_layout(_cls, _decl)
