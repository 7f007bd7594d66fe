"""The public contract of the core modules, pinned where the mutation run found it loose:
``rnninit.registry`` (register, Init, as_init's forms and error messages, callables,
call_init/dry_run), ``rnninit.initializers`` (He/Kaiming, the defaults and error messages of
every law, draws on the generator's device) and ``rnninit.layouts`` (layout_of, parameters_of,
GateBlock repr, effective weights).

Distributions are checked against their documented formula with a Kolmogorov-Smirnov test on a
fixed ``torch.Generator`` seed (p > 1e-3 under the documented law; a wrong scale, mean or bound
on these sample sizes gives p ~ 0). Error messages are compared whole."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import torch
from scipy import stats
from torch import nn
from torch.nn.utils import parametrizations

import rnninit
from rnninit import initializers as I
from rnninit.errors import InitializerError, UnknownNameError
from rnninit.layouts import Layout, effective_weight, gates, layout_of, parameters_of
from rnninit.registry import INITIALIZERS, NUMBER, REQUIRED, Init, as_init, call_init, dry_run

P_MIN = 1e-3  # KS p-value floor: a correct law fails it with probability 1e-3 (fixed seeds)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _ks_uniform(t: torch.Tensor, low: float, high: float) -> float:
    return float(
        stats.kstest(t.double().flatten().numpy(), "uniform", args=(low, high - low)).pvalue
    )


def _ks_normal(t: torch.Tensor, mean: float, std: float) -> float:
    return float(stats.kstest(t.double().flatten().numpy(), "norm", args=(mean, std)).pvalue)


@pytest.fixture
def clean_registry() -> Iterator[None]:
    before = dict(INITIALIZERS)
    yield
    INITIALIZERS.clear()
    INITIALIZERS.update(before)


class _Unnamed:
    """A callable without ``__name__``: messages must fall back to its repr."""

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return t.fill_(0.5)

    def __repr__(self) -> str:
        return "Unnamed()"


# --- registry: register ----------------------------------------------------------------------


def test_register_error_names_the_fn_by_repr_when_it_has_no_name(clean_registry: None) -> None:
    with pytest.raises(InitializerError) as err:
        rnninit.register("bad", _Unnamed())
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
        rnninit.register(
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
        rnninit.register(name, fn, random=False)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_register_defaults_make_a_plain_random_weight_initializer(clean_registry: None) -> None:
    def draw_(t: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return t.uniform_(-1.0, 1.0, generator=generator)

    rnninit.register("draw", draw_)
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

    rnninit.register(
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


def _named_fill_(t: torch.Tensor) -> torch.Tensor:
    return t.fill_(0.5)


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
        "rnninit.register(name, fn) and use the name"
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


# --- registry: as_init, every accepted form and every error branch ---------------------------


@pytest.fixture
def two_required(clean_registry: None) -> None:
    def pair_(t: torch.Tensor, a: object, b: float) -> torch.Tensor:
        return t.fill_(b)

    rnninit.register("pair", pair_, {"a": REQUIRED, "b": NUMBER}, random=False)


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

    rnninit.register("probe", probe_, {"a": 1.0, "b": REQUIRED}, context=("hidden_size",))
    rnninit.register("probe_det", probe_, {"a": 1.0}, random=False)
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


# --- initializers: He / Kaiming --------------------------------------------------------------

# gains of torch.nn.init.calculate_gain, written out: relu sqrt(2), tanh 5/3, linear 1
KAIMING_CASES = [
    ({}, math.sqrt(2.0), 150),  # defaults: relu, fan_in
    ({"nonlinearity": "relu", "mode": "fan_out"}, math.sqrt(2.0), 60),
    ({"nonlinearity": "tanh", "mode": "fan_in"}, 5.0 / 3.0, 150),
    ({"nonlinearity": "linear", "mode": "fan_out"}, 1.0, 60),
]


@pytest.mark.parametrize(("kwargs", "gain", "fan"), KAIMING_CASES)
def test_kaiming_uniform_is_uniform_with_bound_gain_sqrt_3_over_fan(
    kwargs: dict[str, str], gain: float, fan: int
) -> None:
    t = torch.empty(60, 150)  # fan_out = 60, fan_in = 150
    out = I.kaiming_uniform_(t, generator=_gen(1), **kwargs)
    assert out is t
    bound = gain * math.sqrt(3.0 / fan)
    assert t.abs().max().item() <= bound
    assert _ks_uniform(t, -bound, bound) > P_MIN


@pytest.mark.parametrize(("kwargs", "gain", "fan"), KAIMING_CASES)
def test_kaiming_normal_has_std_gain_over_sqrt_fan(
    kwargs: dict[str, str], gain: float, fan: int
) -> None:
    t = torch.empty(60, 150)
    out = I.kaiming_normal_(t, generator=_gen(2), **kwargs)
    assert out is t
    assert _ks_normal(t, 0.0, gain / math.sqrt(fan)) > P_MIN


@pytest.mark.parametrize("fn", [I.kaiming_uniform_, I.kaiming_normal_])
def test_kaiming_draws_with_the_generator(fn: Callable[..., torch.Tensor]) -> None:
    a, b, c = torch.empty(20, 30), torch.empty(20, 30), torch.empty(20, 30)
    fn(a, generator=_gen(5))
    fn(b, generator=_gen(5))
    fn(c, generator=_gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("fn", [I.kaiming_uniform_, I.kaiming_normal_])
def test_kaiming_errors(fn: Callable[..., torch.Tensor]) -> None:
    with pytest.raises(InitializerError) as err:
        fn(torch.empty(4, 3), mode="fan_avg")
    assert str(err.value) == "mode='fan_avg' is not valid; valid: 'fan_in', 'fan_out'"
    with pytest.raises(InitializerError) as err:
        fn(torch.empty(4, 3), nonlinearity="swish")
    # the tail is torch.nn.init.calculate_gain's own ValueError message
    assert str(err.value) == "nonlinearity='swish': Unsupported nonlinearity swish"


def test_kaiming_uniform_through_the_registry_uses_per_gate_fans() -> None:
    lstm = rnninit.init_(nn.LSTM(7, 50), None, input="kaiming_uniform", generator=_gen(3))
    # weight_ih is (4*50, 7): each gate block (50, 7) has fan_in = 7
    w = lstm.get_parameter("weight_ih_l0").detach()
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 7)
    assert w.abs().max().item() <= bound
    assert _ks_uniform(w, -bound, bound) > P_MIN


# --- initializers: the defaults of the other laws --------------------------------------------


def test_xavier_normal_default_gain_is_one_and_mean_zero() -> None:
    t = torch.empty(200, 300)  # fan_in 300, fan_out 200
    I.xavier_normal_(t, generator=_gen(4))
    assert _ks_normal(t, 0.0, math.sqrt(2.0 / 500)) > P_MIN


def test_fan_in_truncated_normal_default_scale_is_one_and_mean_zero() -> None:
    t = torch.empty(200, 400)  # fan_in 400: stddev 1/20 before truncation at 2 stddev
    I.fan_in_truncated_normal_(t, generator=_gen(5))
    law = stats.truncnorm(-2.0, 2.0, loc=0.0, scale=1.0 / 20)
    assert stats.kstest(t.double().flatten().numpy(), law.cdf).pvalue > P_MIN


def test_identity_default_gain_is_one_and_is_exact_in_float64() -> None:
    t = torch.empty(5, 5)
    assert torch.equal(I.identity_(t), torch.eye(5))
    d = torch.empty(3, 3, dtype=torch.float64)
    I.identity_(d, gain=0.1)  # 0.1 in float64, not a float32 0.1 widened
    assert torch.equal(d, torch.eye(3, dtype=torch.float64) * 0.1)


def test_pytorch_default_with_hidden_size_one_is_u_minus_one_one() -> None:
    t = torch.empty(20_000)
    I.pytorch_default_(t, 1, _gen(6))
    assert t.abs().max().item() <= 1.0
    assert _ks_uniform(t, -1.0, 1.0) > P_MIN


def test_pytorch_default_with_hidden_size_zero_writes_zeros() -> None:
    t = torch.ones(3)
    assert I.pytorch_default_(t, 0) is t
    assert torch.equal(t, torch.zeros(3))


def test_pytorch_default_draws_with_the_generator() -> None:
    a, b, c = torch.empty(50), torch.empty(50), torch.empty(50)
    I.pytorch_default_(a, 8, _gen(7))
    I.pytorch_default_(b, 8, _gen(7))
    I.pytorch_default_(c, 8, _gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_uniform_gate_activations_stay_in_one_over_d_to_one_minus_one_over_d() -> None:
    g = _gen(9)
    draws = torch.stack([I.uniform_gate_(torch.empty(4), g) for _ in range(2500)])
    s = torch.sigmoid(draws.double())  # d = 4: sigmoid(b) ~ U(1/4, 3/4)
    assert s.min().item() >= 0.25 - 1e-6 and s.max().item() <= 0.75 + 1e-6
    assert _ks_uniform(s, 0.25, 0.75) > P_MIN


def test_uniform_gate_needs_two_units() -> None:
    with pytest.raises(InitializerError) as err:
        I.uniform_gate_(torch.empty(1))
    assert str(err.value) == "uniform_gate needs at least 2 units, got 1"


def test_default_laws_of_uniform_normal_truncated_normal_and_xavier_uniform() -> None:
    t = torch.empty(100, 200)  # fan_in 200, fan_out 100
    I.uniform_(t, generator=_gen(10))
    assert _ks_uniform(t, 0.0, 1.0) > P_MIN
    I.normal_(t, generator=_gen(11))
    assert _ks_normal(t, 0.0, 1.0) > P_MIN
    I.truncated_normal_(t, generator=_gen(12))
    p = stats.kstest(t.double().flatten().numpy(), stats.truncnorm(-2.0, 2.0).cdf).pvalue
    assert p > P_MIN
    I.xavier_uniform_(t, generator=_gen(13))
    bound = math.sqrt(6.0 / 300)
    assert _ks_uniform(t, -bound, bound) > P_MIN


def test_degenerate_but_valid_parameters() -> None:
    t = torch.empty(50)
    assert torch.equal(I.uniform_(t, 0.25, 0.25, _gen()), torch.full((50,), 0.25))
    assert torch.equal(I.normal_(t, 0.5, 0.0, _gen()), torch.full((50,), 0.5))
    assert torch.equal(I.truncated_normal_(t, 0.75, 0.0, generator=_gen()), torch.full((50,), 0.75))
    I.chrono_(t, 2.5, _gen())  # T_max just above 2: log U(1, 1.5)
    assert t.min().item() >= 0.0 and t.max().item() <= math.log(1.5) + 1e-6
    assert _ks_uniform(t.exp(), 1.0, 1.5) > P_MIN


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: I.uniform_(t, 1.0, 0.0), "uniform needs low <= high, got low=1.0, high=0.0"),
        (lambda t: I.normal_(t, 0.0, -1.0), "normal needs std >= 0, got std=-1.0"),
        (
            lambda t: I.truncated_normal_(t, std=-1.0),
            "truncated_normal needs std >= 0 and a < b, got -1.0, -2.0, 2.0",
        ),
        (
            lambda t: I.truncated_normal_(t, a=1.0, b=1.0),
            "truncated_normal needs std >= 0 and a < b, got 1.0, 1.0, 1.0",
        ),
        (
            lambda t: I.chrono_(t, math.inf),
            "chrono needs max_timescale, a finite number > 2 (the longest dependency, in steps), "
            "got inf",
        ),
        (
            lambda t: I.chrono_(t, "100"),  # type: ignore[arg-type]
            "chrono needs max_timescale, a finite number > 2 (the longest dependency, in steps), "
            "got '100'",
        ),
    ],
)
def test_initializer_parameter_errors(
    call: Callable[[torch.Tensor], torch.Tensor], message: str
) -> None:
    t = torch.zeros(5)
    with pytest.raises(InitializerError) as err:
        call(t)
    assert str(err.value) == message
    assert torch.equal(t, torch.zeros(5))  # nothing written


@pytest.mark.parametrize(("a", "b"), [(3.0, 3.0 + 1e-13), (-3.0, -3.0 + 1e-13)])
def test_truncated_normal_never_leaves_its_interval(a: float, b: float) -> None:
    """A narrow interval in the tail: erf/erfinv rounding would step outside without the clamp."""
    t = torch.empty(2000, dtype=torch.float64)
    I.truncated_normal_(t, 0.0, 1.0, a, b, _gen(14))
    assert t.min().item() >= a and t.max().item() <= b


def test_truncated_normal_far_tail_is_exact() -> None:
    """Drawn in float64: a float32 u would collapse the tail [5, 6] to a handful of values."""
    t = torch.empty(20_000, dtype=torch.float64)
    I.truncated_normal_(t, 0.0, 1.0, 5.0, 6.0, _gen(15))
    assert len(set(t.tolist())) > 19_000
    assert stats.kstest(t.numpy(), stats.truncnorm(5.0, 6.0).cdf).pvalue > P_MIN


RANDOM_FNS: dict[str, Callable[[torch.Tensor, torch.Generator], torch.Tensor]] = {
    "uniform": lambda t, g: I.uniform_(t, -1.0, 1.0, g),
    "normal": lambda t, g: I.normal_(t, 0.0, 1.0, g),
    "truncated_normal": lambda t, g: I.truncated_normal_(t, 0.0, 1.0, generator=g),
    "chrono": lambda t, g: I.chrono_(t, 10.0, g),
    "uniform_gate": lambda t, g: I.uniform_gate_(t, g),
    "orthogonal": lambda t, g: I.orthogonal_(t, 1.0, g),
}


@pytest.mark.parametrize("name", sorted(RANDOM_FNS))
def test_draws_happen_on_the_generators_device(name: str) -> None:
    """A meta tensor with a CPU generator: the values are drawn on the CPU, so the generator
    advances exactly as it does for a CPU tensor of that shape (a draw on the meta device
    would not touch it)."""
    fill = RANDOM_FNS[name]
    g_meta, g_cpu = _gen(16), _gen(16)
    out = fill(torch.empty(6, 4, device="meta"), g_meta)
    fill(torch.empty(6, 4), g_cpu)
    assert out.device.type == "meta"
    assert not torch.equal(g_cpu.get_state(), _gen(16).get_state())  # the CPU draw advanced it
    assert torch.equal(g_meta.get_state(), g_cpu.get_state())


def test_dry_run_touches_no_rng_for_any_registered_initializer() -> None:
    kwargs: dict[str, Mapping[str, Any]] = {
        "constant": {"value": 1.0},
        "chrono": {"max_timescale": 10},
        "chrono_log": {"max_timescale": 10},
        "truncated_normal": {"std": 1.0},
    }
    state = torch.get_rng_state()
    for name in INITIALIZERS:
        dry_run(Init(name, kwargs.get(name, {})), (6, 6), {"hidden_size": 6})
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7)])
def test_orthogonal_is_the_q_factor_of_the_documented_draw(shape: tuple[int, int]) -> None:
    """``A ~ N(0, 1)`` of shape ``(max, min)`` from the generator, ``A = QR`` with the signs fixed
    so that ``R = Q^T A`` is upper triangular with a positive diagonal; transposed if wide."""
    rows, cols = shape
    t = torch.empty(shape, dtype=torch.float64)
    I.orthogonal_(t, generator=_gen(17))  # default gain 1
    a = torch.empty(max(shape), min(shape), dtype=torch.float64).normal_(generator=_gen(17))
    q = t if rows >= cols else t.T  # (max, min), orthonormal columns
    torch.testing.assert_close(q.T @ q, torch.eye(min(shape), dtype=torch.float64))
    r = q.T @ a
    torch.testing.assert_close(r, r.triu(), atol=1e-12, rtol=0)  # R is upper triangular
    assert bool((torch.diagonal(r) > 0).all())  # the sign fix
    torch.testing.assert_close(q @ r, a)


def test_orthogonal_needs_a_matrix() -> None:
    with pytest.raises(InitializerError) as err:
        I.orthogonal_(torch.empty(2, 3, 4))
    assert str(err.value) == "orthogonal needs a 2-D matrix, got shape (2, 3, 4)"


# --- layouts ---------------------------------------------------------------------------------


def test_gate_block_repr_of_live_and_projection_blocks() -> None:
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=1)
    blocks = {(b.param_name, b.gate): b for b in gates(lstm)}
    assert repr(blocks[("weight_ih_l1_reverse", "g")]) == (
        "GateBlock(weight_ih_l1_reverse[6:9], layer=1, direction=1, kind='input', gate='g',"
        " shape=(3, 2))"
    )
    assert repr(blocks[("weight_hr_l0", None)]) == (
        "GateBlock(weight_hr_l0[0:1], layer=0, direction=0, kind='projection', gate=None,"
        " shape=(1, 3))"
    )


def test_gate_block_repr_marks_a_parametrized_weight_not_live() -> None:
    gru = parametrizations.weight_norm(nn.GRU(2, 3), "weight_hh_l0")
    block = next(b for b in gates(gru) if b.param_name == "weight_hh_l0" and b.gate == "z")
    assert repr(block) == (
        "GateBlock(weight_hh_l0[3:6], layer=0, direction=0, kind='recurrent', gate='z',"
        " shape=(3, 3), live=False)"
    )


def test_effective_weight_recomputes_legacy_weight_norm() -> None:
    """The legacy hook caches ``weight`` at its last forward; the effective weight is g v/|v|."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lstm = torch.nn.utils.weight_norm(nn.LSTM(2, 3), "weight_hh_l0")
    with torch.no_grad():
        lstm.get_parameter("weight_hh_l0_g").mul_(2.0)  # the cached attribute is now stale
    g = lstm.get_parameter("weight_hh_l0_g").detach()  # (12, 1): one norm per row (dim=0)
    v = lstm.get_parameter("weight_hh_l0_v").detach()
    expected = g * v / v.norm(dim=1, keepdim=True)
    eff = effective_weight(lstm, "weight_hh_l0")
    torch.testing.assert_close(eff, expected)
    stale = lstm.weight_hh_l0
    assert isinstance(stale, torch.Tensor)
    assert not torch.allclose(eff, stale.detach())  # not the stale cache
    assert not eff.requires_grad


