"""Initial states share the weights' initializer vocabulary: one registry, one meaning per name,
one ``init`` keyword."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator

import pytest
import torch
from scipy import stats
from torch import nn

import rnninit
from rnninit.errors import InitializerError, UnknownNameError
from rnninit.initializers import INITIALIZERS
from rnninit.initializers._registry import _REGISTERED
from rnninit.states import STATE_KINDS, InitialState, Recurrent, initial_state


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    before = dict(INITIALIZERS)
    yield
    _REGISTERED.clear()  # the registry behind the read-only INITIALIZERS
    _REGISTERED.update(before)


def test_init_is_the_second_positional_parameter_everywhere() -> None:
    for fn in (initial_state, InitialState.__init__, Recurrent.__init__):
        params = [p for p in inspect.signature(fn).parameters if p != "self"]
        assert params[1] == "init", fn
        assert not {"kind", "initial_state", "params", "kind_params"} & set(params), fn
        assert not any(
            p.kind is inspect.Parameter.VAR_KEYWORD
            for p in inspect.signature(fn).parameters.values()
        )


def test_parameter_free_state_kinds_are_registry_entries() -> None:
    for name in STATE_KINDS[:-3]:
        assert INITIALIZERS[name].for_states, name
    assert STATE_KINDS[-3:] == ("learned", "learned_noisy", "conditional")


@pytest.mark.parametrize("name", ["uniform", "normal"])
def test_one_meaning_weights_and_states_draw_the_same_distribution(name: str) -> None:
    # a weight block and a state tensor, same name, no parameters: same law
    gru = nn.GRU(3, 256)
    rnninit.init_(gru, None, bias=name, generator=torch.Generator().manual_seed(0))
    weights = gru.bias_ih_l0.detach().numpy()  # 768 draws of the default law
    state = initial_state(gru, name, 64, generator=torch.Generator().manual_seed(1))
    assert stats.ks_2samp(weights, state.flatten().numpy()).pvalue > 1e-3
    law = ("uniform", (-0.5, 1.0)) if name == "uniform" else ("norm", (0.0, 0.1))
    assert stats.kstest(state.flatten().numpy(), law[0], args=law[1]).pvalue > 1e-3


def test_a_registered_state_initializer_and_a_callable_work_as_init() -> None:
    def halves_(t: torch.Tensor) -> torch.Tensor:
        return t.fill_(0.5)

    rnninit.initializers.register("halves", halves_, random=False, for_states=True)
    h, c = initial_state(nn.LSTM(3, 4), "halves", 2)
    assert torch.all(h == 0.5) and torch.all(c == 0.5)
    h = initial_state(nn.GRU(3, 4), lambda t: t.fill_(-1.0), 2)
    assert h.shape == (1, 2, 4) and torch.all(h == -1.0)
    h = InitialState(nn.GRU(3, 4), {"name": "normal", "std": 0.0, "mean": 0.25})(3)
    assert torch.all(h == 0.25)


def test_weight_only_names_are_not_state_inits() -> None:
    with pytest.raises(UnknownNameError, match="init='orthogonal'"):
        initial_state(nn.GRU(3, 4), "orthogonal", 2)
    with pytest.raises(UnknownNameError, match="Did you mean 'xavier_uniform'"):
        InitialState(nn.GRU(3, 4), "xavier_unifrom")


def test_xavier_for_states_uses_the_width_as_both_fans() -> None:
    # context fans=(W, W): bound gain * sqrt(6 / 2W) = sqrt(3 / W); folk fans would be (N W, W)
    rnn = nn.GRU(3, 48)
    h = initial_state(rnn, ("xavier_uniform", {"gain": 1.5}), 400, generator=torch.Generator())
    bound = 1.5 * math.sqrt(3 / 48)
    assert stats.kstest(h.flatten().numpy(), "uniform", args=(-bound, 2 * bound)).pvalue > 1e-3


def test_eval_value_is_registry_data() -> None:
    def exp_(t: torch.Tensor, rate: float = 2.0, *, generator: torch.Generator | None = None):
        return t.exponential_(rate, generator=generator)

    rnninit.initializers.register(
        "exponential", exp_, {"rate": 2.0}, for_states=True, eval_value=lambda p: 1 / p["rate"]
    )
    rnn = nn.GRU(3, 4).eval()
    h = initial_state(rnn, ("exponential", {"rate": 4.0}), 2)
    assert torch.all(h == 0.25)  # the mean, from the entry's data
    h = initial_state(rnn, "exponential", 2, eval_random=True, generator=torch.Generator())
    assert h.std() > 0 and h.min() > 0
    assert INITIALIZERS["uniform"].eval_value({"low": 0.0, "high": 3.0}) == 1.5  # type: ignore[misc]


def test_state_params_are_checked_at_construction() -> None:
    with pytest.raises(InitializerError, match="low <= high"):
        InitialState(nn.GRU(3, 4), ("uniform", {"low": 1.0, "high": 0.0}))
