"""The contract of ``init_``, the named schemes and recipes as data, pinned where it was loose.

Values are checked on raw parameter rows (LSTM rows i, f, g, o; GRU r, z, n; ``H`` rows per
gate) or by behaviour, against what ``docs/recipes.md`` and the schemes' sources (PyTorch,
Keras 3, Flax, Sonnet 2, the papers) state, never through rnninit's own gate mapping. Error
messages are part of the contract: each branch is asserted with its exact text.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable

import pytest
import torch
from scipy import stats
from torch import nn
from torch.nn.utils import parametrizations

import rnninit
from rnninit.apply import SCHEME_ATTRIBUTE, SchemeWarning
from rnninit.auto import auto_init_
from rnninit.errors import InitializerError, SchemeError, UnknownNameError
from rnninit.recipes import Recipe
from rnninit.registry import Init

# stands for the registered initializer names in a message (other tests register more of them,
# so the list is read when the test runs)
_INITS = "{inits}"
_GATE_NAMES = "f, g, h, i, n, o, r, z"
# Flax/Keras variance_scaling: the std of a normal truncated at +-2 std is 0.8796 x its scale
_TRUNC_2 = 0.87962566103423978


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def _assert_same(module: nn.Module, snap: dict[str, torch.Tensor]) -> None:
    now = dict(module.named_parameters())
    assert now.keys() == snap.keys()
    for name, saved in snap.items():
        assert torch.equal(now[name], saved), name


def _rows(t: torch.Tensor, gate: int, h: int) -> torch.Tensor:
    """Raw rows of gate number ``gate`` (in PyTorch's row order) of a stacked parameter."""
    return t.detach()[gate * h : (gate + 1) * h]


# --- every scheme: its name, parameters, source and families are data of the recipe ----------

_SCHEME_PARAMS: dict[str, dict[str, float]] = {
    "chrono": {"max_timescale": 77.0},
    "irnn": {"input_std": 0.01, "gain": 0.9},
    "folk_normal": {"std": 0.05},
}


def _module_for(name: str) -> nn.Module:
    if name == "irnn":
        return nn.RNN(5, 5, nonlinearity="relu")  # square input: the identity fits
    return nn.LSTM(3, 5)


@pytest.mark.parametrize("name", rnninit.SCHEMES)
def test_each_scheme_is_named_on_the_layers_it_initialized(name: str) -> None:
    mod = _module_for(name)
    extra: dict[str, object] = {"forget_bias": 1.0} if name == "keep" else {}
    rnninit.init_(mod, name, generator=_gen(), **_SCHEME_PARAMS.get(name, {}), **extra)  # type: ignore[arg-type]
    assert getattr(mod, SCHEME_ATTRIBUTE) == name
    assert rnninit.recipe(name, **_SCHEME_PARAMS.get(name, {})).name == name  # type: ignore[arg-type]


@pytest.mark.parametrize("name", rnninit.SCHEMES)
def test_params_record_what_the_recipe_was_built_with_and_rebuild_it(name: str) -> None:
    given = _SCHEME_PARAMS.get(name, {})  # every parameter given, none at its default
    r = rnninit.recipe(name, **given)  # type: ignore[arg-type]
    assert dict(r.params) == given
    assert rnninit.recipe(r.name, **r.params) == r


def test_scheme_parameters_reach_the_weights() -> None:
    rnn = nn.RNN(6, 6, nonlinearity="relu")
    rnninit.init_(rnn, "irnn", input_std=0.2, gain=0.9, generator=_gen(1))
    assert torch.equal(rnn.weight_hh_l0.detach(), 0.9 * torch.eye(6))
    w = rnn.weight_ih_l0.detach().double().flatten()  # 36 draws of N(0, 0.2^2)
    assert stats.kstest(w.numpy(), stats.norm(scale=0.2).cdf).pvalue > 1e-3
    assert stats.kstest(w.numpy(), stats.norm(scale=0.001).cdf).pvalue < 1e-6  # control
    gru = nn.GRU(30, 40)
    rnninit.init_(gru, "folk_normal", std=0.3, generator=_gen(2))
    v = gru.weight_ih_l0.detach().double().flatten().numpy()
    assert stats.kstest(v, stats.norm(scale=0.3).cdf).pvalue > 1e-3


# start of the source (the origin it cites), facts it states, its end: docs/recipes.md's
# "Sources and exact definitions", in the schemes' own wording
_SOURCES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "pytorch": (
        "torch.nn.RNNBase.reset_parameters: ", ("every parameter",), "U(-1/sqrt(H), 1/sqrt(H))"
    ),
    "keras": (
        "Keras 3 LSTM/GRU/SimpleRNN defaults: ",
        (
            "glorot_uniform kernel over (in, G*H), orthogonal recurrent_kernel over (H, G*H)",
            "zero bias, unit_forget_bias=True (LSTM), GRU",
        ),
        "GRU reset_after=True",
    ),
    "flax": (
        "flax.linen.recurrent LSTMCell/GRUCell/SimpleCell: ",
        ("kernel_init lecun_normal, recurrent_kernel_init orthogonal per gate (H x H)",),
        "bias_init zeros",
    ),
    "sonnet": (
        "sonnet.LSTM/GRU: ",
        ("w_i ~ TruncatedNormal(1/sqrt(input_size)), w_h ~ TruncatedNormal(1/sqrt(hidden_size))",),
        "b = 0, LSTM forget_bias = 1.0",
    ),
    "orthogonal": (
        "Saxe et al. 2014 (orthogonal per gate block); ",
        ("Glorot & Bengio 2010 (input)",),
        "Gers et al. 2000 / Jozefowicz et al. 2015 (forget bias 1)",
    ),
    "chrono": (
        "Tallec & Ollivier, ICLR 2018: ",
        ("b_f ~ log U(1, T_max - 1), b_i = -b_f", "(GRU: b_z = +log U(1, T_max - 1))"),
        "'orthogonal' scheme",
    ),
    "irnn": (
        "Le, Jaitly & Hinton 2015: ",
        ("W_hh = I, b = 0", "(Keras example N(0, 0.001)); relu RNNs"),
        "the learning rate must shrink with T",
    ),
    "uniform_gate": (
        "Gu et al. 2020: ",
        ("u ~ U(1/d, 1 - 1/d), b_f = -log(1/u - 1) (GRU: b_z); weights",),
        "weights as the 'orthogonal' scheme",
    ),
    "folk_normal": (
        "common forum recipe: ", ("normal_(p, 0, 0.02) on every weight",), "zero biases"
    ),
    "folk_xavier": (
        "common forum recipe: ",
        ("xavier_uniform_(weight_ih), orthogonal_(weight_hh) on the whole stacked matrix",),
        "(not per gate), zero biases",
    ),
    "keep": ("leave every parameter as it is; ", (), "only overrides are applied"),
}  # fmt: skip