def test_gate_blocks_carry_the_qualified_and_module_names() -> None:
    model = nn.ModuleDict({"enc": nn.GRU(2, 3), "dec": nn.GRUCell(3, 4)})
    blocks = gates(model)
    assert {(b.module_name, b.param_name.split(".")[0]) for b in blocks} == {
        ("enc", "enc"),
        ("dec", "dec"),
    }
    assert {b.module_name for b in gates(nn.LSTM(2, 3))} == {""}


# Layout(family, nonlinearity, is_cell, input_size, hidden_size, proj_size, num_layers,
#        num_directions, bias, batch_first)
LAYOUT_CASES = [
    (
        nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, batch_first=True),
        Layout("LSTM", None, False, 3, 5, 2, 2, 2, True, True),
    ),
    (
        nn.GRU(3, 5, num_layers=3, bias=False),
        Layout("GRU", None, False, 3, 5, 0, 3, 1, False, False),
    ),
    (nn.RNN(4, 6, nonlinearity="relu"), Layout("RNN", "relu", False, 4, 6, 0, 1, 1, True, False)),
    (nn.RNN(4, 6, bidirectional=True), Layout("RNN", "tanh", False, 4, 6, 0, 1, 2, True, False)),
    (nn.LSTMCell(3, 7), Layout("LSTM", None, True, 3, 7, 0, 1, 1, True, False)),
    (nn.GRUCell(3, 7, bias=False), Layout("GRU", None, True, 3, 7, 0, 1, 1, False, False)),
    (
        nn.RNNCell(2, 8, nonlinearity="relu"),
        Layout("RNN", "relu", True, 2, 8, 0, 1, 1, True, False),
    ),
    (nn.RNNCell(2, 8), Layout("RNN", "tanh", True, 2, 8, 0, 1, 1, True, False)),
]


