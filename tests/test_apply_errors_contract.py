"""Errors of ``init_``/``apply_recipe``: type and exact message, and the model left exactly as
it was (compared parameter by parameter).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest
import torch
from apply_contract_support import _assert_same, _gen, _snapshot
from torch import nn
from torch.nn.utils import parametrizations

import rnninit
from rnninit.errors import ArgumentTypeError, InitializerError, SchemeError, SchemeWarning
from rnninit.initializers import Init
from rnninit.schemes import Recipe

# --- errors of init_ / apply_recipe: type and exact message --------------------------------


class _Three(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.LSTM(3, 5)
        self.rnn = nn.RNN(5, 6)
        self.gru = nn.GRU(6, 4)


def _meta(make: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        with torch.device("meta"):
            return make()

    return build


_SQUARE_HINT = (
    " (the input width differs from hidden_size); use include=/exclude= or a per-kind "
    "override such as input='xavier_uniform'"
)
_INIT_ERRORS: list[tuple[str, Callable[[], nn.Module], dict[str, object], type, str]] = [
    (
        "a gate block of a submodule",
        _Three,
        {"scheme": "orthogonal", "input": "identity", "include": "enc"},
        InitializerError,
        "initializer 'identity' on enc.weight_ih_l0[gate i] (shape (5, 3)): identity needs a "
        "square matrix, got shape (5, 3)" + _SQUARE_HINT,
    ),
    (
        "a whole-matrix draw",
        lambda: nn.LSTM(3, 5),
        {"scheme": {"name": "w", "input": "identity", "whole": ["input"]}},
        InitializerError,
        "initializer 'identity' on weight_ih_l0 (shape (20, 3)): identity needs a square matrix, "
        "got shape (20, 3)" + _SQUARE_HINT,
    ),
    (
        "a bad parameter: no square hint",
        lambda: nn.LSTM(3, 5),
        {"scheme": "orthogonal", "recurrent": ("uniform", {"low": 1.0, "high": 0.0})},
        InitializerError,
        "initializer 'uniform' on weight_hh_l0[gate i] (shape (5, 5)): uniform needs low <= "
        "high, got low=1.0, high=0.0",
    ),
    (
        "meta device, submodule",
        _meta(_Three),
        {"scheme": "orthogonal"},
        SchemeError,
        "enc.weight_ih_l0 is on the meta device: it has no storage to initialize. Call "
        "module.to_empty(device='cpu') (or your device) first",
    ),
    (
        "meta device, root",
        _meta(lambda: nn.GRU(3, 4)),
        {"scheme": "orthogonal"},
        SchemeError,
        "weight_ih_l0 is on the meta device: it has no storage to initialize. Call "
        "module.to_empty(device='cpu') (or your device) first",
    ),
    (
        "generator",
        lambda: nn.LSTM(3, 5),
        {"scheme": "orthogonal", "generator": 3},
        ArgumentTypeError,
        "generator=3 (int) is not valid; expected a torch.Generator or None",
    ),
    (
        "a gate no selected layer has",
        _Three,
        {"scheme": "orthogonal", "gates": {"f": {"bias": 1.0}}, "include": ["rnn", "gru"]},
        SchemeError,
        "gate 'f' does not exist in the selected layers: GRU (r, z, n), RNN (h)",
    ),
    (
        "forget_bias without a keep gate",
        _Three,
        {"scheme": "orthogonal", "forget_bias": 1.0, "include": "rnn"},
        SchemeError,
        "forget_bias applies to LSTM 'f' and GRU 'z'; the selected layers are RNN",
    ),
    (
        "a bias on bias-free layers",
        lambda: nn.GRU(3, 4, bias=False),
        {"scheme": "orthogonal", "bias": 0.5},
        SchemeError,
        "a bias was given, but every selected layer has bias=False",
    ),
    (
        "a family the scheme does not apply to, submodule",
        _Three,
        {"scheme": "chrono", "max_timescale": 10},
        SchemeError,
        "scheme 'chrono' applies to LSTM, GRU layers; submodule 'rnn' is an nn.RNN (RNN). "
        "Select layers with include=/exclude=",
    ),
    (
        "no scheme, no override",
        lambda: nn.LSTM(3, 5),
        {},
        SchemeError,
        "init_ needs a scheme (e.g. init_(model, 'orthogonal')) or at least one override "
        "(e.g. forget_bias=1.0); with scheme=None only the overrides are applied",
    ),
]


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "message"),
    [c[1:] for c in _INIT_ERRORS],
    ids=[c[0] for c in _INIT_ERRORS],
)
def test_init_errors_are_typed_with_their_exact_message_and_write_nothing(
    make: Callable[[], nn.Module], kwargs: dict[str, object], error: type, message: str
) -> None:
    module = make()
    snap = None if next(module.parameters()).is_meta else _snapshot(module)
    with pytest.raises(error) as err:
        rnninit.init_(module, **kwargs)  # type: ignore[arg-type]
    assert type(err.value) is error
    assert str(err.value) == message
    if snap is not None:
        _assert_same(module, snap)


def test_init_of_a_non_module_is_a_type_error() -> None:
    with pytest.raises(ArgumentTypeError) as err:
        rnninit.init_(torch.zeros(3), "orthogonal")  # type: ignore[type-var]
    assert isinstance(err.value, TypeError)
    assert str(err.value) == (
        "module=tensor([0., 0., 0.]) (Tensor) is not valid; expected a torch.nn.Module"
    )


def test_the_scheme_warning_names_the_submodule_and_the_designed_for_families() -> None:
    r = Recipe("mine", recurrent=Init("orthogonal"), designed_for=("LSTM", "GRU"))
    with pytest.warns(SchemeWarning) as caught:
        rnninit.init_(_Three(), r, generator=_gen())
    assert [str(w.message) for w in caught] == [
        "scheme 'mine' was designed for LSTM, GRU layers; applying it to rnn (RNN:tanh)"
    ]
    # attributed to the caller's code, not to rnninit's own lines (mutmut's trampolines add
    # frames, so the exact caller frame is not asserted)
    assert not caught[0].filename.startswith(os.path.dirname(rnninit.__file__))


def test_a_meta_layer_with_only_parametrized_weights_gets_the_to_empty_advice() -> None:
    with torch.device("meta"):
        lstm = parametrizations.weight_norm(nn.LSTM(3, 4, bias=False), "weight_ih_l0")
        lstm = parametrizations.weight_norm(lstm, "weight_hh_l0")
    with pytest.raises(SchemeError) as err:
        rnninit.init_(lstm, "orthogonal")
    assert re.fullmatch(
        r"\S*weight_ih_l0\S* is on the meta device: it has no storage to initialize\. Call "
        r"module\.to_empty\(device='cpu'\) \(or your device\) first",
        str(err.value),
    )