def test_the_source_table_covers_every_scheme() -> None:
    assert set(_SOURCES) == set(rnninit.SCHEMES)


@pytest.mark.parametrize("name", sorted(_SOURCES))
def test_each_scheme_cites_its_origin_and_law(name: str) -> None:
    start, facts, end = _SOURCES[name]
    source = rnninit.recipe(name, **_SCHEME_PARAMS.get(name, {})).source  # type: ignore[arg-type]
    assert source.startswith(start) and source.endswith(end), source
    for fact in facts:
        assert fact in source, fact


_ALL = ("LSTM", "GRU", "RNN")
# the "for" column of docs/recipes.md: families it applies to, families it was designed for
_FOR: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "chrono": (("LSTM", "GRU"), ("LSTM", "GRU")),
    "uniform_gate": (("LSTM", "GRU"), ("LSTM", "GRU")),
    "irnn": (_ALL, ("RNN:relu",)),
}


@pytest.mark.parametrize("name", rnninit.SCHEMES)
def test_families_and_designed_for_are_the_catalogue_s(name: str) -> None:
    r = rnninit.recipe(name, **_SCHEME_PARAMS.get(name, {}))  # type: ignore[arg-type]
    assert (r.families, r.designed_for) == _FOR.get(name, (_ALL, _ALL))