@pytest.mark.parametrize(("module", "expected"), LAYOUT_CASES)
def test_layout_of_reads_every_field(module: nn.Module, expected: Layout) -> None:
    lay = layout_of(module)
    assert lay == expected


@pytest.mark.parametrize(
    ("module", "gate_names", "hidden_out", "keep"),
    [
        (nn.LSTM(3, 5, proj_size=2), ("i", "f", "g", "o"), 2, "f"),
        (nn.GRU(3, 5), ("r", "z", "n"), 5, "z"),
        (nn.RNN(3, 5), ("h",), 5, None),
    ],
)
def test_layout_properties_and_row_slices(
    module: nn.Module, gate_names: tuple[str, ...], hidden_out: int, keep: str | None
) -> None:
    lay = layout_of(module)
    assert (lay.gate_names, lay.num_gates, lay.hidden_out, lay.keep_gate) == (
        gate_names,
        len(gate_names),
        hidden_out,
        keep,
    )
    for k, gate in enumerate(gate_names):  # H = 5 rows per gate, stacked in this order
        assert lay.gate_slice(gate) == slice(5 * k, 5 * (k + 1))


class _OtherCell(nn.RNNCellBase):
    def __init__(self) -> None:
        super().__init__(2, 3, bias=True, num_chunks=2)


