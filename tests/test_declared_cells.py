"""Every declared layout (user-written cells and torchrecurrent's), checked by behaviour and on the
RAW parameters, never through rnninit's own mapping:

* saturate the declared keep-gate bias (and close ``i``): the real cell holds its memory;
  the same probe through a wrong gate order does not (so the test can fail);
* ``orthogonal``: each declared block of the raw recurrent weight (rows, or columns of a
  transposed kernel) is orthogonal;
* ``chrono``: the raw keep-gate bias entries follow ``log U(1, T_max - 1)`` (KS test);
* ``auto``: each block's input contribution ``mean((W_block x)^2)`` on the data is the target.

Sizes cannot coincide: input 5, hidden 7, batch 3, steps 11 (auto: batch 64).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import pytest
import torch
import torchrecurrent as tr
from custom_cells_support import (
    HASTE_LSTM,
    LAYER_NORM_LSTM,
    LINEAR_LSTM,
    HasteLSTMCell,
    LayerNormLSTMCell,
    LinearLSTMCell,
    Loop,
    block,
    effective_bias,
    step_states,
)
from scipy import stats
from torch import nn

import rnninit
import rnninit.contrib.torchrecurrent as contrib
from rnninit.layouts import register_layout, unregister_layout

IN, H, N, T = 5, 7, 3, 11

Case = tuple[Callable[[int, int], nn.Module], rnninit.Declaration]
CASES: dict[str, Case] = {
    "linear_lstm": (LinearLSTMCell, LINEAR_LSTM),
    "layer_norm_lstm": (LayerNormLSTMCell, LAYER_NORM_LSTM),
    "haste_lstm": (HasteLSTMCell, HASTE_LSTM),
    "tr_peephole_lstm": (tr.PeepholeLSTMCell, contrib.DECLARATIONS[tr.PeepholeLSTMCell]),
    "tr_res_lstm": (tr.ResLSTMCell, contrib.DECLARATIONS[tr.ResLSTMCell]),
    "tr_wmc_lstm": (tr.WMCLSTMCell, contrib.DECLARATIONS[tr.WMCLSTMCell]),
    "tr_janet": (tr.JANETCell, contrib.DECLARATIONS[tr.JANETCell]),
    "tr_ligru": (tr.LiGRUCell, contrib.DECLARATIONS[tr.LiGRUCell]),
    "tr_ugrnn": (tr.UGRNNCell, contrib.DECLARATIONS[tr.UGRNNCell]),
}
USER = {LinearLSTMCell: LINEAR_LSTM, LayerNormLSTMCell: LAYER_NORM_LSTM, HasteLSTMCell: HASTE_LSTM}


@pytest.fixture(autouse=True)
def _declared() -> object:
    for cls, decl in USER.items():
        register_layout(cls, decl)
    yield
    for cls in USER:
        unregister_layout(cls)


def _make(name: str, seed: int = 0) -> tuple[nn.Module, rnninit.Declaration]:
    torch.manual_seed(seed)
    factory, decl = CASES[name]
    return factory(IN, H), decl


def _start(cell: nn.Module, decl: rnninit.Declaration) -> object:
    g = torch.Generator().manual_seed(1)
    h = torch.randn(N, H, generator=g)
    if decl.family != "LSTM":
        return h
    c = torch.randn(N, H, generator=g)
    if isinstance(cell, LayerNormLSTMCell):
        c = nn.functional.layer_norm(c, (H,))  # its c is layer-normed every step
    return (h, c)


def _saturate(cell: nn.Module, decl: rnninit.Declaration) -> None:
    keep = decl.keep_gate
    assert keep is not None
    gates: dict[str, dict[str, float]] = {keep: {"bias": 20.0}}
    if "i" in decl.gates:
        gates["i"] = {"bias": -20.0}
    rnninit.init_(cell, "orthogonal", gates=gates, generator=torch.Generator().manual_seed(2))


def _memory_drift(cell: nn.Module, decl: rnninit.Declaration) -> float:
    state = _start(cell, decl)
    memory0 = state[1] if isinstance(state, tuple) else state
    x = torch.randn(T, N, IN, generator=torch.Generator().manual_seed(3))
    return max(float((m - memory0).abs().max()) for m in step_states(cell, x, state))


@pytest.mark.parametrize("name", CASES)
def test_saturated_keep_gate_holds_the_memory_of_the_real_cell(name: str) -> None:
    cell, decl = _make(name)
    _saturate(cell, decl)
    assert _memory_drift(cell, decl) < 1e-4


@pytest.mark.parametrize("name", CASES)
def test_the_same_probe_through_a_wrong_gate_order_does_not_hold(name: str) -> None:
    cell, decl = _make(name)
    wrong = rnninit.Declaration.from_dict({**decl.to_dict(), "gates": decl.gates[::-1]})
    register_layout(cell, wrong)  # this one instance only
    _saturate(cell, decl)
    assert _memory_drift(cell, decl) > 0.05


@pytest.mark.parametrize("name", CASES)
def test_orthogonal_makes_every_raw_recurrent_block_orthogonal(name: str) -> None:
    cell, decl = _make(name)
    rnninit.init_(cell, "orthogonal", generator=torch.Generator().manual_seed(4))
    eye = torch.eye(H, dtype=torch.float64)
    for gate in decl.gates:
        w = block(cell, decl, "recurrent", gate)  # (H, H) from raw rows / columns
        torch.testing.assert_close(w @ w.T, eye, atol=1e-5, rtol=0)
    if decl.family == "LSTM" and decl.keep_gate:  # and the forget bias 1 (Gers et al. 2000)
        torch.testing.assert_close(
            effective_bias(cell, decl, "f"), torch.ones(H, dtype=torch.float64)
        )


@pytest.mark.parametrize("name", CASES)
def test_chrono_keep_bias_is_log_uniform_on_the_raw_entries(name: str) -> None:
    torch.manual_seed(0)
    factory, decl = CASES[name]
    cell = factory(IN, 400)
    t_max = 80.0
    rnninit.init_(cell, "chrono", max_timescale=t_max, generator=torch.Generator().manual_seed(5))
    keep = decl.keep_gate
    assert keep is not None
    hidden = 400
    b = torch.cat([effective_bias(cell, decl, keep)])
    assert b.shape == (hidden,)
    u = b.exp().numpy()  # exp(b_f) ~ U(1, T_max - 1)
    assert stats.kstest(u, stats.uniform(loc=1.0, scale=t_max - 2.0).cdf).pvalue > 1e-3
    # the test has power: the same entries are not U(1, T_max / 2)
    assert stats.kstest(u, stats.uniform(loc=1.0, scale=t_max / 2).cdf).pvalue < 1e-6
    if "i" in decl.gates:  # chrono's b_i = -b_f
        torch.testing.assert_close(effective_bias(cell, decl, "i"), -b)
    for gate in decl.gates:
        if gate not in (keep, "i"):
            assert float(effective_bias(cell, decl, gate).abs().max()) == 0.0


@pytest.mark.parametrize("name", CASES)
def test_auto_scales_each_raw_input_block_to_the_target_on_the_data(name: str) -> None:
    cell, decl = _make(name)
    scale = torch.tensor([1.0, 10.0, 0.1, 3.0, 30.0])
    x = torch.randn(T, 64, IN, generator=torch.Generator().manual_seed(6)) * scale
    model = Loop(cell)
    rnninit.init_(model, "auto", data=x, generator=torch.Generator().manual_seed(7))
    rows = x.reshape(-1, IN).double()
    for gate in decl.gates:
        w = block(cell, decl, "input", gate)  # (H, in) from raw rows / columns
        assert float((rows @ w.T).pow(2).mean()) == pytest.approx(1.0, rel=1e-4)
    keep = decl.keep_gate
    assert keep is not None
    tau = 1.0 + effective_bias(cell, decl, keep).exp()  # auto: log-uniform on [2, 3 * T]
    assert float(tau.min()) >= 2.0 - 1e-6
    assert float(tau.max()) <= 3.0 * T + 1e-6


@pytest.mark.parametrize("name", CASES)
def test_every_scheme_initializes_the_declared_cell(name: str) -> None:
    for scheme in rnninit.schemes.SCHEMES:
        cell, decl = _make(name)
        before = {k: v.clone() for k, v in cell.state_dict().items()}
        kwargs = {"max_timescale": 50} if scheme == "chrono" else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rnninit.errors.SchemeWarning)
            rnninit.init_(cell, scheme, generator=torch.Generator().manual_seed(8), **kwargs)
        w = block(cell, decl, "recurrent", decl.gates[0])
        changed = not torch.equal(w.float(), block_of(before, decl, "recurrent", decl.gates[0]))
        assert changed == (scheme != "keep"), scheme
        if scheme in ("keras", "sonnet", "orthogonal") and decl.keep_gate == "f":
            torch.testing.assert_close(
                effective_bias(cell, decl, "f"), torch.ones(H, dtype=torch.float64)
            )


def block_of(
    state: dict[str, torch.Tensor], decl: rnninit.Declaration, kind: str, gate: str
) -> torch.Tensor:
    p = state[getattr(decl, kind)]
    j = decl.gates.index(gate)
    if decl.stacking == "columns":
        return p[:, j * H : (j + 1) * H].T
    return p[j * H : (j + 1) * H]


@pytest.mark.parametrize("name", CASES)
def test_diagnostics_read_the_declared_gates(name: str) -> None:
    cell, decl = _make(name)
    keep = decl.keep_gate
    assert keep is not None
    rnninit.init_(cell, "orthogonal", gates={keep: {"bias": 2.0}})
    d = rnninit.describe(cell)
    assert [r["gate"] for r in d.select(kind="recurrent")] == list(decl.gates)
    (entry,) = list(rnninit.diagnose.timescales(cell))
    torch.testing.assert_close(entry.tau.double(), torch.full((H,), 1.0 + math.exp(2.0)).double())
    rnninit.init_(cell, "orthogonal", gates={keep: {"bias": -4.0}})  # tau ~ 1.02 steps
    short = rnninit.diagnose.gradient_horizon(cell, 60, generator=torch.Generator().manual_seed(9))
    rnninit.init_(cell, "chrono", max_timescale=60, generator=torch.Generator().manual_seed(9))
    long = rnninit.diagnose.gradient_horizon(cell, 60, generator=torch.Generator().manual_seed(9))
    assert long.norms.shape == short.norms.shape == (60,)
    if not isinstance(cell, LayerNormLSTMCell):  # its layer norm on c rescales every gradient
        assert long.horizon > short.horizon
    if decl.bias_hh is not None:  # the doubled-bias bug is found on a declared cell too
        with torch.no_grad():
            for kind in ("bias_ih", "bias_hh"):
                p = cell.get_parameter(getattr(decl, kind))
                j = decl.gates.index(keep)
                p[j * H : (j + 1) * H] = 1.0
        assert "doubled_bias" in [f.code for f in rnninit.check(cell).findings]


def test_a_torchrecurrent_multi_layer_wrapper_is_initialized_cell_by_cell() -> None:
    torch.manual_seed(0)
    rnn = tr.JANET(IN, H, num_layers=2)
    rnninit.init_(rnn, "chrono", max_timescale=40, generator=torch.Generator().manual_seed(1))
    assert [name for name, _ in rnninit.layouts.find_recurrent(rnn)] == ["cells.0", "cells.1"]
    for cell in rnn.cells:
        f = (cell.bias_ih + cell.bias_hh).detach()[:H]  # JANET rows: f, then the candidate
        assert bool((f >= 0).all()) and bool((f <= math.log(39.0) + 1e-6).all())


def test_a_column_stacked_block_is_named_by_its_columns_of_the_raw_parameter() -> None:
    cell = HasteLSTMCell(5, 8)  # declared by the autouse fixture
    f_input = next(b for b in rnninit.gates(cell) if b.kind == "input" and b.gate == "f")
    assert f_input.columns and "kernel[:, 16:24]" in repr(f_input)  # i, g, f, o: f third
    assert torch.equal(f_input.tensor, cell.kernel[:, 16:24].t())
    bias = next(b for b in rnninit.gates(cell) if b.kind == "bias_ih" and b.gate == "f")
    assert "bias[16:24]" in repr(bias)  # a vector has no columns to name