def test_uniform_gate_refuses_a_layer_without_a_keep_gate() -> None:
    rnn = nn.RNN(3, 5)
    snap = _snapshot(rnn)
    with pytest.raises(SchemeError) as err:
        rnninit.init_(rnn, "uniform_gate")
    assert str(err.value) == (
        "scheme 'uniform_gate' applies to LSTM, GRU layers; the module is an nn.RNN (RNN). "
        "Select layers with include=/exclude="
    )
    _assert_same(rnn, snap)


# --- biases and projections, on raw rows -----------------------------------------------------


def test_sonnet_biases_are_zero_but_the_lstm_forget_slice() -> None:
    h = 5
    lstm = nn.LSTM(3, h, num_layers=2)  # PyTorch's default biases are random, never all 0
    rnninit.init_(lstm, "sonnet", generator=_gen())
    for layer in range(2):
        b_ih = getattr(lstm, f"bias_ih_l{layer}").detach()
        expected = torch.zeros(4 * h)
        expected[h : 2 * h] = 1.0  # forget_bias = 1.0, the effective bias b_ih + b_hh
        assert torch.equal(b_ih, expected)
        assert not getattr(lstm, f"bias_hh_l{layer}").detach().any()
    gru = nn.GRU(3, 6)
    rnninit.init_(gru, "sonnet", generator=_gen())
    assert not gru.bias_ih_l0.detach().any() and not gru.bias_hh_l0.detach().any()


def test_irnn_biases_are_zero_and_w_hh_the_identity_in_every_layer() -> None:
    rnn = nn.RNN(4, 6, num_layers=2, nonlinearity="relu")
    rnninit.init_(rnn, "irnn", generator=_gen())
    for layer in range(2):
        assert torch.equal(getattr(rnn, f"weight_hh_l{layer}").detach(), torch.eye(6))
        assert not getattr(rnn, f"bias_ih_l{layer}").detach().any()
        assert not getattr(rnn, f"bias_hh_l{layer}").detach().any()


def test_irnn_projection_is_an_identity_that_cannot_fit() -> None:
    lstm = nn.LSTM(4, 6, proj_size=3)  # weight_hr is (3, 6): never square
    snap = _snapshot(lstm)
    with pytest.raises(InitializerError) as err:
        rnninit.init_(lstm, "irnn", recurrent="orthogonal")  # the recurrent blocks would fit
    assert str(err.value) == (
        "initializer 'identity' on weight_hr_l0 (shape (3, 6)): identity needs a square matrix, "
        "got shape (3, 6) (with proj_size the recurrent blocks are H x proj_size and weight_hr "
        "is proj_size x H: an identity cannot fit); use include=/exclude= or a per-kind override "
        "such as input='xavier_uniform'"
    )
    _assert_same(lstm, snap)


def test_orthogonal_projection_has_orthonormal_rows() -> None:
    lstm = nn.LSTM(6, 9, proj_size=4)
    rnninit.init_(lstm, "orthogonal", generator=_gen(12))
    w = lstm.weight_hr_l0.detach().double()  # (4, 9)
    assert torch.allclose(w @ w.T, torch.eye(4, dtype=torch.float64), atol=1e-6)


def test_a_tie_reads_the_effective_bias_by_default() -> None:
    r = Recipe("r", tied={"i": {"bias": "-f"}, "z": {"bias": "r"}})
    assert (r.tie("i"), r.tie("z"), r.tie("f")) == (("f", -1.0), ("r", 1.0), None)
    assert r.tie("i", "bias") == ("f", -1.0)


def test_flax_projection_is_lecun_normal() -> None:
    h = 64
    lstm = nn.LSTM(6, h, proj_size=24)
    rnninit.init_(lstm, "flax", generator=_gen(3))
    w = lstm.weight_hr_l0.detach().double().flatten().numpy()  # (24, 64): fan_in = 64
    scale = math.sqrt(1 / h) / _TRUNC_2  # variance_scaling(1, "fan_in", "truncated_normal")
    assert abs(w).max() <= 2 * scale
    assert stats.kstest(w, stats.truncnorm(-2, 2, scale=scale).cdf).pvalue > 1e-3
    bound = 1 / math.sqrt(h)  # control: PyTorch's default U(+-1/sqrt(H)) is told apart
    assert stats.kstest(w, stats.uniform(-bound, 2 * bound).cdf).pvalue < 1e-6


