"""Derived gates as recipe data (``Recipe.tied``): chrono's ``b_i = -b_f``, checked on raw rows."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import SchemeError, UnknownNameError
from rnninit.initializers import INITIALIZERS


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(("hidden", "layers", "bidir"), [(5, 1, False), (7, 2, True)])
def test_chrono_input_bias_is_minus_the_forget_bias_on_raw_rows(
    hidden: int, layers: int, bidir: bool
) -> None:
    lstm = nn.LSTM(3, hidden, num_layers=layers, bidirectional=bidir)
    rnninit.init_(lstm, "chrono", max_timescale=60, generator=_gen())
    h = hidden
    for name in [n for n, _ in lstm.named_parameters() if n.startswith("bias_ih")]:
        b_ih, b_hh = getattr(lstm, name).detach(), getattr(lstm, name.replace("ih", "hh")).detach()
        i = b_ih[0:h] + b_hh[0:h]
        f = b_ih[h : 2 * h] + b_hh[h : 2 * h]
        assert torch.equal(i, -f), name
        assert torch.all(f >= 0) and torch.all(f <= torch.log(torch.tensor(59.0)))
        assert f.std() > 0  # drawn, not constant
        assert not b_hh[0:h].any()  # b_hh[i] zeroed: the tie is on the effective bias


def test_tie_is_data_not_a_sentinel_initializer() -> None:
    assert "negative_of" not in INITIALIZERS
    r = rnninit.recipe("chrono", max_timescale=30)
    assert r.tied == {"i": {"bias": "-f"}}
    assert "i" not in r.gates
    assert json.loads(json.dumps(r.to_dict()))["tied"] == {"i": {"bias": "-f"}}


def test_a_positive_tie_and_a_custom_recipe_apply_generically() -> None:
    r = rnninit.schemes.Recipe(
        "mine",
        bias=rnninit.initializers.Init("zeros"),
        gates={"r": {"bias": rnninit.initializers.Init("constant", {"value": 0.7})}},
        tied={"z": {"bias": "r"}},
        families=("GRU",),
    )
    gru = rnninit.init_(nn.GRU(3, 4), r)
    eff = gru.bias_ih_l0.detach() + gru.bias_hh_l0.detach()
    assert torch.allclose(eff[4:8], torch.full((4,), 0.7))  # z (rows H:2H) = +r
    assert torch.allclose(eff[0:4], torch.full((4,), 0.7))


def test_a_gate_override_replaces_the_tie() -> None:
    lstm = rnninit.init_(
        nn.LSTM(3, 4), "chrono", max_timescale=30, gates={"i": {"bias": 0.5}}, generator=_gen()
    )
    eff = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
    assert torch.allclose(eff[0:4], torch.full((4,), 0.5))
    assert rnninit.recipe("chrono", max_timescale=30, gates={"i": {"bias": 0.5}}).tied == {}


@pytest.mark.parametrize(
    ("tied", "error", "fragment"),
    [
        ({"f": {"bias": "-f"}}, SchemeError, "derived from itself"),
        ({"i": {"bias": "-z"}}, SchemeError, "not of one family"),
        ({"i": {"bias": "-q"}}, UnknownNameError, "source gate"),
        ({"x": {"bias": "-f"}}, UnknownNameError, "tied"),
        ({"i": {"recurrent": "-f"}}, UnknownNameError, "bias"),
        ({"i": {"bias": 3}}, SchemeError, "gate name"),
        ({"n": {"bias": "-r"}}, SchemeError, "cannot be tied"),
        ({"i": {"bias": "-f"}, "f": {"bias": "o"}}, SchemeError, "itself derived"),
    ],
)
def test_bad_ties_are_typed_errors(tied: object, error: type[Exception], fragment: str) -> None:
    data = {"name": "bad", "bias": "zeros", "tied": tied}
    with pytest.raises(error, match=fragment):
        rnninit.schemes.Recipe.from_dict(data)


def test_a_tie_and_a_gate_override_of_the_same_bias_conflict() -> None:
    with pytest.raises(SchemeError, match="both set"):
        rnninit.schemes.Recipe.from_dict(
            {"name": "bad", "gates": {"i": {"bias": 1.0}}, "tied": {"i": {"bias": "-f"}}}
        )
