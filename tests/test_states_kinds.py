"""State kinds: statistics, determinism, eval behaviour, parameter errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rnninit.errors import InitializerError, UnknownNameError
from rnninit.states import STATE_KINDS, InitialState, initial_state


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_registry_lists_every_kind() -> None:
    assert set(STATE_KINDS) == {
        "zeros",
        "constant",
        "uniform",
        "normal",
        "xavier_uniform",
        "xavier_normal",
        "learned",
        "learned_noisy",
        "conditional",
    }


def test_zeros_and_constant() -> None:
    rnn = nn.LSTM(3, 5, num_layers=2)
    h, c = initial_state(rnn, batch_size=4)
    assert not h.any() and not c.any()
    h, c = initial_state(rnn, ("constant", {"value": 0.25}), 4)
    assert torch.all(h == 0.25) and torch.all(c == 0.25)


def test_uniform_range_and_moments() -> None:
    rnn = nn.GRU(3, 64, num_layers=2)
    h = initial_state(rnn, "uniform", 512, generator=_gen(0))
    assert h.min() >= -0.5 and h.max() <= 0.5
    assert abs(h.mean().item()) < 0.01
    assert h.std().item() == pytest.approx(1 / math.sqrt(12), rel=0.02)  # std of U(-0.5, 0.5)
    h = initial_state(rnn, ("uniform", {"low": 0.2, "high": 0.6}), 512, generator=_gen(0))
    assert h.min() >= 0.2 and h.max() <= 0.6 and h.mean().item() == pytest.approx(0.4, abs=0.01)
    h = initial_state(rnn, ("uniform", {"low": -2.0, "high": 2.0}), 512, generator=_gen(0))
    assert h.min() >= -2 and h.max() <= 2 and h.abs().max() > 1.9


def test_normal_moments() -> None:
    rnn = nn.RNN(3, 64)
    h = initial_state(rnn, ("normal", {"mean": 0.3, "std": 0.05}), 2048, generator=_gen(1))
    assert h.mean().item() == pytest.approx(0.3, abs=0.002)
    assert h.std().item() == pytest.approx(0.05, rel=0.02)


@pytest.mark.parametrize("kind", ["xavier_uniform", "xavier_normal"])
def test_xavier_std_is_gain_over_sqrt_width_whatever_the_batch(kind: str) -> None:
    # h has width proj_size = 16, c has width hidden_size = 256
    rnn = nn.LSTM(3, 256, num_layers=4, proj_size=16)
    stds_h, stds_c = [], []
    for batch in (1, 32, 512):
        h, c = initial_state(rnn, (kind, {"gain": 2.0}), batch, generator=_gen(batch))
        # at least 4 * 16 = 64 values for h at batch 1: use enough rows to keep the error small
        stds_h.append(h.std().item())
        stds_c.append(c.std().item())
    for s in stds_c:  # 1024+ samples: relative error of the std ~ 2-3%
        assert s == pytest.approx(2.0 / math.sqrt(256), rel=0.1)
    assert stds_h[-1] == pytest.approx(2.0 / math.sqrt(16), rel=0.05)
    assert stds_h[0] == pytest.approx(2.0 / math.sqrt(16), rel=0.3)  # only 64 samples
    assert max(stds_c) / min(stds_c) < 1.15


def test_the_folk_xavier_recipe_depends_on_the_batch_and_ours_does_not() -> None:
    width = 128
    folk = {}
    for batch in (1, 32, 512):
        t = torch.empty(1, batch, width)
        nn.init.xavier_uniform_(t, generator=_gen(batch))
        folk[batch] = t.std().item()
    # torch.nn.init: fan_in = batch * width, fan_out = width -> std = sqrt(2 / ((batch+1)*width))
    for batch, s in folk.items():
        assert s == pytest.approx(math.sqrt(2 / ((batch + 1) * width)), rel=0.15)
    assert folk[1] / folk[512] > 10
    rnn = nn.GRU(3, width)
    ours = {
        b: initial_state(rnn, "xavier_uniform", b, generator=_gen(b)).std().item()
        for b in (1, 32, 512)
    }
    assert max(ours.values()) / min(ours.values()) < 1.25
    assert ours[512] == pytest.approx(1 / math.sqrt(width), rel=0.05)


@pytest.mark.parametrize("kind", ["uniform", "normal", "xavier_uniform", "xavier_normal"])
def test_random_kinds_are_deterministic_with_a_generator(kind: str) -> None:
    rnn = nn.LSTM(3, 8, num_layers=2)
    a = initial_state(rnn, kind, 4, generator=_gen(7))
    b = initial_state(rnn, kind, 4, generator=_gen(7))
    c = initial_state(rnn, kind, 4, generator=_gen(8))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[0], c[0])
    assert not torch.equal(a[0], a[1][:, :, :8])  # h and c are separate draws


@pytest.mark.parametrize(
    ("kind", "params", "mean"),
    [
        ("uniform", {}, 0.0),
        ("uniform", {"low": 0.0, "high": 1.0}, 0.5),
        ("normal", {"mean": -0.2}, -0.2),
        ("xavier_uniform", {}, 0.0),
        ("xavier_normal", {"gain": 3.0}, 0.0),
    ],
)
def test_eval_mode_gives_the_mean_unless_eval_random(
    kind: str, params: dict[str, float], mean: float
) -> None:
    rnn = nn.GRU(3, 8).eval()
    h = initial_state(rnn, (kind, params), 4)
    assert torch.allclose(h, torch.full_like(h, mean))
    h = initial_state(rnn, (kind, params), 4, eval_random=True, generator=_gen(0))
    assert h.std() > 0
    state = InitialState(rnn, (kind, params)).eval()
    assert torch.allclose(state(4), torch.full((1, 4, 8), mean))
    state.train()
    assert state(4).std() > 0


def test_unknown_kind_suggests_the_nearest() -> None:
    rnn = nn.GRU(3, 8)
    with pytest.raises(UnknownNameError, match="Did you mean 'xavier_normal'"):
        initial_state(rnn, "xavier_norml", 2)
    with pytest.raises(UnknownNameError, match="Did you mean 'learned_noisy'"):
        InitialState(rnn, "learned_nosy")


@pytest.mark.parametrize(
    ("kind", "params", "fragment"),
    [
        ("normal", {"sdt": 0.1}, "Did you mean 'std'"),
        ("zeros", {"value": 1.0}, "its parameters: none"),
        ("constant", {}, "needs 'value'"),
        ("constant", {"value": "one"}, "must be a number"),
        ("uniform", {"scale": 1.0}, "takes no parameter 'scale'"),
        ("uniform", {"low": 1.0, "high": 0.0}, "low <= high"),
        ("uniform", {"low": float("inf")}, "finite"),
        ("normal", {"std": -1.0}, "std >= 0"),
        ("normal", {"std": float("nan")}, "finite"),
        ("xavier_uniform", {"gain": True}, "must be a number"),
        ("xavier_normal", {"std": 1.0}, "its parameters: gain"),
    ],
)
def test_wrong_parameters_are_clear_errors(
    kind: str, params: dict[str, object], fragment: str
) -> None:
    rnn = nn.GRU(3, 8)
    with pytest.raises(InitializerError, match=fragment):
        initial_state(rnn, (kind, params), 2)
    with pytest.raises(InitializerError, match=fragment):
        InitialState(rnn, (kind, params))


@pytest.mark.parametrize(
    ("kind", "params", "fragment"),
    [
        ("learned_noisy", {"noise_std": -0.1}, "noise_std >= 0"),
        ("conditional", {}, "needs 'context_size'"),
        ("conditional", {"context_size": 0}, "positive int"),
        ("learned", {"noise_std": 0.1}, "takes no parameter 'noise_std'"),
    ],
)
def test_wrong_parameters_of_module_kinds(
    kind: str, params: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InitializerError, match=fragment):
        InitialState(nn.LSTM(3, 8), (kind, params))


def test_bad_activation_is_an_unknown_name() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'tanh'"):
        InitialState(nn.LSTM(3, 8), ("conditional", {"context_size": 4, "activation": "tan"}))


@pytest.mark.parametrize("kind", ["learned", "learned_noisy", "conditional"])
def test_functional_points_module_kinds_to_initial_state(kind: str) -> None:
    with pytest.raises(InitializerError, match="InitialState"):
        initial_state(nn.GRU(3, 8), kind, 2)


def test_generator_type_is_checked() -> None:
    with pytest.raises(TypeError, match="generator"):
        initial_state(nn.GRU(3, 8), "normal", 2, generator=0)  # type: ignore[arg-type]
