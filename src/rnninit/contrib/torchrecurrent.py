"""Layouts of torchrecurrent's gated cells (``pip install rnninit[cells]``, torchrecurrent 0.2.5).

Importing this module registers them (:func:`rnninit.register_layout`); every scheme, ``auto``
and the diagnostics then work on these cells and on torchrecurrent's multi-layer wrappers
(``torchrecurrent.JANET(...)`` holds one ``JANETCell`` per layer in ``cells``). Each cell
stacks its gate blocks by rows of ``weight_ih`` ``(G*H, in)`` and ``weight_hh`` ``(G*H, H)``
and adds ``bias_ih + bias_hh`` (``bias=False`` / ``recurrent_bias=False`` leave them out), as
read in the installed source (``torchrecurrent/cells/*.py``, ``chunk(G, 0)`` order):

==================== ====== ===== ==========================================================
cell                 family gates equations (``s`` = the gate's pre-activation)
==================== ====== ===== ==========================================================
``PeepholeLSTMCell`` LSTM   ifgo  as ``nn.LSTMCell`` plus peepholes ``weight_ph`` on ``c``
                                  (i, f, o; left as they are): ``c' = f * c + i * g``
``ResLSTMCell``      LSTM   ifgo  peepholes as above, ``c' = f * c + i * g``,
                                  ``h' = o * (W_proj tanh(c') + W_res x)`` (Kim et al. 2017;
                                  ``weight_proj``, ``weight_res``, ``weight_ph`` left as they are)
``WMCLSTMCell``      LSTM   ifgo  ``c' = f * c + i * g``, ``h' = o * tanh(c')``; each of i, f, o
                                  adds ``tanh(M c + b_m)`` (``weight_mh``, ``bias_mh``, left as
                                  they are, a bounded offset) (Landi et al. 2021)
``OriginalLSTMCell`` LSTM   igo   ``c' = c + i * g``, ``h' = o * tanh(c')``: Hochreiter &
                                  Schmidhuber's 1997 LSTM, no forget gate (no keep gate: the
                                  memory is always kept; ``chrono`` has no gate to set)
``JANETCell``        LSTM   fg    ``c' = sigma(s_f) * c + (1 - sigma(s_f - beta)) * tanh(s_g)``,
                                  ``h' = c'`` (Westhuizen & Lasenby 2018): ``f`` keeps ``c``
``LiGRUCell``        GRU    zn    ``h' = (1 - z) * act(s_n) + z * h`` (no reset gate)
``UGRNNCell``        GRU    nz    ``h' = z * h + (1 - z) * tanh(s_n)``: candidate block first
==================== ====== ===== ==========================================================

The gate orders are verified by behaviour in ``tests/test_declared_cells.py`` and
``tests/test_torchrecurrent_cells.py`` (a saturated keep-gate bias holds the state over many
steps of the real cell; a closed input gate holds ``OriginalLSTMCell``'s memory). The other
cells do not fit the LSTM, GRU or RNN equations: :data:`NOT_DECLARED` says why, one line each
(and ``docs/custom_cells.md`` in a table).

>>> import torchrecurrent, rnninit
>>> import rnninit.contrib.torchrecurrent
>>> cell = rnninit.init_(torchrecurrent.JANETCell(3, 8), "chrono", max_timescale=50)
>>> bool((cell.bias_ih[:8] > 0).all()), rnninit.gates(cell)[0].gate  # f is the first block
(True, 'f')
>>> res = rnninit.init_(torchrecurrent.ResLSTMCell(3, 8), "orthogonal")
>>> (res.bias_ih + res.bias_hh)[8:16].tolist() == [1.0] * 8  # forget gate, rows H:2H
True
"""

from __future__ import annotations

import torchrecurrent as tr

from ..layouts import Declaration, register_layout

__all__ = ["DECLARATIONS", "NOT_DECLARED"]

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
    tr.ResLSTMCell: _cell("LSTM", "ifgo"),
    tr.WMCLSTMCell: _cell("LSTM", "ifgo"),
    tr.OriginalLSTMCell: _cell("LSTM", "igo"),
    tr.JANETCell: _cell("LSTM", "fg"),
    tr.LiGRUCell: _cell("GRU", "zn"),
    tr.UGRNNCell: _cell("GRU", "nz"),
}

