"""Every diagnostic takes ``include=``/``exclude=`` globs on qualified module names, as
``init_`` does (``rnninit.layouts.find_recurrent``), and reads nothing outside the selection.

The model has an encoder LSTM and a decoder GRU with different sizes and different forget /
update biases written into raw rows (LSTM ``f`` = rows ``H:2H``; GRU ``z`` = rows ``H:2H``), so
a result taken from the wrong module cannot pass.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnninit.diagnose import describe, gradient_horizon, timescales
from rnninit.errors import ArgumentTypeError, NoRecurrentModuleError, UnknownNameError
from rnninit.layouts import find_recurrent

H_ENC, H_DEC = 6, 5


def _model() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Module()
    model.enc = nn.LSTM(3, H_ENC)
    model.dec = nn.GRU(H_ENC, H_DEC)
    with torch.no_grad():
        model.enc.bias_ih_l0[H_ENC : 2 * H_ENC] = 30.0  # f saturated open: a long horizon
        model.enc.bias_hh_l0[H_ENC : 2 * H_ENC] = 0.0
        model.dec.bias_ih_l0[H_DEC : 2 * H_DEC] = -30.0  # z shut: a short one
        model.dec.bias_hh_l0[H_DEC : 2 * H_DEC] = 0.0
    return model


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, {"enc", "dec"}),
        ("enc", None, {"enc"}),
        (["d*"], None, {"dec"}),
        (None, "enc", {"dec"}),
        ("*", ["e*", "x"], {"dec"}),
    ],
)
def test_describe_and_timescales_select_modules(
    include: object, exclude: object, expected: set[str]
) -> None:
    model = _model()
    d = describe(model, include=include, exclude=exclude)  # type: ignore[arg-type]
    assert {r["param"].split(".")[0] for r in d.rows} == expected
    for r in d.select(kind="recurrent"):  # each block's shape is its own module's
        h = H_ENC if r["param"].startswith("enc.") else H_DEC
        assert r["shape"] == (h, h)
    ts = timescales(model, include, exclude)  # type: ignore[arg-type]
    assert {x.module_name for x in ts} == expected
    for x in ts:
        bias = 30.0 if x.module_name == "enc" else -30.0
        assert torch.equal(x.bias, torch.full_like(x.bias, bias))


def test_gradient_horizon_measures_the_selected_module() -> None:
    model = _model()
    direct = gradient_horizon(model.dec, 40, generator=torch.Generator().manual_seed(0))
    for kwargs in ({"include": "dec"}, {"exclude": "enc"}, {"include": "*", "exclude": ["e*"]}):
        h = gradient_horizon(model, 40, generator=torch.Generator().manual_seed(0), **kwargs)
        assert h.module_name == "dec" and torch.equal(h.norms, direct.norms), kwargs
    enc = gradient_horizon(model, 40, include="*")  # the first selected: the encoder
    assert enc.module_name == "enc" and enc.horizon == 39 > direct.horizon
    assert gradient_horizon(model, 40, name="dec", include="d*").module_name == "dec"
    with pytest.raises(UnknownNameError, match="'dec'"):
        gradient_horizon(model, 40, name="enc", include="d*")


@pytest.mark.parametrize("fn", [describe, timescales])
def test_an_empty_selection_is_a_typed_error_naming_the_modules(fn: object) -> None:
    with pytest.raises(NoRecurrentModuleError, match="'enc', 'dec'"):
        fn(_model(), include="encoder")  # type: ignore[operator]
    with pytest.raises(NoRecurrentModuleError, match="'enc', 'dec'"):
        gradient_horizon(_model(), 10, exclude=["enc", "dec"])


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [
        ({"include": 5}, "include=5 (int)"),
        ({"exclude": b"dec"}, "exclude=b'dec' (bytes)"),
        ({"include": ["enc", 3]}, "include=['enc', 3] (list)"),
        ({"exclude": ("dec", None)}, "exclude=('dec', None) (tuple)"),
    ],
)
def test_find_recurrent_refuses_a_pattern_of_the_wrong_type_naming_it(
    kwargs: dict[str, object], shown: str
) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        find_recurrent(_model(), **kwargs)  # type: ignore[arg-type]
    assert isinstance(err.value, TypeError)  # still a TypeError for callers that catch that
    assert str(err.value) == (
        f"{shown} is not valid; expected a glob pattern (str) on qualified module names "
        "or a list of them"
    )
    (argument,) = kwargs
    assert (err.value.argument, err.value.given) == (argument, kwargs[argument])
    for fn in (describe, timescales):  # the diagnostics select through it
        with pytest.raises(ArgumentTypeError, match=f"^{argument}="):
            fn(_model(), **kwargs)  # type: ignore[operator]
