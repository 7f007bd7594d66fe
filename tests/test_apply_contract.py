"""The contract of ``init_`` and the named schemes as data: names, parameters, sources,
families, biases, projections, whole-matrix draws and ties, on raw parameter rows.

Values are checked on raw parameter rows (LSTM rows i, f, g, o; GRU r, z, n; ``H`` rows per
gate) or by behaviour, against what ``docs/recipes.md`` and the schemes' sources (PyTorch,
Keras 3, Flax, Sonnet 2, the papers) state, never through rnninit's own gate mapping.
"""

from __future__ import annotations

import math

import pytest
import torch
from apply_contract_support import _TRUNC_2, _assert_same, _gen, _rows, _snapshot
from scipy import stats
from torch import nn

import rnninit
from rnninit.errors import InitializerError, SchemeError
from rnninit.initializers import Init
from rnninit.schemes import Recipe
from rnninit.schemes._apply import SCHEME_ATTRIBUTE

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


@pytest.mark.parametrize("name", [s for s in rnninit.schemes.SCHEMES if s != "keep"])
def test_each_scheme_is_named_on_the_layers_it_initialized(name: str) -> None:
    mod = _module_for(name)
    rnninit.init_(mod, name, generator=_gen(), **_SCHEME_PARAMS.get(name, {}))  # type: ignore[arg-type]
    assert getattr(mod, SCHEME_ATTRIBUTE) == name
    assert rnninit.recipe(name, **_SCHEME_PARAMS.get(name, {})).name == name  # type: ignore[arg-type]


def test_overrides_alone_keep_the_name_of_the_scheme_before_them() -> None:
    mod = nn.LSTM(3, 5)
    rnninit.init_(mod, "keep", forget_bias=1.0)
    assert not hasattr(mod, SCHEME_ATTRIBUTE)  # nothing initialized it as a whole
    rnninit.init_(mod, "keras", generator=_gen())
    rnninit.init_(mod, None, forget_bias=2.0)
    assert getattr(mod, SCHEME_ATTRIBUTE) == "keras"  # the recurrent kernel is still Keras'
    assert rnninit.recipe("keep").name == "keep"


@pytest.mark.parametrize("name", rnninit.schemes.SCHEMES)
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
    assert set(_SOURCES) == set(rnninit.schemes.SCHEMES)


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


@pytest.mark.parametrize("name", rnninit.schemes.SCHEMES)
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
