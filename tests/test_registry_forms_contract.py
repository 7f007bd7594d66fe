"""The contract of ``as_init`` (every accepted form, every error branch), callables through
``call_init`` and ``dry_run``.
"""

from __future__ import annotations

import pytest
import torch
from core_contract_support import _gen, _named_fill_
from torch import nn

import rnninit
from rnninit.errors import InitializerError, UnknownNameError
from rnninit.initializers._registry import (
    INITIALIZERS,
    NUMBER,
    REQUIRED,
    Init,
    as_init,
    call_init,
    dry_run,
)

# --- registry: as_init, every accepted form and every error branch ---------------------------


@pytest.fixture
def two_required(clean_registry: None) -> None:
    def pair_(t: torch.Tensor, a: object, b: float) -> torch.Tensor:
        return t.fill_(b)

    rnninit.initializers.register("pair", pair_, {"a": REQUIRED, "b": NUMBER}, random=False)


def test_as_init_accepted_forms() -> None:
    assert as_init(2) == Init("constant", {"value": 2.0})
    assert type(as_init(2).kwargs["value"]) is float
    assert as_init("orthogonal") == Init("orthogonal", {})
    assert as_init(("normal", {"std": 0.02})) == Init("normal", {"std": 0.02})
    assert as_init(["normal", {"std": 0.02}]) == Init("normal", {"std": 0.02})
    assert as_init({"name": "normal", "std": 0.02}) == Init("normal", {"std": 0.02})
    assert as_init({"name": "normal", "kwargs": {"std": 0.02}}) == Init("normal", {"std": 0.02})
    spec = Init("uniform", {"low": 0.0})
    assert as_init(spec) == spec


def test_as_init_wraps_a_callable_and_passes_a_callable_init_through() -> None:
    spec = as_init(_named_fill_)
    assert (spec.name, dict(spec.kwargs), spec.fn) == ("callable", {}, _named_fill_)
    assert spec.registered is None
    wrapped = Init("callable", {}, fn=_named_fill_)
    assert as_init(wrapped, "input") is wrapped


