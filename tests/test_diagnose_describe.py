"""``describe`` and ``timescales``: every number checked against a direct computation."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

import rnninit
from rnninit.diagnose import describe, timescales
from rnninit.diagnose.table import Table


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _orth_dist_direct(w: torch.Tensor) -> float:
    w = w.detach().double()
    g = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    m = g.shape[0]
    return float(torch.linalg.matrix_norm(g - torch.eye(m, dtype=g.dtype)) / math.sqrt(m))


def test_row_count_and_order_lstm_bidirectional() -> None:
    m = nn.LSTM(3, 8, num_layers=2, bidirectional=True)
    d = describe(m)
    # 2 layers x 2 directions x (4 kinds x 4 gates + 4 effective-bias rows)
    assert len(d) == 2 * 2 * (16 + 4)
    first = [(r["kind"], r["gate"]) for r in d.rows[:20]]
    kinds = ["input", "recurrent", "bias_ih", "bias_hh", "effective_bias"]
    assert first == [(k, g) for k in kinds for g in "ifgo"]
    assert {(r["layer"], r["dir"]) for r in d.rows} == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_block_statistics_match_the_parameter_slices() -> None:
    torch.manual_seed(0)
    m = nn.GRU(5, 6)
    d = describe(m)
    row = d.select(param="weight_ih_l0", gate="z")[0]
    block = m.weight_ih_l0.detach()[6:12].double()
    assert row["shape"] == (6, 5)
    assert row["mean"] == pytest.approx(float(block.mean()))
    assert row["std"] == pytest.approx(float(block.std(unbiased=False)))
    assert row["min"] == pytest.approx(float(block.min()))
    assert row["max"] == pytest.approx(float(block.max()))
    assert row["spectral_norm"] is None  # input blocks: statistics only


@pytest.mark.parametrize("kwargs", [{}, {"proj_size": 3}])
def test_spectral_norm_and_orthogonal_distance_match_direct_computation(kwargs: dict) -> None:
    torch.manual_seed(1)
    m = nn.LSTM(4, 7, **kwargs)
    d = describe(m)
    rec = d.select(kind="recurrent") + d.select(kind="projection")
    assert len(rec) == 4 + (1 if kwargs else 0)
    for r in rec:
        p = dict(m.named_parameters())[r["param"]]
        k = "ifgo".index(r["gate"]) if r["gate"] else 0
        w = p.detach()[k * 7 : (k + 1) * 7] if r["gate"] else p.detach()
        assert r["spectral_norm"] == pytest.approx(float(torch.linalg.matrix_norm(w, 2)), rel=1e-6)
        assert r["orth_dist"] == pytest.approx(_orth_dist_direct(w), rel=1e-6, abs=1e-9)


def test_per_gate_orthogonal_vs_whole_stack_orthogonal() -> None:
    per_gate = rnninit.init_(nn.LSTM(4, 16), "orthogonal", generator=_gen())
    whole = rnninit.init_(nn.LSTM(4, 16), "folk_xavier", generator=_gen())
    for r in describe(per_gate).select(kind="recurrent"):
        assert r["spectral_norm"] == pytest.approx(1.0, abs=1e-5)
        assert r["orth_dist"] < 1e-5
    for r in describe(whole).select(kind="recurrent"):
        assert r["spectral_norm"] < 0.99  # a slice of an orthogonal (64, 16) matrix
        assert r["orth_dist"] > 0.3


def test_effective_bias_sums_both_biases_and_gives_the_timescale() -> None:
    m = nn.LSTM(2, 5)
    with torch.no_grad():
        m.bias_ih_l0.zero_()
        m.bias_hh_l0.zero_()
        m.bias_ih_l0[5:10] = 0.7
        m.bias_hh_l0[5:10] = 0.3
    d = describe(m)
    (f,) = d.select(kind="effective_bias", gate="f")
    assert f["mean"] == pytest.approx(1.0) and f["std"] == pytest.approx(0.0, abs=1e-12)
    tau = 1.0 / (1.0 - 1.0 / (1.0 + math.exp(-1.0)))
    assert f["tau_median"] == pytest.approx(tau)
    assert f["tau_min"] == pytest.approx(tau) and f["tau_max"] == pytest.approx(tau)
    (i,) = d.select(kind="effective_bias", gate="i")
    assert i["tau_median"] is None  # only the keep gate has a timescale


def test_gru_new_gate_biases_are_reported_apart() -> None:
    m = nn.GRU(2, 4)
    with torch.no_grad():
        m.bias_ih_l0[8:12] = 0.5
        m.bias_hh_l0[8:12] = -2.0
    d = describe(m)
    assert [r["gate"] for r in d.select(kind="effective_bias")] == ["r", "z"]
    assert d.select(kind="bias_ih", gate="n")[0]["mean"] == pytest.approx(0.5)
    assert d.select(kind="bias_hh", gate="n")[0]["mean"] == pytest.approx(-2.0)


def test_chrono_timescales_lie_in_its_range() -> None:
    t_max = 80
    m = rnninit.init_(nn.GRU(3, 64), "chrono", max_timescale=t_max, generator=_gen())
    (z,) = describe(m).select(kind="effective_bias", gate="z")
    # b_z ~ log U(1, T_max - 1) -> tau = 1 + exp(b) ~ U(2, T_max)
    assert 2.0 <= z["tau_min"] < z["tau_median"] < z["tau_max"] <= t_max
    assert z["tau_median"] == pytest.approx(t_max / 2 + 1, rel=0.25)


def test_no_bias_module_has_zero_effective_bias_and_tau_two() -> None:
    d = describe(nn.LSTM(3, 4, bias=False))
    (f,) = d.select(kind="effective_bias", gate="f")
    assert f["mean"] == 0.0 and f["tau_median"] == pytest.approx(2.0)
    assert not d.select(kind="bias_ih")


def test_nested_model_names_cells_and_rnn() -> None:
    model = nn.ModuleDict({"enc": nn.GRU(3, 4), "cell": nn.LSTMCell(4, 5), "rnn": nn.RNN(2, 3)})
    d = describe(model)
    params = {r["param"] for r in d.rows}
    assert {"enc.weight_hh_l0", "cell.weight_hh", "rnn.weight_hh_l0"} <= params
    assert d.select(param="cell.weight_hh", gate="o")[0]["shape"] == (5, 5)
    # RNN: one gate "h", an effective bias but no timescale
    (h,) = [r for r in d.select(kind="effective_bias", gate="h")]
    assert h["tau_median"] is None


def test_describe_does_not_touch_the_module() -> None:
    m = nn.LSTM(3, 6, num_layers=2)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    describe(m)
    timescales(m)
    for k, v in m.state_dict().items():
        assert torch.equal(v, before[k])
    assert all(p.grad is None for p in m.parameters())


def test_output_formats() -> None:
    d = describe(nn.LSTM(3, 4))
    text = str(d)
    assert "weight_hh_l0" in text and "tau_median" in text and "spectral_norm" in text
    md = d.to_markdown().splitlines()
    assert md[0].startswith("**") and md[2].startswith("| param")
    assert len([ln for ln in md if ln.startswith("| ")]) == len(d) + 1
    data = json.loads(json.dumps(d.to_dict()))
    assert len(data["rows"]) == len(d) and data["rows"][0]["shape"] == [4, 3]


def test_table_hides_empty_columns_and_formats_numbers() -> None:
    t = Table(("a", "b", "c"), [{"a": 1.23456789, "b": None}, {"a": 2e-7, "b": float("nan")}])
    text = t.to_text()
    assert "b" not in text.splitlines()[0].split() and "1.235" in text and "2.000e-07" in text


def test_timescales_per_layer_and_direction() -> None:
    m = nn.LSTM(3, 10, num_layers=2, bidirectional=True)
    with torch.no_grad():
        for layer in range(2):
            for sfx, b in (("", 0.0), ("_reverse", 0.5)):
                getattr(m, f"bias_ih_l{layer}{sfx}")[10:20] = float(layer + 1)
                getattr(m, f"bias_hh_l{layer}{sfx}")[10:20] = b
    ts = timescales(m)
    assert len(ts) == 4
    for x in ts:
        assert x.gate == "f" and x.tau.shape == (10,)
        b = x.layer + 1 + 0.5 * x.direction
        assert torch.allclose(x.tau, torch.full((10,), 1 + math.exp(b), dtype=x.tau.dtype))
    assert ts.all().shape == (40,)
    data = json.loads(json.dumps(ts.to_dict()))
    assert data["layers"][2]["tau_median"] == pytest.approx(1 + math.exp(2))
    assert "tau_median" in str(ts)


def test_timescales_of_a_plain_rnn_is_empty_with_a_note() -> None:
    ts = timescales(nn.RNN(3, 4))
    assert len(ts) == 0 and "no keep gate" in ts.note and ts.all().numel() == 0


def test_describe_rejects_non_recurrent_models() -> None:
    with pytest.raises(rnninit.errors.NoRecurrentModuleError):
        describe(nn.Linear(3, 4))


def test_the_effective_bias_row_names_both_parameters_as_they_are_in_the_model() -> None:
    from custom_cells_support import LINEAR_LSTM, LinearLSTMCell

    from rnninit.layouts import register_layout, unregister_layout

    register_layout(LinearLSTMCell, LINEAR_LSTM)  # biases in submodules: ih.bias, hh.bias
    try:
        model = nn.ModuleDict({"enc": nn.LSTM(3, 4), "cell": LinearLSTMCell(3, 4)})
        d = describe(model)
        names = [r["param"] for r in d.select(kind="effective_bias", gate="f")]
        assert names == ["enc.bias_ih_l0+bias_hh_l0", "cell.ih.bias+hh.bias"]
        assert describe(model["cell"]).select(kind="effective_bias")[0]["param"] == (
            "ih.bias+hh.bias"
        )
    finally:
        unregister_layout(LinearLSTMCell)