def test_sonnet_projection_is_a_fan_in_truncated_normal() -> None:
    h = 64
    lstm = nn.LSTM(6, h, proj_size=24)
    rnninit.init_(lstm, "sonnet", generator=_gen(4))
    w = lstm.weight_hr_l0.detach().double().flatten().numpy()  # (24, 64): fan_in = 64
    stddev = 1 / math.sqrt(h)  # TensorFlow's stddev: before the truncation at 2 stddev
    assert abs(w).max() <= 2 * stddev
    assert stats.kstest(w, stats.truncnorm(-2, 2, scale=stddev).cdf).pvalue > 1e-3
    assert stats.kstest(w, stats.uniform(-stddev, 2 * stddev).cdf).pvalue < 1e-6  # control


# --- whole-matrix draws: a gate override leaves the other rows of the draw as they were -------


def test_pytorch_scheme_with_a_gate_override_keeps_reset_parameters_elsewhere() -> None:
    h = 5
    torch.manual_seed(11)
    lstm = nn.LSTM(3, h)
    state = torch.get_rng_state()
    lstm.reset_parameters()
    expected = _snapshot(lstm)
    torch.set_rng_state(state)
    rnninit.init_(lstm, "pytorch", gates={"f": {"recurrent": 0.25}})
    w = lstm.weight_hh_l0.detach()
    assert torch.all(w[h : 2 * h] == 0.25)
    for gate in (0, 2, 3):  # i, g, o: the rows of PyTorch's one whole-matrix draw
        assert torch.equal(_rows(w, gate, h), _rows(expected["weight_hh_l0"], gate, h))
    for name in ("weight_ih_l0", "bias_ih_l0", "bias_hh_l0"):
        assert torch.equal(getattr(lstm, name).detach(), expected[name]), name


def test_folk_normal_with_a_gate_override_keeps_the_whole_matrix_draw_elsewhere() -> None:
    h = 6
    plain, overridden = nn.GRU(4, h), nn.GRU(4, h)
    rnninit.init_(plain, "folk_normal", generator=_gen(5))
    rnninit.init_(overridden, "folk_normal", gates={"z": {"recurrent": 0.0}}, generator=_gen(5))
    w = overridden.weight_hh_l0.detach()
    assert not _rows(w, 1, h).any()  # z: rows H:2H
    for gate in (0, 2):  # r, n
        assert torch.equal(_rows(w, gate, h), _rows(plain.weight_hh_l0, gate, h))
    assert torch.equal(overridden.weight_ih_l0, plain.weight_ih_l0)


def test_an_effective_bias_on_pytorch_keeps_its_weights_and_zeroes_b_hh() -> None:
    h = 5
    torch.manual_seed(12)
    lstm = nn.LSTM(3, h)
    state = torch.get_rng_state()
    lstm.reset_parameters()
    expected = _snapshot(lstm)
    torch.set_rng_state(state)
    rnninit.init_(lstm, "pytorch", bias=0.5)
    assert torch.equal(lstm.bias_ih_l0.detach(), torch.full((4 * h,), 0.5))
    assert not lstm.bias_hh_l0.detach().any()
    for name in ("weight_ih_l0", "weight_hh_l0"):  # still drawn as a whole, in the same order
        assert torch.equal(getattr(lstm, name).detach(), expected[name]), name
    assert rnninit.recipe("pytorch", bias=0.5).whole == ("input", "recurrent", "projection")


def test_a_projection_override_replaces_the_whole_matrix_draw() -> None:
    lstm = nn.LSTM(3, 8, proj_size=3)
    rnninit.init_(lstm, "keras", projection="orthogonal", generator=_gen(6))
    w = lstm.weight_hr_l0.detach().double()  # (3, 8): orthonormal rows
    assert torch.allclose(w @ w.T, torch.eye(3, dtype=torch.float64), atol=1e-6)
    assert "projection" not in rnninit.recipe("keras", projection="orthogonal").whole


