"""The contract of ``rnninit.initializers``: He/Kaiming, the defaults and error messages of every
law, draws on the generator's device.

Distributions are checked against their documented formula with a Kolmogorov-Smirnov test on a
fixed ``torch.Generator`` seed (p > 1e-3 under the documented law; a wrong scale, mean or bound
on these sample sizes gives p ~ 0). Error messages are compared whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import torch
from core_contract_support import P_MIN, _gen, _ks_normal, _ks_uniform
from scipy import stats
from torch import nn

import rnninit
from rnninit import initializers as I
from rnninit.errors import InitializerError
from rnninit.initializers._registry import INITIALIZERS, Init, dry_run

# --- initializers: He / Kaiming --------------------------------------------------------------

# gains of torch.nn.init.calculate_gain, written out: relu sqrt(2), tanh 5/3, linear 1
KAIMING_CASES = [
    ({}, math.sqrt(2.0), 150),  # defaults: relu, fan_in
    ({"nonlinearity": "relu", "mode": "fan_out"}, math.sqrt(2.0), 60),
    ({"nonlinearity": "tanh", "mode": "fan_in"}, 5.0 / 3.0, 150),
    ({"nonlinearity": "linear", "mode": "fan_out"}, 1.0, 60),
]


@pytest.mark.parametrize(("kwargs", "gain", "fan"), KAIMING_CASES)
def test_kaiming_uniform_is_uniform_with_bound_gain_sqrt_3_over_fan(
    kwargs: dict[str, str], gain: float, fan: int
) -> None:
    t = torch.empty(60, 150)  # fan_out = 60, fan_in = 150
    out = I.kaiming_uniform_(t, generator=_gen(1), **kwargs)
    assert out is t
    bound = gain * math.sqrt(3.0 / fan)
    assert t.abs().max().item() <= bound
    assert _ks_uniform(t, -bound, bound) > P_MIN


@pytest.mark.parametrize(("kwargs", "gain", "fan"), KAIMING_CASES)
def test_kaiming_normal_has_std_gain_over_sqrt_fan(
    kwargs: dict[str, str], gain: float, fan: int
) -> None:
    t = torch.empty(60, 150)
    out = I.kaiming_normal_(t, generator=_gen(2), **kwargs)
    assert out is t
    assert _ks_normal(t, 0.0, gain / math.sqrt(fan)) > P_MIN


@pytest.mark.parametrize("fn", [I.kaiming_uniform_, I.kaiming_normal_])
def test_kaiming_draws_with_the_generator(fn: Callable[..., torch.Tensor]) -> None:
    a, b, c = torch.empty(20, 30), torch.empty(20, 30), torch.empty(20, 30)
    fn(a, generator=_gen(5))
    fn(b, generator=_gen(5))
    fn(c, generator=_gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("fn", [I.kaiming_uniform_, I.kaiming_normal_])
def test_kaiming_errors(fn: Callable[..., torch.Tensor]) -> None:
    with pytest.raises(InitializerError) as err:
        fn(torch.empty(4, 3), mode="fan_avg")
    assert str(err.value) == "mode='fan_avg' is not valid; valid: 'fan_in', 'fan_out'"
    with pytest.raises(InitializerError) as err:
        fn(torch.empty(4, 3), nonlinearity="swish")
    # the tail is torch.nn.init.calculate_gain's own ValueError message
    assert str(err.value) == "nonlinearity='swish': Unsupported nonlinearity swish"


def test_kaiming_uniform_through_the_registry_uses_per_gate_fans() -> None:
    lstm = rnninit.init_(nn.LSTM(7, 50), None, input="kaiming_uniform", generator=_gen(3))
    # weight_ih is (4*50, 7): each gate block (50, 7) has fan_in = 7
    w = lstm.get_parameter("weight_ih_l0").detach()
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 7)
    assert w.abs().max().item() <= bound
    assert _ks_uniform(w, -bound, bound) > P_MIN


# --- initializers: the defaults of the other laws --------------------------------------------


def test_xavier_normal_default_gain_is_one_and_mean_zero() -> None:
    t = torch.empty(200, 300)  # fan_in 300, fan_out 200
    I.xavier_normal_(t, generator=_gen(4))
    assert _ks_normal(t, 0.0, math.sqrt(2.0 / 500)) > P_MIN


def test_fan_in_truncated_normal_default_scale_is_one_and_mean_zero() -> None:
    t = torch.empty(200, 400)  # fan_in 400: stddev 1/20 before truncation at 2 stddev
    I.fan_in_truncated_normal_(t, generator=_gen(5))
    law = stats.truncnorm(-2.0, 2.0, loc=0.0, scale=1.0 / 20)
    assert stats.kstest(t.double().flatten().numpy(), law.cdf).pvalue > P_MIN


def test_identity_default_gain_is_one_and_is_exact_in_float64() -> None:
    t = torch.empty(5, 5)
    assert torch.equal(I.identity_(t), torch.eye(5))
    d = torch.empty(3, 3, dtype=torch.float64)
    I.identity_(d, gain=0.1)  # 0.1 in float64, not a float32 0.1 widened
    assert torch.equal(d, torch.eye(3, dtype=torch.float64) * 0.1)


def test_pytorch_default_with_hidden_size_one_is_u_minus_one_one() -> None:
    t = torch.empty(20_000)
    I.pytorch_default_(t, 1, _gen(6))
    assert t.abs().max().item() <= 1.0
    assert _ks_uniform(t, -1.0, 1.0) > P_MIN


def test_pytorch_default_with_hidden_size_zero_writes_zeros() -> None:
    t = torch.ones(3)
    assert I.pytorch_default_(t, 0) is t
    assert torch.equal(t, torch.zeros(3))


def test_pytorch_default_draws_with_the_generator() -> None:
    a, b, c = torch.empty(50), torch.empty(50), torch.empty(50)
    I.pytorch_default_(a, 8, _gen(7))
    I.pytorch_default_(b, 8, _gen(7))
    I.pytorch_default_(c, 8, _gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_uniform_gate_activations_stay_in_one_over_d_to_one_minus_one_over_d() -> None:
    g = _gen(9)
    draws = torch.stack([I.uniform_gate_(torch.empty(4), g) for _ in range(2500)])
    s = torch.sigmoid(draws.double())  # d = 4: sigmoid(b) ~ U(1/4, 3/4)
    assert s.min().item() >= 0.25 - 1e-6 and s.max().item() <= 0.75 + 1e-6
    assert _ks_uniform(s, 0.25, 0.75) > P_MIN


def test_uniform_gate_needs_two_units() -> None:
    with pytest.raises(InitializerError) as err:
        I.uniform_gate_(torch.empty(1))
    assert str(err.value) == "uniform_gate needs at least 2 units, got 1"


def test_default_laws_of_uniform_normal_truncated_normal_and_xavier_uniform() -> None:
    t = torch.empty(100, 200)  # fan_in 200, fan_out 100
    I.uniform_(t, generator=_gen(10))
    assert _ks_uniform(t, 0.0, 1.0) > P_MIN
    I.normal_(t, generator=_gen(11))
    assert _ks_normal(t, 0.0, 1.0) > P_MIN
    I.truncated_normal_(t, generator=_gen(12))
    p = stats.kstest(t.double().flatten().numpy(), stats.truncnorm(-2.0, 2.0).cdf).pvalue
    assert p > P_MIN
    I.xavier_uniform_(t, generator=_gen(13))
    bound = math.sqrt(6.0 / 300)
    assert _ks_uniform(t, -bound, bound) > P_MIN


def test_degenerate_but_valid_parameters() -> None:
    t = torch.empty(50)
    assert torch.equal(I.uniform_(t, 0.25, 0.25, _gen()), torch.full((50,), 0.25))
    assert torch.equal(I.normal_(t, 0.5, 0.0, _gen()), torch.full((50,), 0.5))
    assert torch.equal(I.truncated_normal_(t, 0.75, 0.0, generator=_gen()), torch.full((50,), 0.75))
    I.chrono_(t, 2.5, _gen())  # T_max just above 2: log U(1, 1.5)
    assert t.min().item() >= 0.0 and t.max().item() <= math.log(1.5) + 1e-6
    assert _ks_uniform(t.exp(), 1.0, 1.5) > P_MIN


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: I.uniform_(t, 1.0, 0.0), "uniform needs low <= high, got low=1.0, high=0.0"),
        (lambda t: I.normal_(t, 0.0, -1.0), "normal needs std >= 0, got std=-1.0"),
        (
            lambda t: I.truncated_normal_(t, std=-1.0),
            "truncated_normal needs std >= 0 and a < b, got -1.0, -2.0, 2.0",
        ),
        (
            lambda t: I.truncated_normal_(t, a=1.0, b=1.0),
            "truncated_normal needs std >= 0 and a < b, got 1.0, 1.0, 1.0",
        ),
        (
            lambda t: I.chrono_(t, math.inf),
            "chrono needs max_timescale, a finite number > 2 (the longest dependency, in steps), "
            "got inf",
        ),
        (
            lambda t: I.chrono_(t, "100"),  # type: ignore[arg-type]
            "chrono needs max_timescale, a finite number > 2 (the longest dependency, in steps), "
            "got '100'",
        ),
    ],
)
def test_initializer_parameter_errors(
    call: Callable[[torch.Tensor], torch.Tensor], message: str
) -> None:
    t = torch.zeros(5)
    with pytest.raises(InitializerError) as err:
        call(t)
    assert str(err.value) == message
    assert torch.equal(t, torch.zeros(5))  # nothing written


@pytest.mark.parametrize(("a", "b"), [(3.0, 3.0 + 1e-13), (-3.0, -3.0 + 1e-13)])
def test_truncated_normal_never_leaves_its_interval(a: float, b: float) -> None:
    """A narrow interval in the tail: erf/erfinv rounding would step outside without the clamp."""
    t = torch.empty(2000, dtype=torch.float64)
    I.truncated_normal_(t, 0.0, 1.0, a, b, _gen(14))
    assert t.min().item() >= a and t.max().item() <= b


def test_truncated_normal_far_tail_is_exact() -> None:
    """Drawn in float64: a float32 u would collapse the tail [5, 6] to a handful of values."""
    t = torch.empty(20_000, dtype=torch.float64)
    I.truncated_normal_(t, 0.0, 1.0, 5.0, 6.0, _gen(15))
    assert len(set(t.tolist())) > 19_000
    assert stats.kstest(t.numpy(), stats.truncnorm(5.0, 6.0).cdf).pvalue > P_MIN


RANDOM_FNS: dict[str, Callable[[torch.Tensor, torch.Generator], torch.Tensor]] = {
    "uniform": lambda t, g: I.uniform_(t, -1.0, 1.0, g),
    "normal": lambda t, g: I.normal_(t, 0.0, 1.0, g),
    "truncated_normal": lambda t, g: I.truncated_normal_(t, 0.0, 1.0, generator=g),
    "chrono": lambda t, g: I.chrono_(t, 10.0, g),
    "uniform_gate": lambda t, g: I.uniform_gate_(t, g),
    "orthogonal": lambda t, g: I.orthogonal_(t, 1.0, g),
}


@pytest.mark.parametrize("name", sorted(RANDOM_FNS))
def test_draws_happen_on_the_generators_device(name: str) -> None:
    """A meta tensor with a CPU generator: the values are drawn on the CPU, so the generator
    advances exactly as it does for a CPU tensor of that shape (a draw on the meta device
    would not touch it)."""
    fill = RANDOM_FNS[name]
    g_meta, g_cpu = _gen(16), _gen(16)
    out = fill(torch.empty(6, 4, device="meta"), g_meta)
    fill(torch.empty(6, 4), g_cpu)
    assert out.device.type == "meta"
    assert not torch.equal(g_cpu.get_state(), _gen(16).get_state())  # the CPU draw advanced it
    assert torch.equal(g_meta.get_state(), g_cpu.get_state())


def test_dry_run_touches_no_rng_for_any_registered_initializer() -> None:
    kwargs: dict[str, Mapping[str, Any]] = {
        "constant": {"value": 1.0},
        "chrono": {"max_timescale": 10},
        "chrono_log": {"max_timescale": 10},
        "truncated_normal": {"std": 1.0},
    }
    state = torch.get_rng_state()
    for name in INITIALIZERS:
        dry_run(Init(name, kwargs.get(name, {})), (6, 6), {"hidden_size": 6})
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7)])
def test_orthogonal_is_the_q_factor_of_the_documented_draw(shape: tuple[int, int]) -> None:
    """``A ~ N(0, 1)`` of shape ``(max, min)`` from the generator, ``A = QR`` with the signs fixed
    so that ``R = Q^T A`` is upper triangular with a positive diagonal; transposed if wide."""
    rows, cols = shape
    t = torch.empty(shape, dtype=torch.float64)
    I.orthogonal_(t, generator=_gen(17))  # default gain 1
    a = torch.empty(max(shape), min(shape), dtype=torch.float64).normal_(generator=_gen(17))
    q = t if rows >= cols else t.T  # (max, min), orthonormal columns
    torch.testing.assert_close(q.T @ q, torch.eye(min(shape), dtype=torch.float64))
    r = q.T @ a
    torch.testing.assert_close(r, r.triu(), atol=1e-12, rtol=0)  # R is upper triangular
    assert bool((torch.diagonal(r) > 0).all())  # the sign fix
    torch.testing.assert_close(q @ r, a)


def test_orthogonal_needs_a_matrix() -> None:
    with pytest.raises(InitializerError) as err:
        I.orthogonal_(torch.empty(2, 3, 4))
    assert str(err.value) == "orthogonal needs a 2-D matrix, got shape (2, 3, 4)"
