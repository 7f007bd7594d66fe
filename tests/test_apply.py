"""``rnninit.init_``: what each scheme writes, per gate block, and the guarantees around it."""

from __future__ import annotations

import copy
import math
import warnings

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import (
    InitializerError,
    NoRecurrentModuleError,
    SchemeError,
    UnknownNameError,
)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _block(module: nn.Module, kind: str, gate: str | None, layer: int = 0, direction: int = 0):
    (b,) = [
        b
        for b in rnninit.gates(module)
        if b.kind == kind and b.gate == gate and b.layer == layer and b.direction == direction
    ]
    return b.tensor.detach()


def _eff_bias(module: nn.Module, gate: str, layer: int = 0, direction: int = 0) -> torch.Tensor:
    return _block(module, "bias_ih", gate, layer, direction) + _block(
        module, "bias_hh", gate, layer, direction
    )


def _snapshot(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _assert_unchanged(module: nn.Module, snap: list[torch.Tensor]) -> None:
    for p, s in zip(module.parameters(), snap, strict=True):
        assert torch.equal(p, s)


def _is_orthogonal(w: torch.Tensor, tol: float = 1e-4) -> bool:
    w = w.double()
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    return bool(torch.allclose(gram, torch.eye(gram.shape[0], dtype=gram.dtype), atol=tol))


# --- PyTorch default ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(3, 8, 2, bidirectional=True, proj_size=4),
        lambda: nn.GRU(5, 7, 3),
        lambda: nn.RNN(2, 6, nonlinearity="relu", bidirectional=True),
        lambda: nn.LSTMCell(3, 9),
        lambda: nn.GRUCell(4, 4),
        lambda: nn.RNNCell(4, 5, bias=False),
    ],
)
def test_pytorch_scheme_is_bit_identical_to_reset_parameters(make) -> None:
    torch.manual_seed(123)
    mod = make()
    state = torch.get_rng_state()
    mod.reset_parameters()
    expected = _snapshot(mod)
    torch.set_rng_state(state)
    with torch.no_grad():
        for p in mod.parameters():
            p.fill_(0.0)
    rnninit.init_(mod, "pytorch")
    _assert_unchanged(mod, expected)


# --- effective bias semantics ---------------------------------------------------------------


def test_forget_bias_is_effective_not_doubled() -> None:
    lstm = nn.LSTM(3, 8, 2, bidirectional=True)
    rnninit.init_(lstm, "pytorch", forget_bias=1.0)
    for layer in range(2):
        for d in range(2):
            torch.testing.assert_close(_eff_bias(lstm, "f", layer, d), torch.ones(8))
            assert torch.all(_block(lstm, "bias_hh", "f", layer, d) == 0)
            # other gates keep PyTorch's raw draws
            assert _block(lstm, "bias_hh", "i", layer, d).abs().sum() > 0
    # the effective forget gate is sigmoid(1) = 0.731, not sigmoid(2) = 0.881
    assert abs(torch.sigmoid(_eff_bias(lstm, "f")).mean().item() - 0.7311) < 1e-4


def test_gru_bias_hn_is_kept_apart() -> None:
    gru = nn.GRU(3, 6)
    rnninit.init_(gru, "orthogonal", bias=0.5, bias_hn=-0.25)
    torch.testing.assert_close(_block(gru, "bias_ih", "n"), torch.full((6,), 0.5))
    torch.testing.assert_close(_block(gru, "bias_hh", "n"), torch.full((6,), -0.25))
    for g in ("r", "z"):
        torch.testing.assert_close(_eff_bias(gru, g), torch.full((6,), 0.5))
        assert torch.all(_block(gru, "bias_hh", g) == 0)


def test_forget_bias_on_gru_sets_the_keep_gate_z() -> None:
    gru = nn.GRU(3, 6)
    rnninit.init_(gru, "keras", forget_bias=2.0)
    torch.testing.assert_close(_eff_bias(gru, "z"), torch.full((6,), 2.0))
    torch.testing.assert_close(_eff_bias(gru, "r"), torch.zeros(6))


