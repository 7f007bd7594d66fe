"""Bad input to ``init_`` (issue 23, item 4, the core): a typed error naming the argument, and the
model bit-identical afterwards.

* every number that would end up in a parameter is checked finite where values are drawn,
  whatever keyword (or initializer) produced it;
* arguments of the wrong type are :class:`~rnninit.errors.ArgumentTypeError` (a ``TypeError``);
* a ``layers=`` index that no selected layer has is an error, not ignored.

The model is a 2-layer LSTM (H = 5) with a GRU beside it, so a layer index, a gate name or a
write into the wrong module shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import (
    ArgumentTypeError,
    CalibrationError,
    NonFiniteError,
    RnnInitError,
    UnknownNameError,
)

NAN, INF = math.nan, math.inf


class _Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 5, num_layers=2)
        self.gru = nn.GRU(5, 4)


def _snapshot(model: nn.Module) -> list[tuple[str, nn.Parameter, torch.Tensor]]:
    return [(n, p, p.detach().clone()) for n, p in model.named_parameters()]


def _assert_unchanged(model: nn.Module, snap: list[tuple[str, nn.Parameter, torch.Tensor]]) -> None:
    now = dict(model.named_parameters())
    assert list(now) == [n for n, _, _ in snap]
    for name, param, saved in snap:
        assert now[name] is param, name  # the same Parameter object
        assert torch.equal(param, saved), name  # bit for bit


def _nan_fill_(t: torch.Tensor) -> torch.Tensor:
    return t.fill_(NAN)


# (id, scheme, keywords, error type, the argument the message must name)
_CASES: list[tuple[str, str | None, dict[str, object], type[RnnInitError], str]] = [
    ("forget_bias=nan", "orthogonal", {"forget_bias": NAN}, NonFiniteError, "forget_bias="),
    ("bias=inf", "orthogonal", {"bias": INF}, NonFiniteError, "bias="),
    ("bias=-inf, no scheme", None, {"bias": -INF}, NonFiniteError, "bias="),
    (
        "gates f bias nan",
        "keras",
        {"gates": {"f": {"bias": NAN}}},
        NonFiniteError,
        "gates['f']['bias']=",
    ),
    ("bias_hn=nan", "orthogonal", {"bias_hn": NAN}, NonFiniteError, "bias_hn="),
    (
        "layers 1 recurrent inf",
        "orthogonal",
        {"layers": {1: {"recurrent": INF}}},
        NonFiniteError,
        "layers[1]['recurrent']=",
    ),
    (
        "an initializer that draws NaN",
        "orthogonal",
        {"recurrent": _nan_fill_},
        NonFiniteError,
        "recurrent=",
    ),
    (
        "chrono, forget_bias=nan",
        "chrono",
        {"max_timescale": 50, "forget_bias": NAN},
        NonFiniteError,
        "forget_bias=",
    ),
    (
        "auto, forget_bias=nan",
        "auto",
        {"horizon": 40, "forget_bias": NAN},
        NonFiniteError,
        "forget_bias=",
    ),
    ("generator=5", "orthogonal", {"generator": 5}, ArgumentTypeError, "generator=5"),
    (
        "auto, generator=5",
        "auto",
        {"horizon": 40, "generator": 5},
        ArgumentTypeError,
        "generator=5",
    ),
    ("include=5", "orthogonal", {"include": 5}, ArgumentTypeError, "include=5"),
    ("exclude=[1]", "orthogonal", {"exclude": [1]}, ArgumentTypeError, "exclude=[1]"),
    ("auto, include=5", "auto", {"horizon": 40, "include": 5}, ArgumentTypeError, "include=5"),
    (
        "whole='recurrent'",
        "orthogonal",
        {"whole": "recurrent"},
        ArgumentTypeError,
        "whole='recurrent'",
    ),
    (
        "layers={5: ...}",
        "orthogonal",
        {"layers": {5: {"recurrent": "identity"}}},
        UnknownNameError,
        "layers=5",
    ),
    (
        "auto, layers={2: ...}",
        "auto",
        {"horizon": 40, "layers": {2: {"bias": 0.0}}},
        UnknownNameError,
        "layers=2",
    ),
]


@pytest.mark.parametrize(
    ("scheme", "kwargs", "error", "argument"), [c[1:] for c in _CASES], ids=[c[0] for c in _CASES]
)
def test_bad_input_is_a_typed_error_naming_the_argument_and_writes_nothing(
    scheme: str | None, kwargs: dict[str, object], error: type[RnnInitError], argument: str
) -> None:
    model = _Model()
    snap = _snapshot(model)
    with pytest.raises(error) as err:
        rnninit.init_(model, scheme, **kwargs)  # type: ignore[arg-type]
    assert type(err.value) is error
    assert argument in str(err.value)
    _assert_unchanged(model, snap)


def test_the_messages_name_the_value_the_target_and_the_valid_choices() -> None:
    model = _Model()
    with pytest.raises(NonFiniteError) as nan:
        rnninit.init_(model, "orthogonal", forget_bias=NAN)
    assert str(nan.value) == (
        "forget_bias=Init('constant', value=nan) would write NaN or inf into "
        "lstm.bias_ih_l0[gate f]; give finite values (nothing was written)"
    )
    with pytest.raises(UnknownNameError) as layer:
        rnninit.init_(model, "orthogonal", layers={5: {"recurrent": "identity"}})
    assert str(layer.value) == "layers=5 is not known; valid: 0, 1"
    with pytest.raises(ArgumentTypeError) as whole:
        rnninit.init_(model, "orthogonal", whole="recurrent")  # type: ignore[arg-type]
    assert str(whole.value) == (
        "whole='recurrent' (str) is not valid; expected a list of matrix kinds, e.g. "
        "whole=['recurrent'], from: input, recurrent, projection, bias_ih, bias_hh"
    )
    with pytest.raises(ArgumentTypeError) as module:
        rnninit.init_("lstm", "orthogonal")  # type: ignore[type-var]
    assert str(module.value) == "module='lstm' (str) is not valid; expected a torch.nn.Module"
    assert isinstance(module.value, TypeError)  # ``except TypeError`` keeps working


def test_a_non_module_is_refused_by_auto_init_too() -> None:
    with pytest.raises(ArgumentTypeError, match=r"^module='lstm' \(str\)"):
        rnninit.auto.auto_init_("lstm", horizon=40)  # type: ignore[type-var]


def test_model_apply_of_a_recipe_with_a_nan_bias_writes_nothing() -> None:
    model = _Model()
    snap = _snapshot(model)
    with pytest.raises(NonFiniteError, match=r"^forget_bias="):
        model.apply(rnninit.recipe("orthogonal", forget_bias=NAN))
    _assert_unchanged(model, snap)


def test_the_finiteness_check_looks_only_at_what_is_written() -> None:
    # a NaN already in rows the call does not write is the user's, not an error of this call
    lstm = nn.LSTM(3, 5)
    with torch.no_grad():
        lstm.weight_ih_l0[0, 0] = NAN
    rnninit.init_(lstm, None, forget_bias=1.0)
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0
    assert torch.equal(b[5:10], torch.ones(5))  # forget gate, rows H:2H
    assert math.isnan(float(lstm.weight_ih_l0[0, 0].detach()))


def test_a_tie_derived_from_a_non_finite_source_is_refused() -> None:
    # chrono derives b_i = -(b_ih[f] + b_hh[f]); a NaN there would reach b_i
    lstm = nn.LSTM(3, 5)
    with torch.no_grad():
        lstm.bias_hh_l0[5] = NAN  # forget gate row of b_hh, which the tie reads
    snap = [(p, p.detach().clone()) for p in lstm.parameters()]
    r = rnninit.schemes.Recipe("tie_only", tied={"i": {"bias": "-f"}}, families=("LSTM",))
    with pytest.raises(NonFiniteError) as err:
        rnninit.init_(lstm, r)
    assert str(err.value).startswith("tied bias i = -f would write NaN or inf into bias_ih_l0")
    for p, saved in snap:  # NaN-aware: the NaN the test put there is still there
        assert torch.equal(p.isnan(), saved.isnan())
        assert torch.equal(p.nan_to_num(), saved.nan_to_num())


def test_a_valid_layer_index_is_accepted_and_written() -> None:
    # the index check must not refuse a layer that exists (here the LSTM's second)
    model = _Model()
    rnninit.init_(model, "orthogonal", layers={1: {"recurrent": "identity"}})
    assert torch.equal(model.lstm.weight_hh_l1[0:5], torch.eye(5))  # gate i of layer 1
    assert not torch.equal(model.lstm.weight_hh_l0[0:5], torch.eye(5))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: rnninit.init_(m, "orthogonal", include=("lstm", 3)),
        lambda m: rnninit.init_(m, "orthogonal", exclude=b"gru"),
    ],
    ids=["a list with a non-string", "bytes"],
)
def test_patterns_of_the_wrong_type_are_argument_type_errors(
    call: Callable[[nn.Module], object],
) -> None:
    model = _Model()
    snap = _snapshot(model)
    with pytest.raises(ArgumentTypeError, match=r"^(include|exclude)="):
        call(model)
    _assert_unchanged(model, snap)


def test_auto_refuses_a_target_whose_scale_overflows_the_weights_dtype() -> None:
    # sqrt(1e300) ~ 1e150 is finite in float64 but inf in the float32 weights
    model = nn.LSTM(3, 5, num_layers=2)
    snap = _snapshot(model)
    x = torch.randn(7, 2, 3, generator=torch.Generator().manual_seed(0))
    with pytest.raises(CalibrationError) as err:
        rnninit.init_(model, "auto", data=x, target=1e300)
    assert "target=1e+300 overflows torch.float32" in str(err.value)
    _assert_unchanged(model, snap)
    rnninit.init_(model, "auto", data=x, target=1e30)  # a large but representable one works
    assert bool(torch.isfinite(model.weight_ih_l1).all())
