"""The contract of ``rnninit.layouts``: ``layout_of``, ``parameters_of``, ``GateBlock`` repr,
effective weights.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations

from rnninit.errors import LayoutError, UnsupportedModuleError
from rnninit.layouts import Layout, effective_weight, gates, layout_of, parameters_of

# --- layouts ---------------------------------------------------------------------------------


def test_gate_block_repr_of_live_and_projection_blocks() -> None:
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=1)
    blocks = {(b.param_name, b.gate): b for b in gates(lstm)}
    assert repr(blocks[("weight_ih_l1_reverse", "g")]) == (
        "GateBlock(weight_ih_l1_reverse[6:9], layer=1, direction=1, kind='input', gate='g',"
        " shape=(3, 2))"
    )
    assert repr(blocks[("weight_hr_l0", None)]) == (
        "GateBlock(weight_hr_l0[0:1], layer=0, direction=0, kind='projection', gate=None,"
        " shape=(1, 3))"
    )


def test_gate_block_repr_marks_a_parametrized_weight_not_live() -> None:
    gru = parametrizations.weight_norm(nn.GRU(2, 3), "weight_hh_l0")
    block = next(b for b in gates(gru) if b.param_name == "weight_hh_l0" and b.gate == "z")
    assert repr(block) == (
        "GateBlock(weight_hh_l0[3:6], layer=0, direction=0, kind='recurrent', gate='z',"
        " shape=(3, 3), live=False)"
    )


def test_effective_weight_recomputes_legacy_weight_norm() -> None:
    """The legacy hook caches ``weight`` at its last forward; the effective weight is g v/|v|."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lstm = torch.nn.utils.weight_norm(nn.LSTM(2, 3), "weight_hh_l0")
    with torch.no_grad():
        lstm.get_parameter("weight_hh_l0_g").mul_(2.0)  # the cached attribute is now stale
    g = lstm.get_parameter("weight_hh_l0_g").detach()  # (12, 1): one norm per row (dim=0)
    v = lstm.get_parameter("weight_hh_l0_v").detach()
    expected = g * v / v.norm(dim=1, keepdim=True)
    eff = effective_weight(lstm, "weight_hh_l0")
    torch.testing.assert_close(eff, expected)
    stale = lstm.weight_hh_l0
    assert isinstance(stale, torch.Tensor)
    assert not torch.allclose(eff, stale.detach())  # not the stale cache
    assert not eff.requires_grad


def test_gate_blocks_carry_the_qualified_and_module_names() -> None:
    model = nn.ModuleDict({"enc": nn.GRU(2, 3), "dec": nn.GRUCell(3, 4)})
    blocks = gates(model)
    assert {(b.module_name, b.param_name.split(".")[0]) for b in blocks} == {
        ("enc", "enc"),
        ("dec", "dec"),
    }
    assert {b.module_name for b in gates(nn.LSTM(2, 3))} == {""}


# Layout(family, nonlinearity, is_cell, input_size, hidden_size, proj_size, num_layers,
#        num_directions, bias, batch_first)
LAYOUT_CASES = [
    (
        nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, batch_first=True),
        Layout("LSTM", None, False, 3, 5, 2, 2, 2, True, True),
    ),
    (
        nn.GRU(3, 5, num_layers=3, bias=False),
        Layout("GRU", None, False, 3, 5, 0, 3, 1, False, False),
    ),
    (nn.RNN(4, 6, nonlinearity="relu"), Layout("RNN", "relu", False, 4, 6, 0, 1, 1, True, False)),
    (nn.RNN(4, 6, bidirectional=True), Layout("RNN", "tanh", False, 4, 6, 0, 1, 2, True, False)),
    (nn.LSTMCell(3, 7), Layout("LSTM", None, True, 3, 7, 0, 1, 1, True, False)),
    (nn.GRUCell(3, 7, bias=False), Layout("GRU", None, True, 3, 7, 0, 1, 1, False, False)),
    (
        nn.RNNCell(2, 8, nonlinearity="relu"),
        Layout("RNN", "relu", True, 2, 8, 0, 1, 1, True, False),
    ),
    (nn.RNNCell(2, 8), Layout("RNN", "tanh", True, 2, 8, 0, 1, 1, True, False)),
]


@pytest.mark.parametrize(("module", "expected"), LAYOUT_CASES)
def test_layout_of_reads_every_field(module: nn.Module, expected: Layout) -> None:
    lay = layout_of(module)
    assert lay == expected


@pytest.mark.parametrize(
    ("module", "gate_names", "hidden_out", "keep"),
    [
        (nn.LSTM(3, 5, proj_size=2), ("i", "f", "g", "o"), 2, "f"),
        (nn.GRU(3, 5), ("r", "z", "n"), 5, "z"),
        (nn.RNN(3, 5), ("h",), 5, None),
    ],
)
def test_layout_properties_and_row_slices(
    module: nn.Module, gate_names: tuple[str, ...], hidden_out: int, keep: str | None
) -> None:
    lay = layout_of(module)
    assert (lay.gates, lay.num_gates, lay.hidden_out, lay.keep_gate) == (
        gate_names,
        len(gate_names),
        hidden_out,
        keep,
    )
    for k, gate in enumerate(gate_names):  # H = 5 rows per gate, stacked in this order
        assert lay.gate_slice(gate) == slice(5 * k, 5 * (k + 1))


