"""The exact contract of ``attach_initial_state`` / ``remove_initial_state``: hooks, refusals,
messages word for word.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from states_contract_support import IN, H, N, P, T, _gen, _z
from torch import nn

from rnninit.errors import InitializerError, NoRecurrentModuleError
from rnninit.states import (
    InitialState,
    attach_initial_state,
    remove_initial_state,
)

# --- attach_initial_state / remove_initial_state ---------------------------------------------


def _hooks(m: nn.Module) -> tuple[list[int], list[int], list[int]]:
    return (
        list(m._forward_pre_hooks),
        list(m._forward_pre_hooks_with_kwargs),
        list(m._load_state_dict_pre_hooks),
    )


def test_remove_keeps_the_users_own_hooks_and_leaves_none_of_its_own() -> None:
    calls: list[str] = []
    gru = nn.GRU(IN, H)
    gru.register_forward_pre_hook(lambda m, args: calls.append("forward"))
    gru.register_load_state_dict_pre_hook(lambda *a: calls.append("load"))  # type: ignore[no-untyped-call]
    before = _hooks(gru)
    with pytest.raises(InitializerError) as err:
        remove_initial_state(gru)  # the user's hook is not an attached state
    assert str(err.value) == (
        "rnn= (GRU) has no initial state attached by rnninit.states.attach_initial_state; "
        "nothing to remove"
    )
    attach_initial_state(gru, "learned")
    with torch.no_grad():
        gru.initial_state.h0.fill_(0.5)
    x = torch.randn(T, N, IN)
    assert torch.equal(gru(x)[0], gru(x, torch.full((1, N, H), 0.5))[0])
    assert calls == ["forward", "forward"]
    remove_initial_state(gru)
    assert _hooks(gru) == before
    gru.load_state_dict(nn.GRU(IN, H).state_dict())
    assert calls == ["forward", "forward", "load"]
    assert torch.equal(gru(x)[0], gru(x, _z(1, N, H))[0])  # zeros again, the user's hook runs
    assert calls[-2:] == ["forward", "forward"]


def test_an_extra_positional_argument_is_refused_as_by_the_plain_module() -> None:
    plain = nn.GRU(IN, H)
    hooked = attach_initial_state(nn.GRU(IN, H), "learned")
    x = torch.randn(T, N, IN)
    with pytest.raises(TypeError) as expected:
        plain(x, None, 3)
    with pytest.raises(TypeError) as err:
        hooked(x, None, 3)
    assert str(err.value) == str(expected.value)


ALREADY = (
    "{cls} already has an attribute 'initial_state' (an initial state is attached); "
    "call rnninit.states.remove_initial_state(rnn) first"
)


def test_an_attribute_named_initial_state_is_never_overwritten() -> None:
    lstm = nn.LSTM(IN, H)
    lstm.initial_state = torch.ones(1)  # a plain attribute, not a submodule
    with pytest.raises(InitializerError) as err:
        attach_initial_state(lstm, "learned")
    assert str(err.value) == ALREADY.format(cls="LSTM")
    assert torch.equal(lstm.initial_state, torch.ones(1)) and _hooks(lstm) == ([], [], [])
    attach_initial_state(gru := nn.GRU(IN, H), "zeros")
    with pytest.raises(InitializerError) as err:
        attach_initial_state(gru, "zeros")
    assert str(err.value) == ALREADY.format(cls="GRU")


def test_a_state_deleted_by_hand_still_counts_as_attached_until_removed() -> None:
    gru = attach_initial_state(nn.GRU(IN, H), "learned")
    with torch.no_grad():
        gru.initial_state.h0.fill_(0.5)
    del gru.initial_state  # the hooks stay
    x = torch.randn(T, N, IN)
    assert torch.equal(gru(x)[0], gru(x, _z(1, N, H))[0])  # no state: PyTorch's zeros
    with pytest.raises(InitializerError) as err:
        attach_initial_state(gru, "learned")
    assert str(err.value) == ALREADY.format(cls="GRU")
    remove_initial_state(gru)
    assert _hooks(gru) == ([], [], [])
    attach_initial_state(gru, "learned")


CONDITIONAL = (
    "init={init}: a conditional state needs a context, which {cls}.forward(input, hx) cannot "
    "take; use rnninit.Recurrent(rnn, ...) and call it with context="
)


@pytest.mark.parametrize(
    "init",
    [
        "conditional",
        ("conditional", {}),  # refused by its name, before its parameters are checked
        ["conditional", {"context_size": P}],
        {"name": "conditional"},
    ],
    ids=["name", "tuple", "list", "dict"],
)
def test_a_conditional_init_is_refused_by_its_name_in_any_spelling(init: Any) -> None:
    lstm = nn.LSTMCell(IN, H)
    with pytest.raises(InitializerError) as err:
        attach_initial_state(lstm, init)
    assert str(err.value) == CONDITIONAL.format(init=repr(init), cls="LSTMCell")
    assert _hooks(lstm) == ([], [], []) and "initial_state" not in lstm._modules


def test_a_conditional_initial_state_module_is_refused_with_its_repr() -> None:
    gru = nn.GRU(IN, H)
    state = InitialState(gru, ("conditional", {"context_size": P}))
    with pytest.raises(InitializerError) as err:
        attach_initial_state(gru, state)
    assert str(err.value) == CONDITIONAL.format(init=repr(state), cls="GRU")
    assert str(err.value).startswith("init=InitialState(\n  nn.GRU(hidden_size=6")


def test_an_initial_state_module_takes_no_generator_word_for_word() -> None:
    gru = nn.GRU(IN, H)
    with pytest.raises(TypeError) as err:
        attach_initial_state(gru, InitialState(gru, "normal"), generator=_gen(0))
    assert str(err.value) == (
        "init= is an InitialState: give the generator to it, not to attach_initial_state"
    )


VALID = "nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell or nn.GRUCell"


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: nn.Linear(IN, H), f"rnn= must be {VALID}, got Linear"),
        (lambda: "lstm", f"rnn= must be {VALID}, got str"),
        (
            lambda: nn.ModuleDict({"enc": nn.LSTM(IN, H), "dec": nn.GRUCell(H, H)}),
            f"rnn= must be {VALID}, got ModuleDict; attach to the recurrent module itself, "
            "one of: 'enc', 'dec' (e.g. rnn=model.get_submodule('enc'))",
        ),
    ],
    ids=["linear", "string", "container"],
)
@pytest.mark.parametrize("fn", [attach_initial_state, remove_initial_state])
def test_a_non_recurrent_module_is_refused_word_for_word(
    fn: Callable[[Any], Any], factory: Callable[[], Any], message: str
) -> None:
    with pytest.raises(NoRecurrentModuleError) as err:
        fn(factory())
    assert str(err.value) == message
