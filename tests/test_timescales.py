"""Log-spaced keep-gate timescales (``chrono_log``, the ``auto`` default) against chrono's uniform
ones, checked on raw bias rows with KS tests (LSTM rows i, f, g, o; GRU rows r, z, n), and by
behaviour: a unit's drawn timescale is how long its cell state really keeps a value.

The timescale of a keep-gate bias ``b`` is ``tau = 1 / (1 - sigmoid(b)) = 1 + exp(b)``.
``chrono_log``: ``log(tau)`` uniform on ``[log 2, log T_max]``; chrono: ``tau`` uniform on
``[2, T_max]``. With 1024 units or more the two laws are far apart (KS p < 1e-12 for the wrong
one), and each test checks both directions, so a swap of the two laws fails.
"""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats
from torch import nn

import rnninit
from rnninit.auto import auto_init_
from rnninit.errors import InitializerError, UnknownNameError
from rnninit.initializers import chrono_, chrono_log_

H = 4096  # units of a bare bias vector
HM = 1024  # units of a module (its orthogonal blocks cost QR time)
T_MAX = 500.0


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _log_uniform(t_max: float) -> stats.rv_continuous:
    lo = math.log(2.0)
    return stats.uniform(lo, math.log(t_max) - lo)  # law of log(tau)


def _assert_log_spaced(b: torch.Tensor, t_max: float) -> None:
    tau = 1.0 + b.double().exp()
    assert stats.kstest(tau.log().numpy(), _log_uniform(t_max).cdf).pvalue > 1e-3
    assert stats.kstest(tau.numpy(), stats.uniform(2.0, t_max - 2.0).cdf).pvalue < 1e-12


def _assert_uniform_spaced(b: torch.Tensor, t_max: float) -> None:
    tau = 1.0 + b.double().exp()
    assert stats.kstest(tau.numpy(), stats.uniform(2.0, t_max - 2.0).cdf).pvalue > 1e-3
    assert stats.kstest(tau.log().numpy(), _log_uniform(t_max).cdf).pvalue < 1e-12


@pytest.mark.parametrize("t_max", [3.0, 64.0, T_MAX, 1e5])
def test_chrono_log_draws_log_uniform_timescales_in_range(t_max: float) -> None:
    b = chrono_log_(torch.empty(H), t_max, _gen(1))
    tau = 1.0 + b.double().exp()
    assert float(tau.min()) >= 2.0 - 1e-9 and float(tau.max()) <= t_max * (1 + 1e-6)
    assert stats.kstest(tau.log().numpy(), _log_uniform(t_max).cdf).pvalue > 1e-3


def test_chrono_log_and_chrono_are_different_laws_over_the_same_range() -> None:
    _assert_log_spaced(chrono_log_(torch.empty(H), T_MAX, _gen(2)), T_MAX)
    _assert_uniform_spaced(chrono_(torch.empty(H), T_MAX, _gen(2)), T_MAX)


def test_chrono_log_keeps_dtype_is_deterministic_and_validates_like_chrono() -> None:
    t = torch.empty(64, dtype=torch.float64)
    a = chrono_log_(t, 50, _gen(3)).clone()
    assert t.dtype == torch.float64
    assert torch.equal(a, chrono_log_(torch.empty(64, dtype=torch.float64), 50, _gen(3)))
    for bad in (2, 1.5, math.inf, float("nan"), "100"):
        before = t.clone()
        with pytest.raises(InitializerError) as err:
            chrono_log_(t, bad, _gen())  # type: ignore[arg-type]
        assert str(err.value) == (
            "chrono_log needs max_timescale, a finite number > 2 (the longest dependency, in "
            f"steps), got {bad!r}"
        )
        assert torch.equal(t, before)


def test_chrono_log_is_a_registered_initializer_usable_as_a_forget_bias() -> None:
    lstm = rnninit.init_(
        nn.LSTM(2, H),
        "flax",
        forget_bias=("chrono_log", {"max_timescale": T_MAX}),
        generator=_gen(),
    )
    f = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[H : 2 * H]  # LSTM rows i, f, g, o
    _assert_log_spaced(f, T_MAX)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_auto_keep_gate_is_log_spaced_by_default_and_uniform_on_request(cell: str) -> None:
    t = 120  # the longest sequence in the data: the horizon; T_max = 3 * 120 (reach 3)
    x = torch.randn(t, 3, 2, generator=_gen(4))
    make = nn.LSTM if cell == "lstm" else nn.GRU
    for timescales, check in (("log", _assert_log_spaced), ("uniform", _assert_uniform_spaced)):
        m = make(2, HM)
        kwargs = {} if timescales == "log" else {"timescales": timescales}
        auto_init_(m, x, generator=_gen(5), **kwargs)  # type: ignore[arg-type]
        b = (m.bias_ih_l0 + m.bias_hh_l0).detach()
        keep = b[HM : 2 * HM]  # LSTM f (rows i, f, g, o); GRU z (rows r, z, n)
        check(keep, 3.0 * t)
        if cell == "lstm":
            assert torch.equal(b[:HM], -keep)  # b_i = -b_f
            assert torch.all(b[2 * HM :] == 0)
        else:
            assert torch.all(b[:HM] == 0) and torch.all(b[2 * HM :] == 0)


