"""``init_(model, "auto")`` on selected layers and the plans of ``init_``/``apply_recipe``:
exclusions, per-layer overrides, GRU ``b_hn``, ties and parametrized weights, on raw rows.
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from apply_contract_support import _GATE_NAMES, _assert_same, _gen, _rows, _snapshot
from torch import nn
from torch.nn.utils import parametrizations

import rnninit
from rnninit.auto import auto_init_
from rnninit.errors import UnknownNameError
from rnninit.schemes import Recipe

# --- init_(model, "auto", ...) ---------------------------------------------------------------


class _EncDec(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.LSTM(3, 5)
        self.dec = nn.GRU(5, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dec(self.enc(x)[0])[0]


def _data() -> torch.Tensor:
    return 4 * torch.randn(7, 2, 3, generator=_gen(99)) + 1


_SELECT = [{"include": "enc"}, {"exclude": "dec"}]


@pytest.mark.parametrize("select", _SELECT)
def test_init_auto_is_auto_init_on_the_selected_layers(select: dict[str, str]) -> None:
    a, b = _EncDec(), _EncDec()
    b.load_state_dict(a.state_dict())
    dec_before = _snapshot(a.dec)
    assert rnninit.init_(a, "auto", data=_data(), generator=_gen(3), **select) is a  # type: ignore[arg-type]
    auto_init_(b, _data(), generator=_gen(3), **select)
    _assert_same(a, _snapshot(b))
    _assert_same(a.dec, dec_before)
    h = 5  # the calibration really ran: every enc input block has mean square 1 on the data
    x = _data().reshape(-1, 3).double()
    for gate in range(4):
        w = _rows(a.enc.weight_ih_l0, gate, h).double()
        assert float((x @ w.T).pow(2).mean()) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("select", _SELECT)
def test_init_auto_overrides_win_on_the_selected_layers_reproducibly(
    select: dict[str, str],
) -> None:
    h = 5
    kwargs = {"forget_bias": 3.0, "recurrent": ("orthogonal", {"gain": 0.5}), **select}
    a, b, calibrated = _EncDec(), _EncDec(), _EncDec()
    b.load_state_dict(a.state_dict())
    calibrated.load_state_dict(a.state_dict())
    dec_before = _snapshot(a.dec)
    rnninit.init_(a, "auto", data=_data(), generator=_gen(4), **kwargs)  # type: ignore[arg-type]
    rnninit.init_(b, "auto", data=_data(), generator=_gen(4), **kwargs)  # type: ignore[arg-type]
    _assert_same(a, _snapshot(b))  # the overrides' draws use the generator too
    _assert_same(a.dec, dec_before)
    enc = a.enc
    assert torch.equal(_rows(enc.bias_ih_l0, 1, h), torch.full((h,), 3.0))  # f: rows H:2H
    assert not _rows(enc.bias_hh_l0, 1, h).any()
    for gate in range(4):
        u = _rows(enc.weight_hh_l0, gate, h).double()
        assert torch.allclose(u @ u.T, 0.25 * torch.eye(h, dtype=torch.float64), atol=1e-6)
    auto_init_(calibrated, _data(), generator=_gen(4), **select)  # the calibration is kept
    assert torch.equal(enc.weight_ih_l0, calibrated.enc.weight_ih_l0)


@pytest.mark.parametrize("select", _SELECT)
def test_init_auto_restores_every_layer_when_an_override_fails(select: dict[str, str]) -> None:
    model = _EncDec()
    snap = _snapshot(model)
    with pytest.raises(UnknownNameError) as err:  # raised after the calibration wrote
        rnninit.init_(model, "auto", data=_data(), gates={"q": {"bias": 1.0}}, **select)  # type: ignore[arg-type]
    assert str(err.value) == f"gates='q' is not known; valid: {_GATE_NAMES}"
    _assert_same(model, snap)


def test_init_auto_rejects_a_keyword_it_does_not_take() -> None:
    lstm = nn.LSTM(3, 5)
    snap = _snapshot(lstm)
    with pytest.raises(UnknownNameError) as err:
        rnninit.init_(lstm, "auto", data=_data(), max_timescale=9, forget_bias=2.0)
    assert str(err.value) == (
        "keyword for scheme 'auto'='max_timescale' is not known; valid: data, forget_bias, gain, "
        "horizon, inputs, lengths, max_batches, per_feature, reach, target, targets, "
        "timescales. Did you mean 'timescales'?"
    )
    _assert_same(lstm, snap)


# --- init_ / apply_recipe: plans on raw rows ---------------------------------------------------


def test_exclude_leaves_the_excluded_layer_untouched() -> None:
    model = nn.ModuleDict({"enc": nn.LSTM(3, 5), "dec": nn.GRU(5, 6)})
    dec_before = _snapshot(model["dec"])
    rnninit.init_(model, "orthogonal", exclude="dec", generator=_gen())
    _assert_same(model["dec"], dec_before)
    w = model["enc"].weight_hh_l0.detach()
    for gate in range(4):
        u = _rows(w, gate, 5)
        assert torch.allclose(u @ u.T, torch.eye(5), atol=1e-5)


def test_a_per_layer_override_of_a_whole_matrix_kind_is_drawn_per_gate_block() -> None:
    h = 5
    lstm = nn.LSTM(4, h, num_layers=2)
    rnninit.init_(lstm, "keras", layers={1: {"recurrent": "orthogonal"}}, generator=_gen(8))
    w1 = lstm.weight_hh_l1.detach()
    for gate in range(4):  # layer 1: every gate block orthogonal by itself
        u = _rows(w1, gate, h)
        assert torch.allclose(u @ u.T, torch.eye(h), atol=1e-5)
    w0 = lstm.weight_hh_l0.detach()  # layer 0: Keras' whole (4H, H) matrix, blocks are not
    assert torch.allclose(w0.T @ w0, torch.eye(h), atol=1e-5)
    u0 = _rows(w0, 0, h)
    assert not torch.allclose(u0 @ u0.T, torch.eye(h), atol=0.05)


def test_a_per_layer_projection_override() -> None:
    lstm = nn.LSTM(3, 8, num_layers=2, proj_size=3)
    rnninit.init_(lstm, "keras", layers={1: {"projection": "orthogonal"}}, generator=_gen(9))
    w1 = lstm.weight_hr_l1.detach().double()  # (3, 8): orthonormal rows
    assert torch.allclose(w1 @ w1.T, torch.eye(3, dtype=torch.float64), atol=1e-6)
    w0 = lstm.weight_hr_l0.detach()  # layer 0 keeps Keras' glorot_uniform, bound sqrt(6/11)
    assert w0.abs().max() <= math.sqrt(6 / (3 + 8))
    assert not torch.allclose(w0 @ w0.T, torch.eye(3), atol=0.05)


def test_a_per_layer_raw_bias_on_a_whole_matrix_scheme() -> None:
    h = 5
    lstm = nn.LSTM(3, h, num_layers=2)
    before = _snapshot(lstm)
    rnninit.init_(lstm, "pytorch", layers={1: {"bias_hh": 0.25}}, generator=_gen(10))
    assert torch.equal(lstm.bias_hh_l1.detach(), torch.full((4 * h,), 0.25))
    b_ih = lstm.bias_ih_l1.detach()  # still PyTorch's U(+-1/sqrt(H)) draw
    assert b_ih.abs().max() <= 1 / math.sqrt(h) and b_ih.std() > 0
    assert not torch.equal(b_ih, before["bias_ih_l1"])


def test_gru_b_hn_by_gate_by_layer_and_by_default() -> None:
    h = 4
    n = slice(2 * h, 3 * h)  # GRU rows r, z, n
    gru = nn.GRU(3, h, num_layers=2)
    rnninit.init_(gru, "orthogonal", layers={1: {"bias_hn": -0.2}}, generator=_gen())
    assert torch.equal(gru.bias_hh_l1.detach()[n], torch.full((h,), -0.2))
    assert not gru.bias_hh_l0.detach().any()
    rnninit.init_(gru, "orthogonal", gates={"n": {"bias_hn": 0.3}}, generator=_gen())
    for layer in range(2):
        b_hh = getattr(gru, f"bias_hh_l{layer}").detach()
        assert torch.equal(b_hh[n], torch.full((h,), 0.3))
        assert not b_hh[: 2 * h].any()
    fresh = nn.GRU(3, h)  # random PyTorch biases; only an effective bias is given
    rnninit.init_(fresh, bias=0.5)
    assert torch.equal(fresh.bias_ih_l0.detach(), torch.full((3 * h,), 0.5))
    assert not fresh.bias_hh_l0.detach().any()  # b_hn defaults to 0 with an effective bias


def test_a_tie_adds_both_raw_biases_of_its_source_and_zeroes_its_own_b_hh() -> None:
    h = 5
    data = {
        "name": "raw",
        "bias_ih": 0.3,  # raw biases, drawn per block: no effective bias to merge them
        "bias_hh": 0.2,
        "tied": {"i": {"bias": "-f"}},
        "families": ["LSTM"],
    }
    lstm = rnninit.init_(nn.LSTM(3, h), Recipe.from_dict(data))
    b_ih, b_hh = lstm.bias_ih_l0.detach(), lstm.bias_hh_l0.detach()
    assert torch.allclose(_rows(b_ih, 0, h), torch.full((h,), -0.5))  # -(0.3 + 0.2)
    assert not _rows(b_hh, 0, h).any()
    for gate in (1, 2, 3):  # f, g, o keep their raw values
        assert torch.allclose(_rows(b_ih, gate, h), torch.full((h,), 0.3))
        assert torch.allclose(_rows(b_hh, gate, h), torch.full((h,), 0.2))


def test_chrono_with_a_whole_orthogonal_kernel_fits_an_orthogonal_parametrization() -> None:
    h = 4
    lstm = parametrizations.orthogonal(nn.LSTM(3, h), "weight_hh_l0")
    rnninit.init_(
        lstm,
        "chrono",
        max_timescale=20,
        recurrent="orthogonal",
        whole=("recurrent",),  # the fix the parametrization's error message names
        generator=_gen(),
    )
    w = lstm.weight_hh_l0.detach()  # (4H, H): orthonormal columns
    assert torch.allclose(w.T @ w, torch.eye(h), atol=1e-5)
    b = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
    assert torch.equal(_rows(b, 0, h), -_rows(b, 1, h)) and _rows(b, 1, h).min() >= 0


def test_every_parametrized_weight_of_a_layer_is_written() -> None:
    plain = nn.GRU(3, 4)
    wrapped = parametrizations.weight_norm(nn.GRU(3, 4), "weight_ih_l0")
    wrapped = parametrizations.weight_norm(wrapped, "weight_hh_l0")
    rnninit.init_(plain, "orthogonal", generator=_gen(11))
    rnninit.init_(wrapped, "orthogonal", generator=_gen(11))
    for name in ("weight_ih_l0", "weight_hh_l0"):  # same draws, as effective weights
        assert torch.allclose(getattr(wrapped, name), getattr(plain, name), atol=1e-6), name


def test_a_tie_alone_is_written_through_a_parametrized_bias() -> None:
    h = 5
    lstm = parametrizations.weight_norm(nn.LSTM(3, h), "bias_ih_l0", dim=None)
    b_ih, b_hh = lstm.bias_ih_l0.detach().clone(), lstm.bias_hh_l0.detach().clone()
    tie_only = Recipe.from_dict({"name": "tie", "tied": {"i": {"bias": "-f"}}})  # no draw
    rnninit.init_(lstm, tie_only)
    expected = -(_rows(b_ih, 1, h) + _rows(b_hh, 1, h))  # b_i = -(b_ih[f] + b_hh[f])
    assert torch.allclose(_rows(lstm.bias_ih_l0, 0, h), expected, atol=1e-6)
    assert not _rows(lstm.bias_hh_l0, 0, h).any()
    assert torch.allclose(lstm.bias_ih_l0.detach()[h:], b_ih[h:], atol=1e-6)
    assert torch.equal(lstm.bias_hh_l0.detach()[h:], b_hh[h:])


def test_a_legacy_weight_norm_weight_is_restored_when_a_later_layer_fails() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        enc = torch.nn.utils.weight_norm(nn.LSTM(3, 5), "weight_hh_l0")
    model = nn.ModuleDict({"enc": enc, "dec": nn.LSTM(5, 4)})
    snap = _snapshot(model)
    weight_before = enc.weight_hh_l0.detach().clone()
    calls: list[int] = []

    def fails_second(t: torch.Tensor) -> None:  # enc's block passes, dec's raises
        calls.append(t.shape[0])
        if len(calls) == 2:
            raise RuntimeError("second call")
        t.fill_(0.5)

    with pytest.raises(RuntimeError, match="^second call$"):
        rnninit.init_(model, "orthogonal", gates={"o": {"bias": fails_second}})
    assert calls == [5, 4]
    _assert_same(model, snap)  # weight_hh_l0_g and _v
    assert torch.equal(enc.weight_hh_l0, weight_before)  # the computed weight the hook set
