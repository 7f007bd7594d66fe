"""The override keywords are defined once (``rnninit.schemes._overrides.Overrides``) and used
everywhere."""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn

import rnninit
from rnninit import schemes
from rnninit.errors import SchemeError, UnknownNameError
from rnninit.facade import init_
from rnninit.schemes import Recipe, _builtin
from rnninit.schemes._apply import apply_recipe
from rnninit.schemes._overrides import OVERRIDE_KEYS, Explicit, Overrides, split_overrides


def test_one_definition_types_every_entry_point() -> None:
    assert OVERRIDE_KEYS == (
        "input", "recurrent", "projection", "bias", "bias_hn", "gates", "forget_bias", "whole",
        "layers",
    )  # fmt: skip
    # no entry point spells the keywords out again: they arrive through **overrides
    for fn in (init_, Recipe.with_overrides, schemes.recipe):
        params = inspect.signature(fn).parameters
        assert not set(OVERRIDE_KEYS) & set(params), fn.__qualname__
        assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    assert not {"explicit_gates", "explicit_bias", "explicit_keep_bias"} & set(
        inspect.signature(apply_recipe).parameters
    )
    assert set(schemes.InitKwargs.__annotations__) >= set(Overrides.__annotations__)


def test_scheme_params_typing_covers_every_factory() -> None:
    declared = set(schemes.SchemeParams.__annotations__)
    assert {p for ps in _builtin._PARAMS.values() for p in ps} == declared


@pytest.mark.parametrize("key", OVERRIDE_KEYS)
def test_every_override_keyword_is_accepted_by_init(key: str) -> None:
    values = {
        "input": "xavier_uniform", "recurrent": "orthogonal", "projection": "orthogonal",
        "bias": 0.0, "bias_hn": 0.0, "gates": {"f": {"bias": 1.0}}, "forget_bias": 1.0,
        "whole": ("recurrent",), "layers": {0: {"recurrent": "orthogonal"}},
    }  # fmt: skip
    kwargs = {key: values[key]}
    if key == "whole":
        kwargs["recurrent"] = "orthogonal"
    lstm = nn.LSTM(3, 4, proj_size=2 if key == "projection" else 0)
    init_(lstm, "keep", **kwargs)  # type: ignore[arg-type]


def test_unknown_keyword_names_the_nearest() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'forget_bias'"):
        init_(nn.LSTM(3, 4), "orthogonal", forget_bais=1.0)  # type: ignore[call-arg]
    with pytest.raises(UnknownNameError, match="Did you mean 'recurrent'"):
        Recipe("r").with_overrides(recurent="orthogonal")  # type: ignore[call-arg]


def test_split_and_explicit_facts() -> None:
    given, rest = split_overrides({"bias": None, "layers": {1: {"bias_hh": 0.0}}, "std": 1.0})
    assert given == {"layers": {1: {"bias_hh": 0.0}}} and rest == {"std": 1.0}
    assert Explicit.of(given) == Explicit((), True, False, (1,))
    assert Explicit.of({"recurrent": "orthogonal"}) == Explicit()
    assert Explicit.of({"gates": {"z": {"recurrent": "orthogonal"}}}).gates == ("z",)


def test_explicit_facts_are_checked_against_the_layers() -> None:
    rnn = nn.RNN(3, 4)
    before = [p.clone() for p in rnn.parameters()]
    with pytest.raises(SchemeError, match="forget_bias"):
        init_(rnn, "orthogonal", forget_bias=1.0)
    with pytest.raises(SchemeError, match="gate 'f'"):
        init_(rnn, "orthogonal", gates={"f": {"recurrent": "orthogonal"}})
    with pytest.raises(SchemeError, match="bias=False"):
        init_(nn.GRU(3, 4, bias=False), "orthogonal", layers={0: {"bias": 1.0}})
    assert all(torch.equal(p, q) for p, q in zip(rnn.parameters(), before, strict=True))
    assert rnninit.init_ is init_