def test_layer_overrides_merge_with_the_recipe_s_own() -> None:
    h = 4
    r = rnninit.recipe("orthogonal", layers={0: {"recurrent": "identity"}})
    r = r.with_overrides(layers={1: {"bias": 0.5}})
    lstm = nn.LSTM(4, h, num_layers=2)
    rnninit.init_(lstm, r, generator=_gen(7))
    w0 = lstm.weight_hh_l0.detach()
    for gate in range(4):  # layer 0 keeps the recipe's identity per block
        assert torch.equal(_rows(w0, gate, h), torch.eye(h))
    b1 = lstm.bias_ih_l1.detach() + lstm.bias_hh_l1.detach()
    expected = torch.full((4 * h,), 0.5)
    expected[h : 2 * h] = 1.0  # gates= (the forget bias 1) wins over layers=
    assert torch.equal(b1, expected)


def test_a_positive_tie_read_from_a_dict_applies_on_raw_rows() -> None:
    data = {
        "name": "mine",
        "bias": "zeros",
        "gates": {"r": {"bias": 0.7}},
        "tied": {"z": {"bias": "r"}},  # GRU z = +r: a tie within GRU that is not about n
        "families": ["GRU"],
    }
    gru = rnninit.init_(nn.GRU(3, 4), Recipe.from_dict(data))
    eff = gru.bias_ih_l0.detach() + gru.bias_hh_l0.detach()
    assert torch.allclose(eff[0:8], torch.full((8,), 0.7))  # r and z
    assert not eff[8:12].any()


def test_a_dict_without_name_or_source_is_a_custom_recipe() -> None:
    r = Recipe.from_dict({"recurrent": "orthogonal"})
    assert r == Recipe("custom", recurrent=Init("orthogonal"))
    assert r.source == ""
    gru = rnninit.init_(nn.GRU(3, 4), {"recurrent": "orthogonal"}, generator=_gen())
    assert getattr(gru, SCHEME_ATTRIBUTE) == "custom"


# --- tied biases that cannot apply to the layer ----------------------------------------------


@pytest.mark.parametrize(
    ("tied", "message"),
    [
        (
            {"r": {"bias": "-f"}},
            "tied bias on bias_ih_l0[gate r]: source gate 'f' must be another gate of this "
            "layer (z, n)",
        ),
        (
            {"z": {"bias": "z"}},
            "tied bias on bias_ih_l0[gate z]: source gate 'z' must be another gate of this "
            "layer (r, n)",
        ),
    ],
)
def test_a_tie_whose_source_is_not_another_gate_of_the_layer_is_refused(
    tied: dict, message: str
) -> None:
    # Recipe(...) is not validated on construction: apply_recipe checks the tie on the layer
    r = Recipe("mine", bias=Init("zeros"), tied=tied, families=("GRU",))
    gru = nn.GRU(3, 4)
    snap = _snapshot(gru)
    with pytest.raises(SchemeError) as err:
        rnninit.init_(gru, r)
    assert str(err.value) == message
    _assert_same(gru, snap)


# --- init_(model, "auto", ...) ---------------------------------------------------------------


