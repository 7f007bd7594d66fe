"""neuralforecast's own cells (``DilatedRNN``): its ``LSTMCell`` declared (i, f, g, o) and checked
by behaviour on the real cell and on the raw rows; its ``ResLSTMCell``, which does not fit, is
named by the no-silent-skip warning. Skipped where neuralforecast is not installed.
"""

from __future__ import annotations

import warnings

import pytest
import torch

pytest.importorskip("neuralforecast")

from neuralforecast.models.dilated_rnn import DRNN, LSTMCell

import rnninit
import rnninit.contrib.neuralforecast as contrib
from rnninit.layouts import UndeclaredModuleWarning

IN, H, N, T = 5, 7, 3, 11


def _drift(cell: LSTMCell) -> float:
    g = torch.Generator().manual_seed(1)
    h, c0 = torch.randn(1, N, H, generator=g), torch.randn(1, N, H, generator=g)
    hidden: tuple[torch.Tensor, torch.Tensor] = (h, c0)
    drift = 0.0
    with torch.no_grad():
        for x in torch.randn(T, N, IN, generator=g):
            _, (h1, c1) = cell(x, hidden)
            hidden = (h1.unsqueeze(0), c1.unsqueeze(0))
            drift = max(drift, float((c1 - c0[0]).abs().max()))
    return drift


def _saturate(cell: LSTMCell) -> None:
    rnninit.init_(cell, "orthogonal", gates={"f": {"bias": 20.0}, "i": {"bias": -20.0}})


def test_a_saturated_forget_gate_holds_the_memory_of_the_real_cell() -> None:
    torch.manual_seed(0)
    cell = LSTMCell(IN, H)
    _saturate(cell)
    assert _drift(cell) < 1e-4
    b = (cell.bias_ih + cell.bias_hh).detach()  # raw rows: i 0:H, f H:2H
    assert torch.equal(b[:H], torch.full((H,), -20.0))
    assert torch.equal(b[H : 2 * H], torch.full((H,), 20.0))


def test_the_same_probe_through_a_wrong_order_does_not_hold() -> None:
    torch.manual_seed(0)
    cell = LSTMCell(IN, H)
    wrong = rnninit.Declaration.from_dict(
        {**contrib.DECLARATIONS[LSTMCell].to_dict(), "gates": "ogfi"}
    )
    rnninit.register_layout(cell, wrong)  # this instance only
    _saturate(cell)
    assert _drift(cell) > 0.05


def test_orthogonal_replaces_the_unscaled_normal_start_block_by_block() -> None:
    torch.manual_seed(0)
    cell = LSTMCell(IN, H)
    assert float(cell.weight_hh.detach().std()) > 0.5  # neuralforecast's N(0, 1)
    rnninit.init_(cell, "orthogonal", generator=torch.Generator().manual_seed(2))
    w = cell.weight_hh.detach().double()
    for j in range(4):
        block = w[j * H : (j + 1) * H]
        torch.testing.assert_close(
            block @ block.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0
        )


def test_a_dilated_rnn_with_attentive_lstm_cells_is_started_without_a_warning() -> None:
    torch.manual_seed(0)
    drnn = DRNN(IN, H, n_layers=2, dilations=[1, 2], cell_type="AttentiveLSTM")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rnninit.init_(drnn, "chrono", max_timescale=30, generator=torch.Generator().manual_seed(3))
    assert not [w for w in caught if issubclass(w.category, UndeclaredModuleWarning)]
    cells = [m for m in drnn.modules() if isinstance(m, LSTMCell)]
    assert len(cells) == 2
    for cell in cells:
        f = (cell.bias_ih + cell.bias_hh).detach()[H : 2 * H]
        assert bool((f >= 0).all()) and bool(f.any())


def test_a_dilated_rnn_with_res_lstm_cells_is_named_by_the_warning() -> None:
    torch.manual_seed(0)
    model = torch.nn.ModuleDict(
        {
            "lstm": torch.nn.LSTM(IN, H),
            "drnn": DRNN(IN, H, n_layers=1, dilations=[1], cell_type="ResLSTM"),
        }
    )
    before = {k: v.clone() for k, v in model["drnn"].state_dict().items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rnninit.init_(model, "orthogonal")
    (w,) = [w for w in caught if issubclass(w.category, UndeclaredModuleWarning)]
    assert "(neuralforecast ResLSTMCell)" in str(w.message)
    for k, v in model["drnn"].state_dict().items():
        assert torch.equal(v, before[k]), k
