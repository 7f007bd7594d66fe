"""The contract of ``rnninit.initializers.register`` and ``Init``: every flag, repr and dict form,
and every error message compared whole.
"""

from __future__ import annotations

import pytest
import torch
from core_contract_support import _named_fill_, _Unnamed

import rnninit
from rnninit import initializers as I
from rnninit.errors import InitializerError, UnknownNameError
from rnninit.initializers._registry import INITIALIZERS, NUMBER, REQUIRED, Init

# --- registry: register ----------------------------------------------------------------------


def test_register_error_names_the_fn_by_repr_when_it_has_no_name(clean_registry: None) -> None:
    with pytest.raises(InitializerError) as err:
        rnninit.initializers.register("bad", _Unnamed())
    assert str(err.value) == (
        "register('bad'): Unnamed() takes no generator= keyword, but random=True means every "
        "draw must be reproducible with a torch.Generator; add a generator=None keyword and draw "
        "with it, or pass random=False for a deterministic initializer"
    )
    assert "bad" not in INITIALIZERS


def test_register_lists_every_undeclared_keyword(clean_registry: None) -> None:
    def fill_(t: torch.Tensor, value: float = 0.0) -> torch.Tensor:
        return t.fill_(value)

    with pytest.raises(InitializerError) as err:
        rnninit.initializers.register(
            "fill", fill_, {"value": 0.0, "low": 0.0}, context=("width",), random=False
        )
    assert str(err.value) == (
        "register('fill'): fill_ takes no keyword 'low', 'width', but params/context declare it"
    )


@pytest.mark.parametrize(
    ("name", "fn", "message"),
    [
        ("", I.zeros_, "register: name must be a non-empty str, got ''"),
        (3, I.zeros_, "register: name must be a non-empty str, got 3"),
        ("x", 3, "register('x'): fn must be callable, got 3"),
    ],
)
def test_register_rejects_bad_names_and_fns(
    clean_registry: None, name: object, fn: object, message: str
) -> None:
    with pytest.raises(InitializerError) as err:
        rnninit.initializers.register(name, fn, random=False)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_register_defaults_make_a_plain_random_weight_initializer(clean_registry: None) -> None:
    def draw_(t: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return t.uniform_(-1.0, 1.0, generator=generator)

    rnninit.initializers.register("draw", draw_)
    reg = INITIALIZERS["draw"]
    assert (reg.name, reg.fn, dict(reg.params), reg.context) == ("draw", draw_, {}, ())
    assert reg.random is True
    assert (reg.needs_matrix, reg.needs_square, reg.for_states) == (False, False, False)
    assert reg.eval_value is None and reg.doc == ""
    # not for_states: refused as an initial state, with the valid kinds listed
    with pytest.raises(UnknownNameError, match=r"^init='draw' is not known; valid: "):
        rnninit.states.kinds.resolve_init("draw")


def test_register_stores_every_flag_it_is_given(clean_registry: None) -> None:
    def eye_(t: torch.Tensor) -> torch.Tensor:
        return I.identity_(t)

    def mean(params: object) -> float:
        return 0.0

    rnninit.initializers.register(
        "eye",
        eye_,
        context=(),
        random=False,
        needs_matrix=True,
        needs_square=True,
        for_states=True,
        eval_value=mean,
        doc="I",
    )
    reg = INITIALIZERS["eye"]
    assert reg.random is False
    assert (reg.needs_matrix, reg.needs_square, reg.for_states) == (True, True, True)
    assert reg.eval_value is mean and reg.doc == "I"


def test_required_and_number_markers_show_their_label() -> None:
    assert (repr(REQUIRED), repr(NUMBER)) == ("REQUIRED", "NUMBER")
    assert repr(INITIALIZERS["constant"].params) == "{'value': NUMBER}"
    assert repr(INITIALIZERS["chrono"].params) == "{'max_timescale': NUMBER}"


# --- registry: Init --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (Init("orthogonal"), "Init('orthogonal')"),
        (Init("normal", {"std": 0.02}), "Init('normal', std=0.02)"),
        (Init("uniform", {"low": -0.1, "high": 0.2}), "Init('uniform', low=-0.1, high=0.2)"),
        (Init("chrono", {"max_timescale": "x"}), "Init('chrono', max_timescale='x')"),
        (Init("callable", {}, fn=_named_fill_), "Init(callable '_named_fill_')"),
        (Init("callable", {}, fn=_Unnamed()), "Init(callable Unnamed())"),
    ],
)
def test_init_repr(spec: Init, text: str) -> None:
    assert repr(spec) == text


@pytest.mark.parametrize(
    ("fn", "shown"), [(_named_fill_, "'_named_fill_'"), (_Unnamed(), "Unnamed()")]
)
def test_init_to_dict_refuses_a_callable(fn: object, shown: str) -> None:
    with pytest.raises(TypeError) as err:
        Init("callable", {}, fn=fn).to_dict()  # type: ignore[arg-type]
    assert str(err.value) == (
        f"initializer {shown} is a Python callable and cannot be serialized; register it with "
        "rnninit.initializers.register(name, fn) and use the name"
    )


def test_init_from_dict_validates_and_builds_the_spec() -> None:
    data = {"name": "normal", "std": 0.02}
    spec = Init.from_dict(data)
    assert (spec.name, dict(spec.kwargs), spec.fn) == ("normal", {"std": 0.02}, None)
    assert data == {"name": "normal", "std": 0.02}  # the caller's dict is left alone
    assert Init.from_dict({"name": "normal", "kwargs": {"mean": 1.0}}).kwargs == {"mean": 1.0}


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (
            {"name": "normal", "std": "big"},
            InitializerError,
            "initializer: parameter 'std' of 'normal' must be a number, got 'big'",
        ),
        (
            {"name": "normal", "sdt": 0.1},
            InitializerError,
            "initializer: initializer 'normal' takes no parameter 'sdt'; its parameters: "
            "mean, std. Did you mean 'std'?",
        ),
        (
            {"std": 0.1},
            InitializerError,
            "initializer: a dict initializer needs a 'name', got {'std': 0.1}",
        ),
    ],
)
def test_init_from_dict_errors_name_the_initializer_argument(
    data: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as err:
        Init.from_dict(data)
    assert type(err.value) is error
    assert str(err.value) == message


def test_init_from_dict_unknown_name_lists_the_registry() -> None:
    with pytest.raises(UnknownNameError) as err:
        Init.from_dict({"name": "nromal"})
    valid = ", ".join(sorted(INITIALIZERS))
    assert str(err.value) == (
        f"initializer='nromal' is not known; valid: {valid}. Did you mean 'normal'?"
    )