def test_layout_of_errors() -> None:
    with pytest.raises(TypeError) as err:
        layout_of(nn.Linear(2, 2))
    assert str(err.value) == "expected nn.RNN, nn.LSTM, nn.GRU or a Cell class, got Linear"
    with pytest.raises(TypeError) as err:
        layout_of(_OtherCell())
    assert str(err.value) == "unsupported recurrent cell type _OtherCell"
    lstm = nn.LSTM(2, 3)
    lstm.mode = "RNN_GELU"
    with pytest.raises(TypeError) as err:
        layout_of(lstm)
    assert str(err.value) == "unsupported RNN mode 'RNN_GELU' in LSTM"


def test_parameters_of_lists_every_weight_with_its_role() -> None:
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    refs = parameters_of(lstm, "enc.rnn")
    got = [(r.name, r.local_name, r.layer, r.direction, r.kind) for r in refs]
    expected = []
    for layer in (0, 1):
        for direction, suffix in ((0, ""), (1, "_reverse")):
            for prefix, kind in (
                ("weight_ih", "input"),
                ("weight_hh", "recurrent"),
                ("bias_ih", "bias_ih"),
                ("bias_hh", "bias_hh"),
                ("weight_hr", "projection"),
            ):
                local = f"{prefix}_l{layer}{suffix}"
                expected.append((f"enc.rnn.{local}", local, layer, direction, kind))
    assert got == expected
    for r in refs:
        assert r.param is getattr(lstm, r.local_name)  # the live Parameter itself
        assert (r.module_name, r.module, r.parametrization) == ("enc.rnn", lstm, None)
        assert r.layout == layout_of(lstm)