# --- schemes, per block ---------------------------------------------------------------------


def test_orthogonal_scheme_is_orthogonal_per_gate_block_folk_is_not() -> None:
    lstm = nn.LSTM(10, 32, 2)
    rnninit.init_(lstm, "orthogonal", generator=_gen())
    for g in "ifgo":
        for layer in range(2):
            assert _is_orthogonal(_block(lstm, "recurrent", g, layer))
    torch.testing.assert_close(_eff_bias(lstm, "f"), torch.ones(32))
    for g in "igo":
        assert torch.all(_eff_bias(lstm, g) == 0)
    # input blocks: glorot per block, bound sqrt(6 / (in + H))
    assert _block(lstm, "input", "g").abs().max() <= math.sqrt(6 / (10 + 32))
    folk = nn.LSTM(10, 32)
    rnninit.init_(folk, "folk_xavier", generator=_gen())
    assert _is_orthogonal(folk.weight_hh_l0.detach())  # the whole stack is orthogonal...
    for g in "ifgo":  # ...but no gate block is
        assert not _is_orthogonal(_block(folk, "recurrent", g), tol=0.05)


def test_keras_scheme_whole_matrix_statistics() -> None:
    lstm = nn.LSTM(10, 32)
    rnninit.init_(lstm, "keras", generator=_gen())
    w_ih = lstm.weight_ih_l0.detach()
    limit = math.sqrt(6 / (10 + 4 * 32))  # glorot over the whole (in, 4H) kernel
    assert w_ih.abs().max() <= limit and w_ih.abs().max() > 0.9 * limit
    assert _is_orthogonal(lstm.weight_hh_l0.detach())
    expected = torch.zeros(128)
    expected[32:64] = 1.0
    torch.testing.assert_close(lstm.bias_ih_l0 + lstm.bias_hh_l0, expected)


def test_chrono_lstm_and_gru() -> None:
    lstm = nn.LSTM(3, 500)
    rnninit.init_(lstm, "chrono", max_timescale=100, generator=_gen())
    bf = _eff_bias(lstm, "f")
    torch.testing.assert_close(_eff_bias(lstm, "i"), -bf)
    assert bf.min() >= 0 and bf.max() <= math.log(99) + 1e-5 and bf.std() > 0.3
    for g in "go":
        assert torch.all(_eff_bias(lstm, g) == 0)
    gru = nn.GRU(3, 500)
    rnninit.init_(gru, "chrono", max_timescale=100, generator=_gen())
    bz = _eff_bias(gru, "z")
    assert bz.min() >= 0 and bz.max() <= math.log(99) + 1e-5
    assert torch.all(_eff_bias(gru, "r") == 0)
    # the implied timescales 1/(1 - sigmoid(b)) span 2 .. T_max
    tau = 1 / (1 - torch.sigmoid(bz))
    assert tau.min() >= 2 - 1e-4 and tau.max() <= 100 + 1e-2 and tau.max() > 80