class _EncDec(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.LSTM(3, 5)
        self.dec = nn.GRU(5, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dec(self.enc(x)[0])[0]


def _data() -> torch.Tensor:
    return 4 * torch.randn(7, 2, 3, generator=_gen(99)) + 1


_SELECT = [{"include": "enc"}, {"exclude": "dec"}]


@pytest.mark.parametrize("select", _SELECT)
def test_init_auto_is_auto_init_on_the_selected_layers(select: dict[str, str]) -> None:
    a, b = _EncDec(), _EncDec()
    b.load_state_dict(a.state_dict())
    dec_before = _snapshot(a.dec)
    assert rnninit.init_(a, "auto", data=_data(), generator=_gen(3), **select) is a  # type: ignore[arg-type]
    auto_init_(b, _data(), generator=_gen(3), **select)
    _assert_same(a, _snapshot(b))
    _assert_same(a.dec, dec_before)
    h = 5  # the calibration really ran: every enc input block has mean square 1 on the data
    x = _data().reshape(-1, 3).double()
    for gate in range(4):
        w = _rows(a.enc.weight_ih_l0, gate, h).double()
        assert float((x @ w.T).pow(2).mean()) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("select", _SELECT)
def test_init_auto_overrides_win_on_the_selected_layers_reproducibly(
    select: dict[str, str],
) -> None:
    h = 5
    kwargs = {"forget_bias": 3.0, "recurrent": ("orthogonal", {"gain": 0.5}), **select}
    a, b, calibrated = _EncDec(), _EncDec(), _EncDec()
    b.load_state_dict(a.state_dict())
    calibrated.load_state_dict(a.state_dict())
    dec_before = _snapshot(a.dec)
    rnninit.init_(a, "auto", data=_data(), generator=_gen(4), **kwargs)  # type: ignore[arg-type]
    rnninit.init_(b, "auto", data=_data(), generator=_gen(4), **kwargs)  # type: ignore[arg-type]
    _assert_same(a, _snapshot(b))  # the overrides' draws use the generator too
    _assert_same(a.dec, dec_before)
    enc = a.enc
    assert torch.equal(_rows(enc.bias_ih_l0, 1, h), torch.full((h,), 3.0))  # f: rows H:2H
    assert not _rows(enc.bias_hh_l0, 1, h).any()
    for gate in range(4):
        u = _rows(enc.weight_hh_l0, gate, h).double()
        assert torch.allclose(u @ u.T, 0.25 * torch.eye(h, dtype=torch.float64), atol=1e-6)
    auto_init_(calibrated, _data(), generator=_gen(4), **select)  # the calibration is kept
    assert torch.equal(enc.weight_ih_l0, calibrated.enc.weight_ih_l0)


@pytest.mark.parametrize("select", _SELECT)
def test_init_auto_restores_every_layer_when_an_override_fails(select: dict[str, str]) -> None:
    model = _EncDec()
    snap = _snapshot(model)
    with pytest.raises(UnknownNameError) as err:  # raised after the calibration wrote
        rnninit.init_(model, "auto", data=_data(), gates={"q": {"bias": 1.0}}, **select)  # type: ignore[arg-type]
    assert str(err.value) == f"gates='q' is not known; valid: {_GATE_NAMES}"
    _assert_same(model, snap)


def test_init_auto_rejects_a_keyword_it_does_not_take() -> None:
    lstm = nn.LSTM(3, 5)
    snap = _snapshot(lstm)
    with pytest.raises(UnknownNameError) as err:
        rnninit.init_(lstm, "auto", data=_data(), max_timescale=9, forget_bias=2.0)
    assert str(err.value) == (
        "keyword for scheme 'auto'='max_timescale' is not known; valid: data, forget_bias, gain, "
        "horizon, lengths, max_batches, per_feature, target, timescales. Did you mean "
        "'timescales'?"
    )
    _assert_same(lstm, snap)


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
    inits = ", ".join(sorted(rnninit.registry.INITIALIZERS))
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


# --- init_ / apply_recipe: plans on raw rows ---------------------------------------------------


def test_exclude_leaves_the_excluded_layer_untouched() -> None:
    model = nn.ModuleDict({"enc": nn.LSTM(3, 5), "dec": nn.GRU(5, 6)})
    dec_before = _snapshot(model["dec"])
    rnninit.init_(model, "orthogonal", exclude="dec", generator=_gen())
    _assert_same(model["dec"], dec_before)
    w = model["enc"].weight_hh_l0.detach()
    for gate in range(4):
        u = _rows(w, gate, 5)
        assert torch.allclose(u @ u.T, torch.eye(5), atol=1e-5)


def test_a_per_layer_override_of_a_whole_matrix_kind_is_drawn_per_gate_block() -> None:
    h = 5
    lstm = nn.LSTM(4, h, num_layers=2)
    rnninit.init_(lstm, "keras", layers={1: {"recurrent": "orthogonal"}}, generator=_gen(8))
    w1 = lstm.weight_hh_l1.detach()
    for gate in range(4):  # layer 1: every gate block orthogonal by itself
        u = _rows(w1, gate, h)
        assert torch.allclose(u @ u.T, torch.eye(h), atol=1e-5)
    w0 = lstm.weight_hh_l0.detach()  # layer 0: Keras' whole (4H, H) matrix, blocks are not
    assert torch.allclose(w0.T @ w0, torch.eye(h), atol=1e-5)
    u0 = _rows(w0, 0, h)
    assert not torch.allclose(u0 @ u0.T, torch.eye(h), atol=0.05)


def test_a_per_layer_projection_override() -> None:
    lstm = nn.LSTM(3, 8, num_layers=2, proj_size=3)
    rnninit.init_(lstm, "keras", layers={1: {"projection": "orthogonal"}}, generator=_gen(9))
    w1 = lstm.weight_hr_l1.detach().double()  # (3, 8): orthonormal rows
    assert torch.allclose(w1 @ w1.T, torch.eye(3, dtype=torch.float64), atol=1e-6)
    w0 = lstm.weight_hr_l0.detach()  # layer 0 keeps Keras' glorot_uniform, bound sqrt(6/11)
    assert w0.abs().max() <= math.sqrt(6 / (3 + 8))
    assert not torch.allclose(w0 @ w0.T, torch.eye(3), atol=0.05)


def test_a_per_layer_raw_bias_on_a_whole_matrix_scheme() -> None:
    h = 5
    lstm = nn.LSTM(3, h, num_layers=2)
    before = _snapshot(lstm)
    rnninit.init_(lstm, "pytorch", layers={1: {"bias_hh": 0.25}}, generator=_gen(10))
    assert torch.equal(lstm.bias_hh_l1.detach(), torch.full((4 * h,), 0.25))
    b_ih = lstm.bias_ih_l1.detach()  # still PyTorch's U(+-1/sqrt(H)) draw
    assert b_ih.abs().max() <= 1 / math.sqrt(h) and b_ih.std() > 0
    assert not torch.equal(b_ih, before["bias_ih_l1"])


def test_gru_b_hn_by_gate_by_layer_and_by_default() -> None:
    h = 4
    n = slice(2 * h, 3 * h)  # GRU rows r, z, n
    gru = nn.GRU(3, h, num_layers=2)
    rnninit.init_(gru, "orthogonal", layers={1: {"bias_hn": -0.2}}, generator=_gen())
    assert torch.equal(gru.bias_hh_l1.detach()[n], torch.full((h,), -0.2))
    assert not gru.bias_hh_l0.detach().any()
    rnninit.init_(gru, "orthogonal", gates={"n": {"bias_hn": 0.3}}, generator=_gen())
    for layer in range(2):
        b_hh = getattr(gru, f"bias_hh_l{layer}").detach()
        assert torch.equal(b_hh[n], torch.full((h,), 0.3))
        assert not b_hh[: 2 * h].any()
    fresh = nn.GRU(3, h)  # random PyTorch biases; only an effective bias is given
    rnninit.init_(fresh, bias=0.5)
    assert torch.equal(fresh.bias_ih_l0.detach(), torch.full((3 * h,), 0.5))
    assert not fresh.bias_hh_l0.detach().any()  # b_hn defaults to 0 with an effective bias


def test_a_tie_adds_both_raw_biases_of_its_source_and_zeroes_its_own_b_hh() -> None:
    h = 5
    data = {
        "name": "raw",
        "bias_ih": 0.3,  # raw biases, drawn per block: no effective bias to merge them
        "bias_hh": 0.2,
        "tied": {"i": {"bias": "-f"}},
        "families": ["LSTM"],
    }
    lstm = rnninit.init_(nn.LSTM(3, h), Recipe.from_dict(data))
    b_ih, b_hh = lstm.bias_ih_l0.detach(), lstm.bias_hh_l0.detach()
    assert torch.allclose(_rows(b_ih, 0, h), torch.full((h,), -0.5))  # -(0.3 + 0.2)
    assert not _rows(b_hh, 0, h).any()
    for gate in (1, 2, 3):  # f, g, o keep their raw values
        assert torch.allclose(_rows(b_ih, gate, h), torch.full((h,), 0.3))
        assert torch.allclose(_rows(b_hh, gate, h), torch.full((h,), 0.2))


def test_chrono_with_a_whole_orthogonal_kernel_fits_an_orthogonal_parametrization() -> None:
    h = 4
    lstm = parametrizations.orthogonal(nn.LSTM(3, h), "weight_hh_l0")
    rnninit.init_(
        lstm,
        "chrono",
        max_timescale=20,
        recurrent="orthogonal",
        whole=("recurrent",),  # the fix the parametrization's error message names
        generator=_gen(),
    )
    w = lstm.weight_hh_l0.detach()  # (4H, H): orthonormal columns
    assert torch.allclose(w.T @ w, torch.eye(h), atol=1e-5)
    b = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
    assert torch.equal(_rows(b, 0, h), -_rows(b, 1, h)) and _rows(b, 1, h).min() >= 0


def test_every_parametrized_weight_of_a_layer_is_written() -> None:
    plain = nn.GRU(3, 4)
    wrapped = parametrizations.weight_norm(nn.GRU(3, 4), "weight_ih_l0")
    wrapped = parametrizations.weight_norm(wrapped, "weight_hh_l0")
    rnninit.init_(plain, "orthogonal", generator=_gen(11))
    rnninit.init_(wrapped, "orthogonal", generator=_gen(11))
    for name in ("weight_ih_l0", "weight_hh_l0"):  # same draws, as effective weights
        assert torch.allclose(getattr(wrapped, name), getattr(plain, name), atol=1e-6), name


def test_a_tie_alone_is_written_through_a_parametrized_bias() -> None:
    h = 5
    lstm = parametrizations.weight_norm(nn.LSTM(3, h), "bias_ih_l0", dim=None)
    b_ih, b_hh = lstm.bias_ih_l0.detach().clone(), lstm.bias_hh_l0.detach().clone()
    tie_only = Recipe.from_dict({"name": "tie", "tied": {"i": {"bias": "-f"}}})  # no draw
    rnninit.init_(lstm, tie_only)
    expected = -(_rows(b_ih, 1, h) + _rows(b_hh, 1, h))  # b_i = -(b_ih[f] + b_hh[f])
    assert torch.allclose(_rows(lstm.bias_ih_l0, 0, h), expected, atol=1e-6)
    assert not _rows(lstm.bias_hh_l0, 0, h).any()
    assert torch.allclose(lstm.bias_ih_l0.detach()[h:], b_ih[h:], atol=1e-6)
    assert torch.equal(lstm.bias_hh_l0.detach()[h:], b_hh[h:])


def test_a_legacy_weight_norm_weight_is_restored_when_a_later_layer_fails() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        enc = torch.nn.utils.weight_norm(nn.LSTM(3, 5), "weight_hh_l0")
    model = nn.ModuleDict({"enc": enc, "dec": nn.LSTM(5, 4)})
    snap = _snapshot(model)
    weight_before = enc.weight_hh_l0.detach().clone()
    calls: list[int] = []

    def fails_second(t: torch.Tensor) -> None:  # enc's block passes, dec's raises
        calls.append(t.shape[0])
        if len(calls) == 2:
            raise RuntimeError("second call")
        t.fill_(0.5)

    with pytest.raises(RuntimeError, match="^second call$"):
        rnninit.init_(model, "orthogonal", gates={"o": {"bias": fails_second}})
    assert calls == [5, 4]
    _assert_same(model, snap)  # weight_hh_l0_g and _v
    assert torch.equal(enc.weight_hh_l0, weight_before)  # the computed weight the hook set


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
        TypeError,
        "generator must be a torch.Generator or None, got int",
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
    with pytest.raises(TypeError) as err:
        rnninit.init_(torch.zeros(3), "orthogonal")  # type: ignore[type-var]
    assert str(err.value) == "module must be a torch.nn.Module, got Tensor"


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