class _ScaledGRUCell(nn.GRUCell):
    def __init__(self) -> None:
        super().__init__(2, 3)
        self.scale = nn.Parameter(torch.ones(3))  # not a gate weight: skipped


def test_parameters_of_a_cell_skips_foreign_parameters() -> None:
    cell = _ScaledGRUCell()
    refs = parameters_of(cell)
    assert [(r.name, r.layer, r.direction, r.kind) for r in refs] == [
        ("weight_ih", 0, 0, "input"),
        ("weight_hh", 0, 0, "recurrent"),
        ("bias_ih", 0, 0, "bias_ih"),
        ("bias_hh", 0, 0, "bias_hh"),
    ]
    assert {r.module_name for r in refs} == {""}


def test_parameters_of_parametrized_weights_in_pytorch_order() -> None:
    gru = parametrizations.weight_norm(nn.GRU(2, 3, num_layers=2), "weight_hh_l1")
    assert "weight_hh_l1" not in [r.local_name for r in parameters_of(gru)]
    refs = parameters_of(gru, "m", parametrized=True)
    assert [(r.local_name, r.parametrization) for r in refs] == [
        ("weight_ih_l0", None),
        ("weight_hh_l0", None),
        ("bias_ih_l0", None),
        ("bias_hh_l0", None),
        ("weight_ih_l1", None),
        ("weight_hh_l1", "parametrize"),
        ("bias_ih_l1", None),
        ("bias_hh_l1", None),
    ]
    hh = refs[5]
    assert (hh.name, hh.layer, hh.kind) == ("m.weight_hh_l1", 1, "recurrent")
    original = gru.parametrizations.weight_hh_l1.original1.detach()  # v; original0 is g
    g = gru.parametrizations.weight_hh_l1.original0.detach()
    torch.testing.assert_close(hh.param, g * original / original.norm(dim=1, keepdim=True))


def test_parameters_of_a_cell_with_legacy_weight_norm_in_cell_order() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        cell = torch.nn.utils.weight_norm(nn.LSTMCell(2, 3), "weight_hh")
    refs = parameters_of(cell, parametrized=True)  # weight_hh_g / weight_hh_v are skipped
    assert [(r.local_name, r.kind, r.parametrization) for r in refs] == [
        ("weight_ih", "input", None),
        ("weight_hh", "recurrent", "weight_norm"),
        ("bias_ih", "bias_ih", None),
        ("bias_hh", "bias_hh", None),
    ]
    assert [r.local_name for r in parameters_of(cell)] == ["weight_ih", "bias_ih", "bias_hh"]