def test_irnn_on_relu_rnn_and_its_limits() -> None:
    rnn = nn.RNN(4, 16, nonlinearity="relu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rnninit.init_(rnn, "irnn", generator=_gen())
    torch.testing.assert_close(rnn.weight_hh_l0.detach(), torch.eye(16))
    assert rnn.weight_ih_l0.std() < 0.002
    with pytest.warns(rnninit.errors.SchemeWarning, match="RNN:relu"):
        rnninit.init_(nn.RNN(4, 16), "irnn")
    lstm = nn.LSTM(4, 16, proj_size=8)
    snap = _snapshot(lstm)
    with pytest.raises(InitializerError, match="square.*proj_size"):
        rnninit.init_(lstm, "irnn")
    _assert_unchanged(lstm, snap)


def test_uniform_gate_scheme() -> None:
    lstm = nn.LSTM(3, 400)
    rnninit.init_(lstm, "uniform_gate", generator=_gen())
    gate = torch.sigmoid(_eff_bias(lstm, "f"))
    assert gate.min() >= 1 / 400 - 1e-6 and gate.max() <= 1 - 1 / 400 + 1e-6
    assert abs(gate.mean().item() - 0.5) < 0.05


def test_sonnet_and_flax_scales() -> None:
    lstm = nn.LSTM(64, 100)
    rnninit.init_(lstm, "sonnet", generator=_gen())
    assert abs(lstm.weight_ih_l0.std().item() * 8 / 0.8796 - 1) < 0.05
    assert abs(lstm.weight_hh_l0.std().item() * 10 / 0.8796 - 1) < 0.05
    torch.testing.assert_close(_eff_bias(lstm, "f"), torch.ones(100))
    rnninit.init_(lstm, "flax", generator=_gen())
    assert abs(lstm.weight_ih_l0.var().item() * 64 - 1) < 0.08
    assert all(_is_orthogonal(_block(lstm, "recurrent", g)) for g in "ifgo")
    assert torch.all(lstm.bias_ih_l0 + lstm.bias_hh_l0 == 0)


def test_folk_normal() -> None:
    gru = nn.GRU(30, 60)
    rnninit.init_(gru, "folk_normal", generator=_gen())
    assert abs(gru.weight_hh_l0.std().item() / 0.02 - 1) < 0.03
    assert torch.all(gru.bias_hh_l0 == 0)
    rnninit.init_(gru, "folk_normal", std=0.1, generator=_gen())
    assert abs(gru.weight_hh_l0.std().item() / 0.1 - 1) < 0.03


# --- overrides ------------------------------------------------------------------------------


def test_per_gate_overrides_and_callables() -> None:
    lstm = nn.LSTM(4, 6)
    seen: list[tuple[int, ...]] = []

    def mark(t: torch.Tensor) -> None:
        seen.append(tuple(t.shape))
        t.fill_(3.0)

    rnninit.init_(
        lstm,
        "orthogonal",
        gates={"o": {"recurrent": mark, "bias": ("constant", {"value": -1.0})}},
        input=("normal", {"std": 0.5}),
        generator=_gen(),
    )
    assert seen == [(6, 6)]
    assert torch.all(_block(lstm, "recurrent", "o") == 3.0)
    assert _is_orthogonal(_block(lstm, "recurrent", "i"))
    torch.testing.assert_close(_eff_bias(lstm, "o"), torch.full((6,), -1.0))
    torch.testing.assert_close(_eff_bias(lstm, "f"), torch.ones(6))


def test_scheme_none_applies_only_overrides() -> None:
    lstm = nn.LSTM(4, 6)
    w = lstm.weight_hh_l0.detach().clone()
    rnninit.init_(lstm, forget_bias=1.0)
    assert torch.equal(lstm.weight_hh_l0, w)
    torch.testing.assert_close(_eff_bias(lstm, "f"), torch.ones(6))
    with pytest.raises(SchemeError, match="needs a scheme"):
        rnninit.init_(lstm)


def test_include_exclude_choose_layers() -> None:
    model = nn.ModuleDict({"enc": nn.LSTM(3, 4), "dec": nn.LSTM(4, 4)})
    dec_before = _snapshot(model["dec"])
    rnninit.init_(model, "keras", include="enc*")
    _assert_unchanged(model["dec"], dec_before)
    torch.testing.assert_close(_eff_bias(model["enc"], "f"), torch.ones(4))


# --- guarantees -----------------------------------------------------------------------------


def test_in_place_same_parameters_same_storage() -> None:
    lstm = nn.LSTM(4, 8, 2, bidirectional=True)
    before = {n: (p, p.data_ptr()) for n, p in lstm.named_parameters()}
    flat = list(lstm._flat_weights)
    rnninit.init_(lstm, "chrono", max_timescale=50)
    for n, p in lstm.named_parameters():
        assert p is before[n][0] and p.data_ptr() == before[n][1] and p.requires_grad
    assert all(a is b for a, b in zip(lstm._flat_weights, flat, strict=True))


def test_same_seed_same_bits() -> None:
    a, b = nn.GRU(5, 9, 2), nn.GRU(5, 9, 2)
    for scheme in ("orthogonal", "flax", "sonnet", "keras", "uniform_gate"):
        rnninit.init_(a, scheme, generator=_gen(42))
        rnninit.init_(b, scheme, generator=_gen(42))
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
        rnninit.init_(b, scheme, generator=_gen(43))
        assert not all(
            torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True)
        )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_dtype_is_kept(dtype: torch.dtype) -> None:
    lstm = nn.LSTM(4, 16).to(dtype)
    rnninit.init_(lstm, "orthogonal", generator=_gen())
    assert all(p.dtype == dtype for p in lstm.parameters())
    tol = 1e-2 if dtype != torch.float64 else 1e-10
    assert _is_orthogonal(_block(lstm, "recurrent", "g"), tol=tol * 5)


