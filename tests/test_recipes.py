"""Recipes as data: serialization round trips, overrides, validation; property-based coverage
of module configurations."""

from __future__ import annotations

import dataclasses
import json
import warnings

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from torch import nn

import rnninit
from rnninit.errors import SchemeError, UnknownNameError
from rnninit.initializers import Init

_PARAMS = {"chrono": {"max_timescale": 40}}


def _json(r: rnninit.schemes.Recipe) -> rnninit.schemes.Recipe:
    return rnninit.schemes.Recipe.from_dict(json.loads(json.dumps(r.to_dict())))


@pytest.mark.parametrize("name", rnninit.schemes.SCHEMES)
def test_round_trip_through_json(name: str) -> None:
    r = rnninit.recipe(name, **_PARAMS.get(name, {}))
    back = _json(r)
    for f in dataclasses.fields(r):  # field by field, so a dropped field names itself
        assert getattr(back, f.name) == getattr(r, f.name), f.name


def _every_field_recipe() -> rnninit.schemes.Recipe:
    """A recipe where every field differs from its default (per-layer AND per-gate choices)."""
    r = rnninit.recipe(
        "chrono",
        max_timescale=50,
        input=("normal", {"std": 0.3}),
        projection="orthogonal",
        bias_hn=0.25,
        gates={"o": {"recurrent": ("orthogonal", {"gain": 0.5}), "bias_hh": -0.5}},
        layers={1: {"recurrent": "identity", "input": ("uniform", {"low": -0.1, "high": 0.2})}},
        whole=("projection",),
    )
    r = dataclasses.replace(
        r, bias_ih=Init("zeros"), bias_hh=Init("constant", {"value": 0.1}), source="test"
    )
    for f in dataclasses.fields(r):  # the recipe really exercises every field
        if f.name in ("families", "designed_for"):
            assert getattr(r, f.name) != ("LSTM", "GRU", "RNN"), f.name
        elif f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            assert getattr(r, f.name) != default, f.name
    return r


def test_every_field_round_trips_through_json() -> None:
    r = _every_field_recipe()
    back = _json(r)
    for f in dataclasses.fields(r):
        assert getattr(back, f.name) == getattr(r, f.name), f.name
    assert back == r


def test_json_round_trip_initializes_every_parameter_identically() -> None:
    r = _every_field_recipe()
    back = _json(r)
    a, b = nn.LSTM(3, 6, num_layers=2), nn.LSTM(3, 6, num_layers=2)
    rnninit.init_(a, r, generator=torch.Generator().manual_seed(5))
    rnninit.init_(b, back, generator=torch.Generator().manual_seed(5))
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
    h = 6  # the choices really arrived, on raw rows (LSTM rows i, f, g, o)
    w1 = b.weight_hh_l1.detach()
    for rows in (slice(0, h), slice(h, 2 * h), slice(2 * h, 3 * h)):  # layers=: identity
        assert torch.equal(w1[rows], torch.eye(h))
    o = w1[3 * h : 4 * h]  # gates= beats layers=: orthogonal with gain 0.5
    assert torch.allclose(o @ o.T, 0.25 * torch.eye(h), atol=1e-5)
    x1 = b.weight_ih_l1.detach()
    assert x1.min() >= -0.1 and x1.max() <= 0.2 and not torch.equal(x1, a.weight_ih_l0)
    assert torch.all(b.bias_hh_l0.detach()[3 * h :] == -0.5)  # raw bias_hh of gate o
    bi = b.bias_ih_l0.detach() + b.bias_hh_l0.detach()
    assert torch.equal(bi[0:h], -bi[h : 2 * h])  # tied: b_i = -b_f


def test_recipe_from_dict_initializes_like_the_named_scheme() -> None:
    data = json.loads(json.dumps(rnninit.recipe("chrono", max_timescale=30).to_dict()))
    a, b = nn.LSTM(3, 16), nn.LSTM(3, 16)
    rnninit.init_(a, "chrono", max_timescale=30, generator=torch.Generator().manual_seed(1))
    rnninit.init_(b, data, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_overrides_are_recorded_in_the_data() -> None:
    r = rnninit.recipe("keras", recurrent=("orthogonal", {"gain": 0.5}), forget_bias=2.0)
    d = r.to_dict()
    assert d["recurrent"] == {"name": "orthogonal", "gain": 0.5}
    assert "recurrent" not in d["whole"]  # an override applies per gate block
    assert d["gates"]["f"]["bias"] == {"name": "constant", "value": 2.0}
    assert d["gates"]["z"]["bias"] == {"name": "constant", "value": 2.0}


def test_callables_cannot_be_serialized_but_registered_names_can() -> None:
    def half(t: torch.Tensor) -> None:
        t.fill_(0.5)

    r = rnninit.recipe("orthogonal", bias=half)
    with pytest.raises(TypeError, match="register"):
        r.to_dict()
    rnninit.initializers.register("test_half", lambda t, generator=None: t.fill_(0.5), random=False)
    r = rnninit.recipe("orthogonal", bias="test_half")
    assert rnninit.schemes.Recipe.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_bad_recipe_dicts() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'recurrent'"):
        rnninit.schemes.Recipe.from_dict({"name": "x", "recurent": "orthogonal"})
    with pytest.raises(UnknownNameError, match="whole"):
        rnninit.schemes.Recipe.from_dict({"name": "x", "input": "zeros", "whole": ["inputs"]})
    with pytest.raises(SchemeError, match="does not set"):
        rnninit.schemes.Recipe.from_dict({"name": "x", "whole": ["input"]})
    with pytest.raises(SchemeError):
        rnninit.schemes.Recipe.from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="'normal'"):
        rnninit.schemes.Recipe.from_dict({"name": "x", "input": {"name": "nromal", "std": 1}})


