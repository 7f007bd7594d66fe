"""Gate identity checked by behaviour: saturate a gate's bias through ``rnninit.gates`` and
check what the state does. If a slice pointed at the wrong gate, the state would not hold."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import NoRecurrentModuleError

BIG = 60.0  # sigmoid(60) == 1 and tanh(60) == 1 in float32


def _zero_all(module: nn.Module) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()


def _set_bias(
    module: nn.Module, gate: str, value: float, layer: int = 0, direction: int = 0
) -> None:
    """Write ``value`` into the bias_ih rows of ``gate`` found by rnninit.gates()."""
    blocks = [
        b
        for b in rnninit.gates(module)
        if b.kind == "bias_ih" and b.gate == gate and b.layer == layer and b.direction == direction
    ]
    assert len(blocks) == 1
    with torch.no_grad():
        blocks[0].tensor.fill_(value)


def _randomize_weights(module: nn.Module, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "weight" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)


@pytest.mark.parametrize("proj_size", [0, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_forget_on_input_off_holds_cell_state(proj_size: int, bidirectional: bool) -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=bidirectional, proj_size=proj_size)
    _randomize_weights(lstm)
    _zero_all_biases(lstm)
    d = 2 if bidirectional else 1
    for layer in range(2):
        for direction in range(d):
            _set_bias(lstm, "f", BIG, layer, direction)
            _set_bias(lstm, "i", -BIG, layer, direction)
    x = torch.randn(7, 2, 4)
    h0 = torch.randn(2 * d, 2, proj_size or 6)
    c0 = torch.randn(2 * d, 2, 6)
    _, (_, cn) = lstm(x, (h0, c0))
    torch.testing.assert_close(cn, c0)


def _zero_all_biases(module: nn.Module) -> None:
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "bias" in name:
                p.zero_()


def test_lstm_saturating_the_wrong_gate_does_not_hold() -> None:
    """Control: with f and g swapped the cell state changes, so the test above can fail."""
    lstm = nn.LSTM(4, 6)
    _randomize_weights(lstm)
    _zero_all_biases(lstm)
    _set_bias(lstm, "g", BIG)
    _set_bias(lstm, "i", -BIG)
    c0 = torch.randn(1, 2, 6)
    _, (_, cn) = lstm(torch.randn(5, 2, 4), (torch.zeros(1, 2, 6), c0))
    assert not torch.allclose(cn, c0, atol=1e-3)


def test_lstm_output_gate_closed_gives_zero_h_and_g_gate_writes_tanh() -> None:
    lstm = nn.LSTMCell(3, 5)
    _randomize_weights(lstm)
    _zero_all_biases(lstm)
    _set_bias(lstm, "o", -BIG)
    h, c = lstm(torch.randn(4, 3), (torch.randn(4, 5), torch.randn(4, 5)))
    torch.testing.assert_close(h, torch.zeros_like(h))
    # i open, f closed, g saturated: c' = tanh(+BIG) = 1
    _set_bias(lstm, "o", 0.0)
    _set_bias(lstm, "i", BIG)
    _set_bias(lstm, "f", -BIG)
    _set_bias(lstm, "g", BIG)
    _, c = lstm(torch.randn(4, 3), (torch.randn(4, 5), torch.randn(4, 5)))
    torch.testing.assert_close(c, torch.ones_like(c))


@pytest.mark.parametrize("cell", [False, True])
def test_gru_z_saturated_holds_h(cell: bool) -> None:
    gru: nn.Module = nn.GRUCell(3, 5) if cell else nn.GRU(3, 5, num_layers=2, bidirectional=True)
    _randomize_weights(gru)
    _zero_all_biases(gru)
    if cell:
        _set_bias(gru, "z", BIG)
        h0 = torch.randn(4, 5)
        torch.testing.assert_close(gru(torch.randn(4, 3), h0), h0)
    else:
        for layer in range(2):
            for direction in range(2):
                _set_bias(gru, "z", BIG, layer, direction)
        h0 = torch.randn(4, 2, 5)
        _, hn = gru(torch.randn(6, 2, 3), h0)
        torch.testing.assert_close(hn, h0)


def test_gru_r_closed_removes_h_from_candidate_and_n_saturates() -> None:
    gru = nn.GRUCell(3, 5)
    _randomize_weights(gru)
    _zero_all_biases(gru)
    _set_bias(gru, "z", -BIG)  # h' = n
    _set_bias(gru, "r", -BIG)  # n = tanh(W_in x + b_in), independent of h
    x = torch.randn(4, 3)
    torch.testing.assert_close(gru(x, torch.randn(4, 5)), gru(x, torch.randn(4, 5)))
    _set_bias(gru, "r", BIG)  # control: with r open, h matters
    assert not torch.allclose(gru(x, torch.randn(4, 5)), gru(x, torch.randn(4, 5)), atol=1e-3)
    _set_bias(gru, "n", BIG)  # b_in saturates n -> h' = 1
    out = gru(x, torch.randn(4, 5))
    torch.testing.assert_close(out, torch.ones_like(out))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_single_block(nonlinearity: str) -> None:
    rnn = nn.RNN(3, 5, nonlinearity=nonlinearity)
    _zero_all(rnn)
    _set_bias(rnn, "h", 2.0)
    out, _ = rnn(torch.randn(4, 2, 3))
    expected = torch.tanh(torch.tensor(2.0)) if nonlinearity == "tanh" else torch.tensor(2.0)
    torch.testing.assert_close(out, torch.full_like(out, float(expected)))


def test_gates_lists_every_block_with_names_and_live_views() -> None:
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    blocks = rnninit.gates(lstm)
    # per layer and direction: 4 kinds x 4 gates + 1 projection
    assert len(blocks) == 2 * 2 * (4 * 4 + 1)
    names = {b.param_name for b in blocks}
    assert "weight_hh_l1_reverse" in names and "weight_hr_l0" in names
    hh = next(b for b in blocks if b.param_name == "weight_hh_l1_reverse" and b.gate == "o")
    assert hh.kind == "recurrent" and hh.layer == 1 and hh.direction == 1 and hh.shape == (5, 2)
    with torch.no_grad():
        hh.tensor.fill_(7.0)
    assert torch.all(lstm.weight_hh_l1_reverse[15:20] == 7.0)
    assert torch.all(lstm.weight_hh_l1_reverse[:15] != 7.0)
    proj = [b for b in blocks if b.kind == "projection"]
    assert all(b.gate is None and b.shape == (2, 5) for b in proj)


def test_gates_in_a_container_with_include_exclude() -> None:
    model = nn.ModuleDict({"enc": nn.LSTM(3, 4), "dec": nn.GRU(4, 4), "head": nn.Linear(4, 1)})
    assert {b.param_name.split(".")[0] for b in rnninit.gates(model)} == {"enc", "dec"}
    assert {b.family for b in rnninit.gates(model, include="enc")} == {"LSTM"}
    assert {b.family for b in rnninit.gates(model, exclude=["enc"])} == {"GRU"}
    with pytest.raises(NoRecurrentModuleError, match="'enc', 'dec'"):
        rnninit.gates(model, include="encoder*")
    with pytest.raises(NoRecurrentModuleError, match="no nn.RNN"):
        rnninit.gates(nn.Linear(2, 2))


def test_layout_of_rejects_non_recurrent() -> None:
    with pytest.raises(TypeError, match="Linear"):
        rnninit.layouts.layout_of(nn.Linear(2, 2))


def test_the_parameter_kinds_are_declared_once_and_give_the_order_of_parameters_of() -> None:
    from rnninit import layouts
    from rnninit.layouts import _declaration as declaration

    assert layouts.KINDS is declaration.KINDS
    assert not hasattr(layouts, "MATRIX_KINDS")  # the old alias of KINDS is gone
    lstm = nn.LSTM(3, 4, num_layers=2, proj_size=2)
    kinds = [r.kind for r in layouts.parameters_of(lstm)]
    assert kinds == list(layouts.KINDS) * 2  # per layer, in KINDS order