class _OtherCell(nn.RNNCellBase):
    def __init__(self) -> None:
        super().__init__(2, 3, bias=True, num_chunks=2)


def test_layout_of_errors() -> None:
    with pytest.raises(UnsupportedModuleError) as err:
        layout_of(nn.Linear(2, 2))
    assert str(err.value) == (
        "expected nn.RNN, nn.LSTM, nn.GRU, a Cell class or a module with a declared layout "
        "(rnninit.register_layout), got Linear"
    )
    assert isinstance(err.value, TypeError)
    with pytest.raises(UnsupportedModuleError) as err:
        layout_of("lstm")  # type: ignore[arg-type]
    assert str(err.value) == "module='lstm' (str) is not valid; expected a torch.nn.Module"
    with pytest.raises(LayoutError) as err:
        layout_of(_OtherCell())
    assert str(err.value) == (
        "unsupported recurrent cell type _OtherCell: declare its layout with "
        "rnninit.register_layout"
    )
    lstm = nn.LSTM(2, 3)
    lstm.mode = "RNN_GELU"
    with pytest.raises(LayoutError) as err:
        layout_of(lstm)
    assert str(err.value) == "unsupported RNN mode 'RNN_GELU' in LSTM"


def test_parameters_of_lists_every_weight_with_its_role() -> None:
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    refs = parameters_of(lstm, "enc.rnn")
    got = [(r.name, r.local_name, r.layer, r.direction, r.kind) for r in refs]
    expected = []
    for layer in (0, 1):
        for direction, suffix in ((0, ""), (1, "_reverse")):
            for prefix, kind in (
                ("weight_ih", "input"),
                ("weight_hh", "recurrent"),
                ("bias_ih", "bias_ih"),
                ("bias_hh", "bias_hh"),
                ("weight_hr", "projection"),
            ):
                local = f"{prefix}_l{layer}{suffix}"
                expected.append((f"enc.rnn.{local}", local, layer, direction, kind))
    assert got == expected
    for r in refs:
        assert r.param is getattr(lstm, r.local_name)  # the live Parameter itself
        assert (r.module_name, r.module, r.parametrization) == ("enc.rnn", lstm, None)
        assert r.layout == layout_of(lstm)


class _ScaledGRUCell(nn.GRUCell):
    def __init__(self) -> None:
        super().__init__(2, 3)
        self.scale = nn.Parameter(torch.ones(3))  # not a gate weight: skipped


def test_parameters_of_a_cell_skips_foreign_parameters() -> None:
    cell = _ScaledGRUCell()
    refs = parameters_of(cell)
    assert [(r.name, r.layer, r.direction, r.kind) for r in refs] == [
        ("weight_ih", 0, 0, "input"),
        ("weight_hh", 0, 0, "recurrent"),
        ("bias_ih", 0, 0, "bias_ih"),
        ("bias_hh", 0, 0, "bias_hh"),
    ]
    assert {r.module_name for r in refs} == {""}


def test_parameters_of_parametrized_weights_in_pytorch_order() -> None:
    gru = parametrizations.weight_norm(nn.GRU(2, 3, num_layers=2), "weight_hh_l1")
    assert "weight_hh_l1" not in [r.local_name for r in parameters_of(gru)]
    refs = parameters_of(gru, "m", parametrized=True)
    assert [(r.local_name, r.parametrization) for r in refs] == [
        ("weight_ih_l0", None),
        ("weight_hh_l0", None),
        ("bias_ih_l0", None),
        ("bias_hh_l0", None),
        ("weight_ih_l1", None),
        ("weight_hh_l1", "parametrize"),
        ("bias_ih_l1", None),
        ("bias_hh_l1", None),
    ]
    hh = refs[5]
    assert (hh.name, hh.layer, hh.kind) == ("m.weight_hh_l1", 1, "recurrent")
    original = gru.parametrizations.weight_hh_l1.original1.detach()  # v; original0 is g
    g = gru.parametrizations.weight_hh_l1.original0.detach()
    torch.testing.assert_close(hh.param, g * original / original.norm(dim=1, keepdim=True))


def test_parameters_of_a_cell_with_legacy_weight_norm_in_cell_order() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        cell = torch.nn.utils.weight_norm(nn.LSTMCell(2, 3), "weight_hh")
    refs = parameters_of(cell, parametrized=True)  # weight_hh_g / weight_hh_v are skipped
    assert [(r.local_name, r.kind, r.parametrization) for r in refs] == [
        ("weight_ih", "input", None),
        ("weight_hh", "recurrent", "weight_norm"),
        ("bias_ih", "bias_ih", None),
        ("bias_hh", "bias_hh", None),
    ]
    assert [r.local_name for r in parameters_of(cell)] == ["weight_ih", "bias_ih", "bias_hh"]