def test_the_drawn_timescale_is_how_long_the_cell_keeps_a_value() -> None:
    """Behaviour, not bias values: with every weight 0, c_t = sigmoid(b_f) c_{t-1} + sigmoid(b_i)
    tanh(b_g); write 1 into c with g and i saturated, then close i: c decays as (1 - 1/tau)^t."""
    h = 256
    lstm = auto_init_(nn.LSTM(1, h), horizon=T_MAX, generator=_gen(6))
    with torch.no_grad():
        f = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[h : 2 * h].clone()
        lstm.weight_ih_l0.zero_()
        lstm.weight_hh_l0.zero_()
        lstm.bias_hh_l0.zero_()
        lstm.bias_ih_l0.zero_()
        lstm.bias_ih_l0[h : 2 * h] = f  # the drawn forget biases only
        lstm.bias_ih_l0[2 * h : 3 * h] = 50.0  # g = tanh(50) = 1, never read while i = 0
        lstm.bias_ih_l0[:h] = -50.0  # input gate closed
    steps = 40
    c0 = torch.ones(1, 1, h)
    _, (_, c) = lstm(torch.zeros(steps, 1, 1), (torch.zeros(1, 1, h), c0))
    tau = 1.0 + f.double().exp()
    expected = (1.0 - 1.0 / tau) ** steps
    assert torch.allclose(c[0, 0].double(), expected, rtol=1e-4, atol=1e-7)
    # log spacing: many units forget within the 40 steps, and many remember
    assert 0.2 < float((c < 0.5).float().mean()) < 0.8


def test_bad_timescales_is_a_typed_error_and_leaves_the_model_as_it_was() -> None:
    lstm = nn.LSTM(2, 8)
    before = [p.detach().clone() for p in lstm.parameters()]
    with pytest.raises(UnknownNameError) as err:
        rnninit.init_(lstm, "auto", data=torch.randn(10, 2, 2), timescales="lgo")
    assert (
        str(err.value) == "timescales='lgo' is not known; valid: log, uniform. Did you mean 'log'?"
    )
    assert all(torch.equal(a, b) for a, b in zip(before, lstm.parameters(), strict=True))


def _chrono_base(t_max: float, seed: int, **kwargs: object) -> nn.LSTM:
    """``auto``'s fixed part drawn by hand: chrono with LeCun input and orthogonal recurrent
    blocks of gain 1 (``kwargs``: e.g. the keep-bias draw), on an ``LSTM(2, 16)``."""
    return rnninit.init_(
        nn.LSTM(2, 16),
        "chrono",
        max_timescale=t_max,
        input="lecun_normal",
        recurrent=("orthogonal", {"gain": 1.0}),
        generator=_gen(seed),
        **kwargs,  # type: ignore[arg-type]
    )


def test_uniform_timescales_draw_exactly_as_the_chrono_base_did() -> None:
    """``timescales="uniform", reach=1`` is the scheme before log spacing, draw for draw: the
    biases and recurrent blocks (calibration leaves them alone) equal the chrono base drawn with
    the same generator and T_max = the data's length, so runs recorded before the change re-run
    bit for bit."""
    x = torch.randn(40, 3, 2, generator=_gen(7))
    got = auto_init_(nn.LSTM(2, 16), x, timescales="uniform", reach=1.0, generator=_gen(8))
    ref = _chrono_base(40, 8)
    for name in ("bias_ih_l0", "bias_hh_l0", "weight_hh_l0"):
        assert torch.equal(getattr(got, name), getattr(ref, name)), name
    logged = auto_init_(nn.LSTM(2, 16), x, generator=_gen(8))  # control: log spacing differs
    assert not torch.equal(logged.bias_ih_l0 + logged.bias_hh_l0, ref.bias_ih_l0 + ref.bias_hh_l0)


def test_reach_1_draws_exactly_as_auto_did_before_reach_and_reach_3_triples_t_max() -> None:
    """``reach=1`` is ``auto`` before ``reach`` (T_max = the data's length), draw for draw, so
    the runs relabeled ``auto+reach=1`` re-run bit for bit; the default draws as T_max = 3 x."""
    x = torch.randn(40, 3, 2, generator=_gen(9))

    def ref(t_max: float) -> nn.LSTM:
        return _chrono_base(t_max, 10, forget_bias=("chrono_log", {"max_timescale": t_max}))

    for reach, t_max in ((1.0, 40.0), (3.0, 120.0)):
        got = auto_init_(nn.LSTM(2, 16), x, reach=reach, generator=_gen(10))
        want = ref(t_max)
        for name in ("bias_ih_l0", "bias_hh_l0", "weight_hh_l0"):
            assert torch.equal(getattr(got, name), getattr(want, name)), (reach, name)
    default = auto_init_(nn.LSTM(2, 16), x, generator=_gen(10))
    assert torch.equal(default.bias_ih_l0, ref(120.0).bias_ih_l0)
    assert not torch.equal(default.bias_ih_l0, ref(40.0).bias_ih_l0)
