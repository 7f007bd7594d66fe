"""torchrecurrent 0.2.5: every exported cell is declared or listed with the reason it does not
fit, in the code and in the docs table; the cell without a keep gate (``OriginalLSTMCell``) is
checked by behaviour on the real cell and on its RAW parameter rows.

The gated cells with a keep gate (PeepholeLSTM, ResLSTM, WMCLSTM, JANET, LiGRU, UGRNN) are checked
by tests/test_declared_cells.py (saturated keep gate, orthogonal blocks, chrono, auto).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
import torchrecurrent as tr

import rnninit
import rnninit.contrib.torchrecurrent as contrib
from rnninit.errors import SchemeError

IN, H, N, T = 5, 7, 3, 11
DOCS = Path(__file__).resolve().parent.parent / "docs" / "custom_cells.md"


def _exported_cells() -> set[str]:
    return {n for n in dir(tr) if isinstance(getattr(tr, n), type) and n.endswith("Cell")}


def test_every_exported_cell_is_declared_or_says_why_not() -> None:
    cells = _exported_cells()
    declared = {cls.__name__ for cls in contrib.DECLARATIONS}
    assert len(cells) == 41
    assert declared.isdisjoint(contrib.NOT_DECLARED)
    assert declared | set(contrib.NOT_DECLARED) == cells
    assert all(len(reason) > 20 for reason in contrib.NOT_DECLARED.values())


def test_the_docs_tables_list_the_same_cells() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Third-party cells supported out of the box") :]
    rows = re.findall(r"^\| `(\w+Cell)` \|", section, flags=re.MULTILINE)
    declared = {cls.__name__ for cls in contrib.DECLARATIONS}
    assert set(rows) == declared | set(contrib.NOT_DECLARED)
    assert len(rows) == len(set(rows)) == 41


def _original(seed: int = 0) -> tr.OriginalLSTMCell:
    torch.manual_seed(seed)
    return tr.OriginalLSTMCell(IN, H)


def _c_drift(cell: torch.nn.Module) -> float:
    g = torch.Generator().manual_seed(1)
    h, c0 = torch.randn(N, H, generator=g), torch.randn(N, H, generator=g)
    state = (h, c0)
    drift = 0.0
    with torch.no_grad():
        for x in torch.randn(T, N, IN, generator=g):
            state = cell(x, state)
            drift = max(drift, float((state[1] - c0).abs().max()))
    return drift


def test_original_lstm_a_closed_input_gate_holds_the_memory() -> None:
    cell = _original()
    rnninit.init_(cell, "orthogonal", gates={"i": {"bias": -20.0}})
    assert _c_drift(cell) < 1e-4
    raw = (cell.bias_ih + cell.bias_hh).detach()
    assert torch.equal(raw[:H], torch.full((H,), -20.0))  # i is rows 0:H of the raw biases


def test_original_lstm_the_same_probe_through_a_wrong_order_does_not_hold() -> None:
    cell = _original()
    wrong = rnninit.Declaration.from_dict(
        {**contrib.DECLARATIONS[tr.OriginalLSTMCell].to_dict(), "gates": "ogi"}
    )
    rnninit.register_layout(cell, wrong)  # this instance only: "i" is then the raw o rows
    rnninit.init_(cell, "orthogonal", gates={"i": {"bias": -20.0}})
    assert _c_drift(cell) > 0.05


def test_original_lstm_an_open_output_gate_gives_tanh_of_the_memory() -> None:
    cell = _original()
    rnninit.init_(cell, "orthogonal", gates={"o": {"bias": 20.0}})
    assert torch.equal((cell.bias_ih + cell.bias_hh).detach()[2 * H :], torch.full((H,), 20.0))
    x, h, c = torch.randn(N, IN), torch.randn(N, H), torch.randn(N, H)
    with torch.no_grad():
        h1, c1 = cell(x, (h, c))
    torch.testing.assert_close(h1, torch.tanh(c1), atol=1e-6, rtol=0)


def test_original_lstm_orthogonal_writes_each_raw_recurrent_block() -> None:
    cell = _original()
    rnninit.init_(cell, "orthogonal", generator=torch.Generator().manual_seed(2))
    w = cell.weight_hh.detach().double()
    for j in range(3):  # i, g, o: rows j*H:(j+1)*H
        block = w[j * H : (j + 1) * H]
        torch.testing.assert_close(
            block @ block.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0
        )
    assert [b.gate for b in rnninit.gates(cell) if b.kind == "recurrent"] == ["i", "g", "o"]


def test_original_lstm_has_no_keep_gate_so_chrono_is_a_typed_error_and_nothing_moves() -> None:
    cell = _original()
    before = {k: v.clone() for k, v in cell.state_dict().items()}
    with pytest.raises(SchemeError):
        rnninit.init_(cell, "chrono", max_timescale=50)
    for k, v in cell.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert contrib.DECLARATIONS[tr.OriginalLSTMCell].keep_gate is None


def test_original_lstm_auto_scales_each_raw_input_block_on_the_data() -> None:
    cell = _original()
    scale = torch.tensor([1.0, 10.0, 0.1, 3.0, 30.0])
    x = torch.randn(64, IN, generator=torch.Generator().manual_seed(3)) * scale
    rnninit.init_(cell, "auto", data=x, horizon=20, generator=torch.Generator().manual_seed(4))
    rows = x.double()
    w = cell.weight_ih.detach().double()
    for j in range(3):
        contribution = (rows @ w[j * H : (j + 1) * H].T).pow(2).mean()
        assert float(contribution) == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize("wrapper", [tr.OriginalLSTM, tr.ResLSTM, tr.WMCLSTM])
def test_the_multi_layer_wrappers_of_the_new_declarations_are_started_cell_by_cell(
    wrapper: type,
) -> None:
    torch.manual_seed(0)
    rnn = wrapper(IN, H, num_layers=2)
    rnninit.init_(rnn, "orthogonal", generator=torch.Generator().manual_seed(1))
    assert [name for name, _ in rnninit.layouts.find_recurrent(rnn)] == ["cells.0", "cells.1"]
    for cell in rnn.cells:
        w = cell.weight_hh.detach().double()[:H]  # gate i, the first rows
        torch.testing.assert_close(w @ w.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0)