#: Every other cell class torchrecurrent 0.2.5 exports, and why its gates do not fit the LSTM,
#: GRU or RNN equations (read in ``torchrecurrent/cells/*.py``). "ih k, hh m": the input weight
#: stacks k blocks and the recurrent weight m, so no gate list describes both.
NOT_DECLARED: dict[str, str] = {
    "ATRCell": "one input and one recurrent block serve two gates: "
    "i = sigma(p + q), f = sigma(p - q), h' = i * p + f * h",
    "AntisymmetricRNNCell": "h' = h + eps * act(W x + (W_hh - W_hh^T - gamma I) h + b): an Euler "
    "step, and the recurrent matrix is derived from weight_hh",
    "BRCell": "the recurrent weights are vectors (2H,), multiplied elementwise; ih 3 blocks",
    "CFNCell": "ih 3, hh 2: the candidate has no recurrent block; h' = f * tanh(h) + v * tanh(W x)",
    "DSGUCell": "multiplicative gating (x_g * h) @ U and an extra weight_ho",
    "FastGRNNCell": "one weight matrix shared by the gate and the candidate, two bias blocks; "
    "h' = (zeta (1 - z) + nu) * n + z * h with learned scalars",
    "FastRNNCell": "h' = alpha * tanh(W x + U h + b) + beta * h with learned scalars alpha, beta",
    "GatedAntisymmetricRNNCell": "ih 2, hh 1 (derived antisymmetric); an Euler step",
    "IndRNNCell": "the recurrent weight is a vector (H,), elementwise",
    "IntersectionRNNCell": "4 blocks, two of them a highway output (depth candidate, y gate) "
    "with no LSTM/GRU/RNN gate name",
    "LEMCell": "ih 4, hh 3 and a third weight_ch: a multiscale ODE discretization",
    "LightRUCell": "ih 2, hh 1: the candidate has no recurrent block",
    "MCLSTMCell": "5 blocks (a control gate) and a separate state v feeds the recurrent weight",
    "MGUCell": "the update gate replaces the state: h' = f * n + (1 - f) * h, keep = 1 - f "
    "(the opposite sign of the GRU's z); f also resets before the recurrent matrix",
    "MUT1Cell": "ih 3, hh 2; keep = 1 - i (the opposite sign of the GRU's z)",
    "MUT2Cell": "keep = 1 - i (h' = n * i + h * (1 - i), the opposite sign of the GRU's z)",
    "MUT3Cell": "keep = 1 - i, as MUT2Cell, and the gate reads tanh(h)",
    "MiRU1Cell": "no update gate: h' = lambda * h + (1 - lambda) * n with a fixed coefficient; "
    "the reset gate acts before the recurrent matrix",
    "MiRU2Cell": "one block, h' = lambda * h + (1 - lambda) * act(...): a leaky RNN",
    "MinimalRNNCell": "the input block feeds only the latent z, the recurrent block only the gate, "
    "plus weight_mm",
    "MultiplicativeLSTMCell": "ih 5, hh 1 and weight_mh: the gates read (W_m x) * (U h)",
    "NASCell": "8 blocks combined by a searched graph, no LSTM gate roles",
    "NBRCell": "ih 3, hh 2: the bistable candidate has no recurrent block",
    "RANCell": "ih 3, hh 2: the content block has no recurrent weight and no bias",
    "SCRNCell": "a slow context state, weight_ch, and a two-step hidden update",
    "SGRNCell": "one block serves as gate and input: f = sigma(p + q), h' = tanh((1 - f) p + f h)",
    "SGUCell": "multiplicative gating (x_g * h) @ U",
    "STARCell": "ih 2, hh 1: the candidate has no recurrent block",
    "TGRUCell": "weight_hh reads the previous input, not the state (no recurrent matrix)",
    "TLSTMCell": "weight_hh reads the previous input, not the state (no recurrent matrix)",
    "TRNNCell": "no recurrent weight at all (only elementwise gating)",
    "UnICORNNCell": "the recurrent weights are vectors; an oscillator discretization",
    "coRNNCell": "an oscillator: h' = h + dt * c', c' from tanh(W x + U h + V c) with damping",
    "tauGRUCell": "4 blocks, one of them reads a delayed state",
}

for _cls, _decl in DECLARATIONS.items():
    register_layout(_cls, _decl)