def test_meta_device_then_to_empty() -> None:
    with torch.device("meta"):
        lstm = nn.LSTM(4, 8)
    with pytest.raises(SchemeError, match="to_empty"):
        rnninit.init_(lstm, "orthogonal")
    lstm = lstm.to_empty(device="cpu")
    rnninit.init_(lstm, "orthogonal", generator=_gen())
    assert _is_orthogonal(_block(lstm, "recurrent", "f"))
    out, _ = lstm(torch.randn(3, 2, 4))
    assert torch.isfinite(out).all()


def test_atomic_when_a_callable_fails_midway() -> None:
    lstm = nn.LSTM(4, 8, 2)
    snap = _snapshot(lstm)

    def boom(t: torch.Tensor) -> None:
        raise RuntimeError("user initializer failed")

    with pytest.raises(RuntimeError, match="user initializer failed"):
        rnninit.init_(lstm, "orthogonal", gates={"o": {"bias": boom}})  # after earlier writes
    _assert_unchanged(lstm, snap)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scheme": "orthogonl"}, UnknownNameError, "Did you mean 'orthogonal'"),
        ({"scheme": "orthogonal", "recurrent": "orthgonal"}, UnknownNameError, "'orthogonal'"),
        ({"scheme": "orthogonal", "gates": {"x": {"bias": 1.0}}}, UnknownNameError, "valid: f, g"),
        ({"scheme": "orthogonal", "gates": {"f": {"bais": 1.0}}}, UnknownNameError, "'bias'"),
        ({"scheme": "orthogonal", "gates": {"z": {"bias": 1.0}}}, SchemeError, "LSTM"),
        ({"scheme": "chrono"}, SchemeError, "max_timescale"),
        ({"scheme": "chrono", "max_timescale": 1.5}, InitializerError, "max_timescale"),
        ({"scheme": "chrono", "max_timescale": "long"}, InitializerError, "number"),
        ({"scheme": "chrono", "max_timescale": float("inf")}, InitializerError, "finite"),
        (
            {"scheme": "orthogonal", "input": ("kaiming_normal", {"nonlinearity": "relux"})},
            InitializerError,
            "nonlinearity='relux'",
        ),
        ({"scheme": "orthogonal", "input": "identity"}, InitializerError, "weight_ih_l0"),
        ({"scheme": "chrono", "max_timescle": 100}, UnknownNameError, "max_timescale"),
        ({"scheme": "orthogonal", "input": ("normal", {"sd": 1})}, InitializerError, "std"),
        (
            {"scheme": "orthogonal", "input": ("uniform", {"low": 1, "high": 0})},
            InitializerError,
            "low <= high",
        ),
        ({"scheme": "orthogonal", "recurrent": object()}, InitializerError, "not an initializer"),
        ({"scheme": "irnn", "include": "nothing"}, NoRecurrentModuleError, "recurrent modules"),
        ({"scheme": "orthogonal", "generator": 3}, TypeError, "Generator"),
        ({"scheme": 5}, SchemeError, "scheme must be"),
    ],
)
def test_errors_are_typed_clear_and_leave_the_module_untouched(kwargs, error, match) -> None:
    lstm = nn.LSTM(4, 8, proj_size=2)
    snap = _snapshot(lstm)
    with pytest.raises(error, match=match):
        rnninit.init_(lstm, **kwargs)
    _assert_unchanged(lstm, snap)