# --- property-based: every configuration, every applicable scheme -------------------------

configs = st.fixed_dictionaries(
    {
        "family": st.sampled_from(["LSTM", "GRU", "RNN_tanh", "RNN_relu"]),
        "cell": st.booleans(),
        "input_size": st.integers(1, 6),
        "hidden_size": st.integers(2, 7),
        "num_layers": st.integers(1, 3),
        "bidirectional": st.booleans(),
        "proj": st.integers(0, 3),
        "bias": st.booleans(),
        "batch_first": st.booleans(),
        "scheme": st.sampled_from(rnninit.schemes.SCHEMES),
        "seed": st.integers(0, 2**16),
    }
)


def _build(c: dict) -> nn.Module:
    fam, h = c["family"], c["hidden_size"]
    if c["cell"]:
        if fam == "LSTM":
            return nn.LSTMCell(c["input_size"], h, bias=c["bias"])
        if fam == "GRU":
            return nn.GRUCell(c["input_size"], h, bias=c["bias"])
        return nn.RNNCell(c["input_size"], h, bias=c["bias"], nonlinearity=fam[4:])
    kw = dict(
        num_layers=c["num_layers"],
        bidirectional=c["bidirectional"],
        bias=c["bias"],
        batch_first=c["batch_first"],
    )
    if fam == "LSTM":
        proj = min(c["proj"], h - 1)
        return nn.LSTM(c["input_size"], h, proj_size=proj, **kw)
    if fam == "GRU":
        return nn.GRU(c["input_size"], h, **kw)
    return nn.RNN(c["input_size"], h, nonlinearity=fam[4:], **kw)


_BASE = {
    "family": "LSTM", "cell": False, "input_size": 3, "hidden_size": 5, "num_layers": 2,
    "bidirectional": True, "proj": 2, "bias": True, "batch_first": True, "scheme": "chrono",
    "seed": 1,
}  # fmt: skip


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(configs)
@example(_BASE)
@example({**_BASE, "family": "RNN_relu", "scheme": "irnn", "input_size": 5, "proj": 0})
@example({**_BASE, "family": "GRU", "cell": True, "scheme": "keras", "bias": False})
@example({**_BASE, "family": "RNN_tanh", "scheme": "uniform_gate"})  # refused: no keep gate
def test_every_configuration(c: dict) -> None:
    mod = _build(c)
    params_before = {n: (p, p.data_ptr(), p.shape) for n, p in mod.named_parameters()}
    snap = [p.detach().clone() for p in mod.parameters()]
    kw = _PARAMS.get(c["scheme"], {})
    if c["scheme"] == "keep":
        kw = {"recurrent": "orthogonal"}
    g = torch.Generator().manual_seed(c["seed"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rnninit.errors.SchemeWarning)
            rnninit.init_(mod, c["scheme"], generator=g, **kw)
    except rnninit.RnnInitError:
        # refused: must be for a reason we can name, and must leave the module untouched
        lay = rnninit.layouts.layout_of(mod)
        square = lay.input_size == lay.hidden_size and lay.proj_size == 0
        assert (c["scheme"] in ("chrono", "uniform_gate") and lay.family == "RNN") or (
            c["scheme"] == "irnn" and not square
        ), c
        assert all(torch.equal(p, s) for p, s in zip(mod.parameters(), snap, strict=True))
        return
    for n, p in mod.named_parameters():
        assert p is params_before[n][0] and p.data_ptr() == params_before[n][1]
        assert torch.isfinite(p).all()
    lay = rnninit.layouts.layout_of(mod)
    # the forward pass runs with the module's own shapes
    x = torch.randn(2, 3, lay.input_size)
    out = mod(x[0]) if lay.is_cell else mod(x)
    first = out[0] if isinstance(out, tuple) else out
    assert torch.isfinite(first).all()
    # effective forget bias of 1 wherever a scheme promises it
    if lay.bias and lay.family == "LSTM" and c["scheme"] in ("keras", "orthogonal", "sonnet"):
        for b in rnninit.gates(mod):
            if b.kind == "bias_hh" and b.gate == "f":
                assert torch.all(b.tensor == 0)
            if b.kind == "bias_ih" and b.gate == "f":
                assert torch.all(b.tensor == 1)


_KINDS = st.sampled_from(
    [None, "orthogonal", "xavier_uniform", ("normal", {"std": 0.2}), 0.25, "zeros"]
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    recurrent=_KINDS,
    gate=st.sampled_from(["i", "f", "g", "o"]),
    layer=st.integers(0, 1),
    layer_bias=st.sampled_from([None, 0.5, ("uniform", {"low": -0.1, "high": 0.1})]),
    tied=st.booleans(),
)
@example(recurrent="orthogonal", gate="o", layer=1, layer_bias=0.5, tied=True)
@example(recurrent=None, gate="f", layer=0, layer_bias=None, tied=False)
def test_json_round_trip_property(
    recurrent: object, gate: str, layer: int, layer_bias: object, tied: bool
) -> None:
    layers = {layer: {"bias": layer_bias}} if layer_bias is not None else None
    overrides = {"recurrent": recurrent, "gates": {gate: {"recurrent": "orthogonal"}}}
    r = rnninit.recipe("chrono" if tied else "orthogonal", layers=layers, **overrides, **(
        {"max_timescale": 20} if tied else {}
    ))  # fmt: skip
    back = _json(r)
    for f in dataclasses.fields(r):
        assert getattr(back, f.name) == getattr(r, f.name), f.name
    a, b = nn.LSTM(3, 4, num_layers=2), nn.LSTM(3, 4, num_layers=2)
    rnninit.init_(a, r, generator=torch.Generator().manual_seed(2))
    rnninit.init_(b, back, generator=torch.Generator().manual_seed(2))
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
