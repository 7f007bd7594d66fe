"""Every error branch of recipes and scheme parameters: its type and its exact message."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from apply_contract_support import _GATE_NAMES, _INITS, _gen
from torch import nn

import rnninit
from rnninit.errors import InitializerError, SchemeError, SchemeWarning, UnknownNameError
from rnninit.initializers import Init
from rnninit.schemes import Recipe

# --- every error branch of recipes and scheme parameters: type and exact message -------------


def _from(data: object) -> Callable[[], object]:
    return lambda: Recipe.from_dict(data)  # type: ignore[arg-type]


def _over(**kwargs: object) -> Callable[[], object]:
    return lambda: Recipe("r").with_overrides(**kwargs)  # type: ignore[arg-type]


def _validate(**fields: object) -> Callable[[], object]:
    return lambda: Recipe("r", **fields).validate()  # type: ignore[arg-type]


_ERRORS: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("from_dict: not a dict", _from([1, 2]), SchemeError, "a recipe dict is needed, got list"),
    (
        "from_dict: unknown key",
        _from({"name": "x", "recurent": "orthogonal"}),
        UnknownNameError,
        "recipe key='recurent' is not known; valid: bias, bias_hh, bias_hn, bias_ih, "
        "designed_for, families, gates, input, layers, name, params, projection, recurrent, "
        "source, tied, whole. Did you mean 'recurrent'?",
    ),
    (
        "from_dict: unknown initializer of a kind",
        _from({"name": "x", "input": "nromal"}),
        UnknownNameError,
        f"input='nromal' is not known; valid: {_INITS}. Did you mean 'normal'?",
    ),
    (
        "from_dict: bad parameter of a kind",
        _from({"name": "x", "bias_hh": ("normal", {"std": "big"})}),
        InitializerError,
        "bias_hh: parameter 'std' of 'normal' must be a number, got 'big'",
    ),
    (
        "whole: unknown kind",
        _from({"name": "x", "input": "zeros", "whole": ["inputs"]}),
        UnknownNameError,
        "whole='inputs' is not known; valid: bias_hh, bias_ih, input, projection, recurrent. "
        "Did you mean 'input'?",
    ),
    (
        "validate: unknown gate",
        _validate(gates={"q": {"bias": Init("zeros")}}),
        UnknownNameError,
        f"gates='q' is not known; valid: {_GATE_NAMES}",
    ),
    (
        "validate: unknown gate kind",
        _validate(gates={"f": {"bais": Init("zeros")}}),
        UnknownNameError,
        "gates['f']='bais' is not known; valid: bias, bias_hh, bias_hn, bias_ih, input, "
        "recurrent. Did you mean 'bias'?",
    ),
    (
        "validate: unknown family",
        _from({"name": "x", "families": ["LSMT"]}),
        UnknownNameError,
        "families='LSMT' is not known; valid: GRU, LSTM, RNN. Did you mean 'LSTM'?",
    ),
    (
        "validate: unknown designed_for family",
        _validate(designed_for=("RNN:relu", "GRUU")),
        UnknownNameError,
        "families='GRUU' is not known; valid: GRU, LSTM, RNN. Did you mean 'GRU'?",
    ),
    (
        "validate: derived from a derived gate",
        _validate(tied={"i": {"bias": "-f"}, "f": {"bias": "o"}}),
        SchemeError,
        "tied['i']['bias']='-f': gate 'f' is itself derived; derive from a drawn gate",
    ),
    (
        "with_overrides: unknown keyword",
        _over(recurent="orthogonal"),
        UnknownNameError,
        "keyword='recurent' is not known; valid: bias, bias_hn, forget_bias, gates, input, "
        "layers, projection, recurrent, whole. Did you mean 'recurrent'?",
    ),
    (
        "with_overrides: input",
        _over(input="orthogonl"),
        UnknownNameError,
        f"input='orthogonl' is not known; valid: {_INITS}. Did you mean 'orthogonal'?",
    ),
    (
        "with_overrides: projection",
        _over(projection="orthogonl"),
        UnknownNameError,
        f"projection='orthogonl' is not known; valid: {_INITS}. Did you mean 'orthogonal'?",
    ),
    (
        "with_overrides: bias",
        _over(bias="zeroes"),
        UnknownNameError,
        f"bias='zeroes' is not known; valid: {_INITS}. Did you mean 'zeros'?",
    ),
    (
        "with_overrides: bias_hn",
        _over(bias_hn="zeroes"),
        UnknownNameError,
        f"bias_hn='zeroes' is not known; valid: {_INITS}. Did you mean 'zeros'?",
    ),
    (
        "with_overrides: forget_bias",
        _over(forget_bias="one"),
        UnknownNameError,
        f"forget_bias='one' is not known; valid: {_INITS}. Did you mean 'ones'?",
    ),
    (
        "with_overrides: gates not a dict",
        _over(gates=[("f", 1.0)]),
        SchemeError,
        "gates= takes a dict like {'f': {'bias': 1.0}}, got list",
    ),
    (
        "gates: unknown gate",
        _over(gates={"q": {"bias": 1.0}}),
        UnknownNameError,
        f"gates='q' is not known; valid: {_GATE_NAMES}",
    ),
    (
        "gates: a gate's kinds not a dict",
        _over(gates={"f": 1.0}),
        SchemeError,
        "gates['f'] takes a dict of matrix kind -> initializer, e.g. {'bias': 1.0}, got 1.0",
    ),
    (
        "gates: unknown kind",
        _over(gates={"f": {"bais": 1.0}}),
        UnknownNameError,
        "gates['f']='bais' is not known; valid: bias, bias_hh, bias_hn, bias_ih, input, "
        "recurrent. Did you mean 'bias'?",
    ),
    (
        "gates: unknown initializer",
        _over(gates={"f": {"bias": "zeroes"}}),
        UnknownNameError,
        f"gates['f']['bias']='zeroes' is not known; valid: {_INITS}. Did you mean 'zeros'?",
    ),
    (
        "layers: not a dict",
        _over(layers=[1]),
        SchemeError,
        "layers= takes a dict like {1: {'recurrent': 'identity'}}, got [1]",
    ),
    (
        "layers: not an index",
        _over(layers={"top": {"bias": 1.0}}),
        SchemeError,
        "layers= keys are layer indices (0, 1, ...), got 'top'",
    ),
    (
        "layers: a negative index",
        _over(layers={-1: {"bias": 1.0}}),
        SchemeError,
        "layers= keys are layer indices (0, 1, ...), got -1",
    ),
    (
        "layers: a layer's kinds not a dict",
        _over(layers={1: "identity"}),
        SchemeError,
        "layers[1] takes a dict of matrix kind -> initializer, e.g. {'recurrent': 'identity'}, "
        "got 'identity'",
    ),
    (
        "layers: unknown kind",
        _over(layers={1: {"recurent": "identity"}}),
        UnknownNameError,
        "layers[1]='recurent' is not known; valid: bias, bias_hh, bias_hn, bias_ih, input, "
        "projection, recurrent. Did you mean 'recurrent'?",
    ),
    (
        "tied: not a dict",
        _from({"name": "x", "tied": ["i"]}),
        SchemeError,
        "tied takes a dict like {'i': {'bias': '-f'}}, got ['i']",
    ),
    (
        "tied: unknown gate",
        _from({"name": "x", "tied": {"q": {"bias": "-f"}}}),
        UnknownNameError,
        f"tied='q' is not known; valid: {_GATE_NAMES}",
    ),
    (
        "tied: a gate's kinds not a dict",
        _from({"name": "x", "tied": {"i": "-f"}}),
        SchemeError,
        "tied['i'] takes a dict like {'bias': '-f'}, got '-f'",
    ),
    (
        "tied: a kind that cannot be tied",
        _from({"name": "x", "tied": {"i": {"recurrent": "-f"}}}),
        UnknownNameError,
        "tied['i']='recurrent' is not known; valid: bias",
    ),
    (
        "tied: not a gate name",
        _from({"name": "x", "tied": {"i": {"bias": 3}}}),
        SchemeError,
        "tied['i']['bias']=3: give a gate name, '-' for its negative, e.g. '-f'",
    ),
    (
        "tied: unknown source gate",
        _from({"name": "x", "tied": {"i": {"bias": "-q"}}}),
        UnknownNameError,
        f"tied['i']['bias'] source gate='q' is not known; valid: {_GATE_NAMES}",
    ),
    (
        "tied: from itself",
        _from({"name": "x", "tied": {"f": {"bias": "-f"}}}),
        SchemeError,
        "tied['f']['bias']='-f': a gate cannot be derived from itself",
    ),
    (
        "tied: across families",
        _from({"name": "x", "tied": {"i": {"bias": "-z"}}}),
        SchemeError,
        "tied['i']['bias']='-z': gates 'i' and 'z' are not of one family",
    ),
    (
        "tied: GRU n as the target",
        _from({"name": "x", "tied": {"n": {"bias": "-r"}}}),
        SchemeError,
        "tied['n']['bias']='-r': GRU's n bias is split by the reset gate (b_in + r * b_hn) and "
        "cannot be tied",
    ),
    (
        "tied: GRU n as the source",
        _from({"name": "x", "tied": {"z": {"bias": "n"}}}),
        SchemeError,
        "tied['z']['bias']='n': GRU's n bias is split by the reset gate (b_in + r * b_hn) and "
        "cannot be tied",
    ),
    (
        "recipe: auto has no fixed recipe",
        lambda: rnninit.recipe("auto"),
        SchemeError,
        "scheme 'auto' is calibrated on data, so it has no fixed recipe: call "
        "rnninit.init_(model, 'auto', data=batch) (or horizon= without data)",
    ),
    (
        "recipe: unknown scheme",
        lambda: rnninit.recipe("orthogonl"),
        UnknownNameError,
        "scheme='orthogonl' is not known; valid: auto, chrono, flax, folk_normal, folk_xavier, "
        "irnn, keep, keras, orthogonal, pytorch, sonnet, uniform_gate. Did you mean 'orthogonal'?",
    ),
    (
        "recipe: a keyword the scheme does not take",
        lambda: rnninit.recipe("irnn", input_sd=0.1),  # type: ignore[call-arg]
        UnknownNameError,
        "keyword for scheme 'irnn'='input_sd' is not known; valid: bias, bias_hn, forget_bias, "
        "gain, gates, input, input_std, layers, projection, recurrent, whole. Did you mean "
        "'input_std'?",
    ),
    (
        "recipe: a scheme parameter with a Recipe",
        lambda: rnninit.recipe(Recipe("r"), max_timescale=3),
        UnknownNameError,
        "keyword='max_timescale' is not known; valid: bias, bias_hn, forget_bias, gates, input, "
        "layers, projection, recurrent, whole",
    ),
    (
        "recipe: not a name, Recipe or dict",
        lambda: rnninit.recipe(5),  # type: ignore[arg-type]
        SchemeError,
        "scheme must be a name (pytorch, keras, flax, sonnet, orthogonal, chrono, irnn, "
        "uniform_gate, folk_normal, folk_xavier, keep), a Recipe or a dict, got 5",
    ),
    (
        "chrono: no max_timescale",
        lambda: rnninit.recipe("chrono"),
        SchemeError,
        "scheme 'chrono' needs max_timescale= (T_max, the longest dependency in steps: e.g. the "
        "sequence length; 3T/2 for the copy task), e.g. init_(model, 'chrono', max_timescale=200)",
    ),
    (
        "chrono: max_timescale",
        lambda: rnninit.recipe("chrono", max_timescale="long"),  # type: ignore[arg-type]
        InitializerError,
        "max_timescale: parameter 'max_timescale' of 'chrono' must be a number, got 'long'",
    ),
    (
        "irnn: input_std",
        lambda: rnninit.recipe("irnn", input_std="big"),  # type: ignore[arg-type]
        InitializerError,
        "input_std: parameter 'std' of 'normal' must be a number, got 'big'",
    ),
    (
        "irnn: gain",
        lambda: rnninit.recipe("irnn", gain="big"),  # type: ignore[arg-type]
        InitializerError,
        "gain: parameter 'gain' of 'identity' must be a number, got 'big'",
    ),
    (
        "folk_normal: std",
        lambda: rnninit.recipe("folk_normal", std="big"),  # type: ignore[arg-type]
        InitializerError,
        "std: parameter 'std' of 'normal' must be a number, got 'big'",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "message"), [c[1:] for c in _ERRORS], ids=[c[0] for c in _ERRORS]
)
def test_every_error_branch_is_typed_with_its_exact_message(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as err:
        make()
    assert type(err.value) is error
    inits = ", ".join(sorted(rnninit.initializers.INITIALIZERS))
    assert str(err.value) == message.replace(_INITS, inits)


def test_irnn_on_an_lstm_warns_that_it_was_designed_for_relu_rnns() -> None:
    with pytest.warns(SchemeWarning) as caught:
        rnninit.init_(nn.LSTM(5, 5), "irnn", generator=_gen())
    assert [str(w.message) for w in caught] == [
        "scheme 'irnn' was designed for RNN:relu layers; applying it to the module (LSTM)"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rnninit.init_(nn.GRU(3, 4), "uniform_gate", generator=_gen())  # designed for: silent