def test_errors_on_rnn_and_bias_free_layers() -> None:
    with pytest.raises(SchemeError, match="nn.RNN"):
        rnninit.init_(nn.RNN(3, 4), "chrono", max_timescale=10)
    with pytest.raises(SchemeError, match="forget_bias"):
        rnninit.init_(nn.RNN(3, 4), forget_bias=1.0)
    lstm = nn.LSTM(3, 4, bias=False)
    with pytest.raises(SchemeError, match="bias=False"):
        rnninit.init_(lstm, forget_bias=1.0)
    with pytest.raises(SchemeError, match="bias=False"):
        rnninit.init_(lstm, layers={0: {"bias": 1.0}})
    rnninit.init_(lstm, "keras")  # a scheme's own bias on a bias-free layer is simply skipped
    with pytest.raises(TypeError, match="Module"):
        rnninit.init_(torch.zeros(3), "keras")  # type: ignore[arg-type]


def test_init_returns_the_module_and_training_runs() -> None:
    model = nn.Sequential()
    lstm = nn.LSTM(3, 8, batch_first=True)
    assert rnninit.init_(lstm, "chrono", max_timescale=20) is lstm
    opt = torch.optim.SGD(lstm.parameters(), lr=0.1)
    out, _ = lstm(torch.randn(2, 5, 3))
    out.sum().backward()
    opt.step()
    del model


def test_deepcopy_after_init_keeps_values() -> None:
    lstm = rnninit.init_(nn.LSTM(3, 8), "orthogonal", generator=_gen())
    clone = copy.deepcopy(lstm)
    assert all(
        torch.equal(p, q) for p, q in zip(lstm.parameters(), clone.parameters(), strict=True)
    )


def test_per_layer_overrides() -> None:
    rnn = nn.RNN(4, 8, num_layers=3, nonlinearity="relu")
    rnninit.init_(
        rnn, "keras", layers={1: {"recurrent": "identity", "bias": 0.5}}, generator=_gen()
    )
    torch.testing.assert_close(rnn.weight_hh_l1.detach(), torch.eye(8))
    torch.testing.assert_close(rnn.bias_ih_l1 + rnn.bias_hh_l1, torch.full((8,), 0.5))
    assert _is_orthogonal(rnn.weight_hh_l0.detach()) and not torch.equal(
        rnn.weight_hh_l2, torch.eye(8)
    )
    assert torch.all(rnn.bias_ih_l0 == 0)
    # gate-level beats layer-level
    lstm = nn.LSTM(4, 8, 2)
    rnninit.init_(lstm, "orthogonal", layers={1: {"bias": 0.25}}, gates={"f": {"bias": 3.0}})
    torch.testing.assert_close(_eff_bias(lstm, "f", 1), torch.full((8,), 3.0))
    torch.testing.assert_close(_eff_bias(lstm, "o", 1), torch.full((8,), 0.25))
    torch.testing.assert_close(_eff_bias(lstm, "o", 0), torch.zeros(8))
    with pytest.raises(UnknownNameError, match="Did you mean 'recurrent'"):
        rnninit.init_(lstm, "orthogonal", layers={1: {"recurent": "identity"}})
    with pytest.raises(SchemeError, match="layer indices"):
        rnninit.init_(lstm, "orthogonal", layers={"top": {"recurrent": "identity"}})