@pytest.mark.usefixtures("two_required")
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            "orthogonl",
            UnknownNameError,
            "recurrent='orthogonl' is not known; valid: {valid}. Did you mean 'orthogonal'?",
        ),
        (
            Init("orthogonl"),
            UnknownNameError,
            "recurrent='orthogonl' is not known; valid: {valid}. Did you mean 'orthogonal'?",
        ),
        (
            ("orthogonl", {}),
            UnknownNameError,
            "recurrent='orthogonl' is not known; valid: {valid}. Did you mean 'orthogonal'?",
        ),
        (
            {"name": "orthogonl"},
            UnknownNameError,
            "recurrent='orthogonl' is not known; valid: {valid}. Did you mean 'orthogonal'?",
        ),
        (
            Init("normal", {"sdt": 0.1}),
            InitializerError,
            "recurrent: initializer 'normal' takes no parameter 'sdt'; its parameters: mean, "
            "std. Did you mean 'std'?",
        ),
        (
            ("normal", {"zzz": 0.1}),
            InitializerError,
            "recurrent: initializer 'normal' takes no parameter 'zzz'; its parameters: mean, std",
        ),
        (
            ("zeros", {"gain": 1.0}),
            InitializerError,
            "recurrent: initializer 'zeros' takes no parameter 'gain'; its parameters: none",
        ),
        (
            "pair",
            InitializerError,
            "recurrent: initializer 'pair' needs 'a', 'b', e.g. ('pair', {'a': ..., 'b': ...})",
        ),
        (
            ("pair", {"a": "x"}),
            InitializerError,
            "recurrent: initializer 'pair' needs 'b', e.g. ('pair', {'b': ...})",
        ),
        (
            ("pair", {"a": "x", "b": "y"}),
            InitializerError,
            "recurrent: parameter 'b' of 'pair' must be a number, got 'y'",
        ),
        (
            ("constant", {"value": True}),
            InitializerError,
            "recurrent: parameter 'value' of 'constant' must be a number, got True",
        ),
        (
            ("normal", {"std": float("inf")}),
            InitializerError,
            "recurrent: parameter 'std' of 'normal' must be finite, got inf",
        ),
        (
            ("constant", {"value": float("nan")}),
            InitializerError,
            "recurrent: parameter 'value' of 'constant' must be finite, got nan",
        ),
        (
            ("normal", 0.1),
            InitializerError,
            "recurrent: a (name, kwargs) pair needs a dict of kwargs, got 0.1",
        ),
        (
            {"name": "normal", "kwargs": {"std": 0.1}, "mean": 0.0},
            InitializerError,
            "recurrent: malformed initializer dict "
            "{'name': 'normal', 'kwargs': {'std': 0.1}, 'mean': 0.0}",
        ),
        (
            {"name": "normal", "kwargs": 0.1},
            InitializerError,
            "recurrent: malformed initializer dict {'name': 'normal', 'kwargs': 0.1}",
        ),
        (
            {"name": 3},
            InitializerError,
            "recurrent: a dict initializer needs a 'name', got {'name': 3}",
        ),
        (
            [1, 2, 3],
            InitializerError,
            "recurrent=[1, 2, 3] (list) is not an initializer; give a name (e.g. 'orthogonal'), "
            "a number, a (name, kwargs) pair, a dict or a callable",
        ),
        (
            True,
            InitializerError,
            "recurrent=True (bool) is not an initializer; give a name (e.g. 'orthogonal'), "
            "a number, a (name, kwargs) pair, a dict or a callable",
        ),
    ],
)
def test_as_init_errors(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as err:
        as_init(value, "recurrent")
    assert type(err.value) is error
    assert str(err.value) == message.replace("{valid}", ", ".join(sorted(INITIALIZERS)))


def test_as_init_names_the_argument_initializer_by_default() -> None:
    with pytest.raises(UnknownNameError) as err:
        as_init("nromal")
    assert err.value.argument == "initializer"
    assert str(err.value).startswith("initializer='nromal' is not known; valid: ")


def test_as_init_refuses_a_recipe() -> None:
    with pytest.raises(InitializerError) as err:
        as_init(rnninit.recipe("orthogonal"), "recurrent")
    assert str(err.value) == (
        "recurrent= got Recipe 'orthogonal', a whole scheme; give an initializer here, and the "
        "recipe as the scheme: init_(module, recipe)"
    )


# --- registry: callables through call_init ---------------------------------------------------


def test_a_callable_that_takes_generator_gets_the_callers_generator() -> None:
    seen: list[tuple[torch.Tensor, torch.Generator | None]] = []

    def fill_(t: torch.Tensor, generator: torch.Generator | None = None) -> None:
        seen.append((t, generator))
        t.fill_(2.0)

    target, g = torch.empty(2, 3), _gen()
    call_init(Init("callable", {}, fn=fill_), target, generator=g, context={})
    assert len(seen) == 1 and seen[0][0] is target and seen[0][1] is g
    assert torch.equal(target, torch.full((2, 3), 2.0))


def test_a_callable_without_generator_is_called_with_the_tensor_only() -> None:
    seen: list[torch.Tensor] = []

    def fill_(t: torch.Tensor) -> None:
        seen.append(t)
        t.fill_(3.0)

    target = torch.empty(4)
    call_init(Init("callable", {}, fn=fill_), target, generator=_gen(), context={})
    assert len(seen) == 1 and seen[0] is target
    assert torch.equal(target, torch.full((4,), 3.0))


class _NoSignature:
    """A callable whose signature cannot be inspected (``inspect.signature`` raises)."""

    __signature__ = 3  # not a Signature: inspect.signature raises TypeError

    def __call__(self, t: torch.Tensor) -> None:
        t.fill_(4.0)


def test_a_callable_with_no_inspectable_signature_is_called_without_generator() -> None:
    target = torch.empty(3)
    call_init(Init("callable", {}, fn=_NoSignature()), target, generator=_gen(), context={})
    assert torch.equal(target, torch.full((3,), 4.0))


def test_a_returned_tensor_is_copied_in() -> None:
    def values(t: torch.Tensor) -> torch.Tensor:
        return torch.arange(6.0).reshape(2, 3)

    target = torch.zeros(2, 3)
    call_init(Init("callable", {}, fn=values), target, generator=None, context={})
    assert torch.equal(target, torch.arange(6.0).reshape(2, 3))


def test_a_returned_tensor_of_the_wrong_shape_is_an_error() -> None:
    def values(t: torch.Tensor) -> torch.Tensor:
        return torch.ones(3, 2)

    target = torch.zeros(2, 3)
    with pytest.raises(InitializerError) as err:
        call_init(Init("callable", {}, fn=values), target, generator=None, context={})
    assert str(err.value) == (
        "callable initializer returned shape (3, 2) for a target of shape (2, 3)"
    )
    assert torch.equal(target, torch.zeros(2, 3))


def test_call_init_writes_under_no_grad_into_a_parameter_view() -> None:
    def fill_(t: torch.Tensor) -> None:
        t.fill_(1.0)  # an in-place write into a view of a leaf: needs no_grad

    weight = nn.Parameter(torch.zeros(4, 3))
    call_init(Init("callable", {}, fn=fill_), weight[1:3], generator=None, context={})
    assert torch.equal(weight.detach(), torch.tensor([[0.0] * 3, [1.0] * 3, [1.0] * 3, [0.0] * 3]))


@pytest.fixture
def probe(clean_registry: None) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = []

    def probe_(t: torch.Tensor, **kw: object) -> None:
        calls.append({"device": t.device.type, "shape": tuple(t.shape), **kw})

    rnninit.initializers.register(
        "probe", probe_, {"a": 1.0, "b": REQUIRED}, context=("hidden_size",)
    )
    rnninit.initializers.register("probe_det", probe_, {"a": 1.0}, random=False)
    return calls


def test_a_registered_entry_gets_defaults_kwargs_and_declared_context(
    probe: list[dict[str, object]],
) -> None:
    g = _gen()
    t = torch.empty(2, 3)
    call_init(Init("probe", {"b": 2.0}), t, generator=g, context={"hidden_size": 7, "fans": (1, 1)})
    call_init(Init("probe", {"a": 0.5, "b": 2.0}), t, generator=None, context={})
    call_init(Init("probe_det"), t, generator=g, context={"hidden_size": 7})
    assert probe == [
        {"device": "cpu", "shape": (2, 3), "generator": g, "a": 1.0, "b": 2.0, "hidden_size": 7},
        {"device": "cpu", "shape": (2, 3), "generator": None, "a": 0.5, "b": 2.0},
        {"device": "cpu", "shape": (2, 3), "a": 1.0},
    ]


def test_dry_run_runs_a_registered_entry_on_meta_and_skips_callables(
    probe: list[dict[str, object]],
) -> None:
    dry_run(Init("probe", {"b": 3.0}), (4, 5), {"hidden_size": 9})
    assert probe == [
        {"device": "meta", "shape": (4, 5), "generator": None, "a": 1.0, "b": 3.0, "hidden_size": 9}
    ]

    def boom(t: torch.Tensor) -> None:
        raise AssertionError("a callable must not be dry-run")

    dry_run(Init("callable", {}, fn=boom), (4, 5), {})
