"""Contracts of the ``auto`` scheme that its surviving mutants broke: exact error messages (type
and full text, also for a top-level module named ``''`` and a named child), the order in which
the arguments are checked, the T_max boundary, the flax base of keep-gate-free layers (gain and
generator), horizons read from ``lengths=``, the capture reused for the first module, a
one-rank ``torch.distributed`` group, and float64 mean squares that underflow or overflow.

A second section covers ``init_(model, "auto", ...)`` (:mod:`rnninit.facade`) and
:mod:`rnninit.layouts`. Every value is checked on raw PyTorch rows: ``weight_ih`` is
``(G*H, in)`` with the gate blocks as row blocks, LSTM ``i, f, g, o``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
from apply_contract_support import _assert_same, _gen, _snapshot
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

import rnninit
from rnninit.auto import auto_init_
from rnninit.errors import (
    ArgumentTypeError,
    CalibrationError,
    LayoutError,
    NoRecurrentModuleError,
    NotAModuleError,
    UnknownNameError,
)
from rnninit.layouts import Declaration
from rnninit.layouts._registry import declared, register_layout, unregister_layout
from rnninit.schemes._apply import DATA_HORIZON_ATTRIBUTE, SCHEME_ATTRIBUTE

IN, H, N, T = 3, 5, 4, 7  # input, hidden, batch, steps: sizes that cannot coincide
PATTERN = "expected a glob pattern (str) on qualified module names or a list of them"
#: Argument-type errors that come before any other check (``include``, ``exclude``,
#: ``generator``), for ``auto_init_`` and ``init_(model, "auto", ...)`` alike.
TYPE_ERRORS = [
    ({"include": 5}, f"include=5 (int) is not valid; {PATTERN}"),
    ({"exclude": 5}, f"exclude=5 (int) is not valid; {PATTERN}"),
    ({"generator": 5}, "generator=5 (int) is not valid; expected a torch.Generator or None"),
]


def _lstm() -> nn.LSTM:
    torch.manual_seed(0)
    return nn.LSTM(IN, H, batch_first=True)


def _x() -> torch.Tensor:
    return 3.0 * torch.randn(N, T, IN, generator=_gen(1)) + 1.0  # unnormalized, non-centred


def _raises(exc: type[Exception], message: str, fn: Any, *args: Any, **kwargs: Any) -> None:
    """``fn(*args, **kwargs)`` raises exactly ``exc`` with exactly ``message``."""
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc, repr(info.value)
    assert str(info.value) == message


# ---------------------------------------------------------------------------------------------
# rnninit.auto
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "1"}, "target must be a finite number, got '1'"),
        ({"gain": "2"}, "gain must be a finite number, got '2'"),
        ({"target": True}, "target must be a finite number, got True"),
    ],
)
def test_a_constant_that_is_not_a_number_is_a_calibration_error(
    kwargs: dict[str, object], message: str
) -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    _raises(CalibrationError, message, auto_init_, lstm, _x(), **kwargs)
    _assert_same(lstm, before)


def test_t_max_just_above_two_is_accepted_and_bounds_the_keep_bias() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(IN, 16, batch_first=True)
    auto_init_(lstm, horizon=1, reach=2.5, generator=_gen())  # T_max = 2.5 > 2
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    b_i, b_f = b[0:16], b[16:32]  # raw rows: gate i then gate f
    # tau in [2, 2.5] -> b_f = log(tau - 1) in [0, log 1.5]; LSTM b_i = -b_f
    assert float(b_f.min()) >= -1e-6
    assert float(b_f.max()) <= math.log(1.5) + 1e-6
    torch.testing.assert_close(b_i, -b_f, atol=0, rtol=0)


def test_t_max_of_exactly_two_is_rejected_with_the_whole_message() -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    _raises(
        CalibrationError,
        "the chrono T_max = reach * horizon must be > 2, got 1 * 2: give a longer horizon= "
        "(the longest dependency in steps) or a larger reach=",
        auto_init_,
        lstm,
        horizon=2,
        reach=1,
    )
    _assert_same(lstm, before)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ends", "targets='ends' is not known; valid: end, every_step. Did you mean 'end'?"),
        ("bogus", "targets='bogus' is not known; valid: end, every_step"),
    ],
)
def test_an_unknown_targets_names_the_argument(given: str, message: str) -> None:
    _raises(UnknownNameError, message, auto_init_, _lstm(), _x(), targets=given)


def test_a_non_module_is_an_argument_type_error_with_the_whole_message() -> None:
    assert issubclass(NotAModuleError, ArgumentTypeError)
    _raises(
        NotAModuleError,
        "module='lstm' (str) is not valid; expected a torch.nn.Module",
        auto_init_,
        "lstm",
        _x(),
    )


@pytest.mark.parametrize(("kwargs", "message"), TYPE_ERRORS)
def test_selection_and_generator_are_checked_before_the_constants(
    kwargs: dict[str, object], message: str
) -> None:
    # target=-1 is also wrong: the argument types are reported first
    _raises(ArgumentTypeError, message, auto_init_, _lstm(), _x(), target=-1.0, **kwargs)


def test_without_data_or_horizon_the_whole_message() -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    _raises(
        CalibrationError,
        "scheme 'auto' without data= needs horizon= (the longest dependency in steps, e.g. the "
        "sequence length): init_(model, 'auto', horizon=200), or give data= (a batch of real "
        "inputs) to calibrate on",
        auto_init_,
        lstm,
    )
    _assert_same(lstm, before)


@pytest.mark.parametrize("kwargs", [{"data": "x"}, {"horizon": 10}])
def test_every_selected_layer_is_marked_auto(kwargs: dict[str, object]) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.LSTM(IN, H, batch_first=True), _Select(), nn.GRU(H, 6))
    if "data" in kwargs:
        kwargs = {"data": _x()}
    auto_init_(model, generator=_gen(), **kwargs)
    assert getattr(model[0], SCHEME_ATTRIBUTE) == "auto"
    assert getattr(model[2], SCHEME_ATTRIBUTE) == "auto"


def _tanh_rnn() -> nn.RNN:
    return nn.RNN(IN, 6, batch_first=True)  # no keep gate: the flax base


def test_a_keep_gate_free_layer_gets_the_gain_on_its_recurrent_matrix() -> None:
    torch.manual_seed(0)
    rnn = _tanh_rnn()
    x = _x()
    auto_init_(rnn, x, gain=2.0, target=0.5, generator=_gen())
    u = rnn.weight_hh_l0.detach().double()
    # orthogonal times gain: U U^T = gain^2 I (float32 rounding: 1e-5)
    torch.testing.assert_close(u @ u.T, 4.0 * torch.eye(6, dtype=torch.float64), atol=1e-5, rtol=0)
    w = rnn.weight_ih_l0.detach().double()
    ms = float((x.reshape(-1, IN).double() @ w.T).pow(2).mean())
    assert ms == pytest.approx(0.5, rel=1e-5)  # the one block meets target on the data
    assert torch.count_nonzero(rnn.bias_ih_l0) == 0 and torch.count_nonzero(rnn.bias_hh_l0) == 0


def test_every_step_lstm_gets_the_gain_on_each_recurrent_block() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(IN, H, batch_first=True)
    auto_init_(lstm, _x(), gain=0.5, targets="every_step", generator=_gen())
    u = lstm.weight_hh_l0.detach().double()
    for j in range(4):  # raw row blocks i, f, g, o: each gain * orthogonal
        block = u[j * H : (j + 1) * H]
        torch.testing.assert_close(
            block @ block.T, 0.25 * torch.eye(H, dtype=torch.float64), atol=1e-6, rtol=0
        )


@pytest.mark.parametrize("kwargs", [{"gain": 1.0}, {"targets": "every_step"}])
def test_the_flax_base_draws_from_the_generator_not_the_global_seed(
    kwargs: dict[str, object],
) -> None:
    torch.manual_seed(0)
    first = _tanh_rnn() if "gain" in kwargs else nn.LSTM(IN, H, batch_first=True)
    second = type(first)(IN, first.hidden_size, batch_first=True)
    second.load_state_dict(first.state_dict())
    torch.manual_seed(11)
    auto_init_(first, _x(), generator=_gen(3), **kwargs)
    torch.manual_seed(22)  # another global state: the generator alone decides
    auto_init_(second, _x(), generator=_gen(3), **kwargs)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_the_horizon_from_data_is_the_longest_of_lengths_not_the_padded_length() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(IN, 32, batch_first=True)
    x = 2.0 * torch.randn(5, 9, IN, generator=_gen(2))  # 5 sequences padded to 9 steps
    lengths = torch.tensor([6, 2, 4, 3, 5])
    auto_init_(lstm, x, lengths=lengths, reach=1.0, generator=_gen())
    assert getattr(lstm, DATA_HORIZON_ATTRIBUTE) == 6.0
    b_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[32:64]  # raw rows of gate f
    # T_max = reach * 6 = 6: tau <= 6 -> b_f = log(tau - 1) <= log 5 (a padded T_max of 9 would
    # allow up to log 8; 32 log-uniform draws all below log 5 then have probability ~2e-4)
    assert float(b_f.max()) <= math.log(5.0) + 1e-6
    assert float(b_f.min()) >= -1e-6


class _Head(nn.Module):
    """Feeds only the first two sequences to its LSTM ``rnn``."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(IN, H, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x[:2])[0]


def test_lengths_that_do_not_fit_a_named_layer_name_it() -> None:
    torch.manual_seed(0)
    model = _Head()
    before = _snapshot(model)
    _raises(
        CalibrationError,
        "lengths= has 3 entries (max 5) but rnn sees a batch of 2 sequences of 5 steps: "
        "lengths= is for a single padded batch that reaches every recurrent layer unchanged; "
        "use a PackedSequence otherwise",
        auto_init_,
        model,
        torch.randn(3, 5, IN, generator=_gen(4)),
        lengths=torch.tensor([5, 4, 3]),
    )
    _assert_same(model, before)


class _DictLSTM(nn.Module):
    """A declared one-layer LSTM whose forward takes a dict (its input is no tensor)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(4 * H, IN))
        self.u = nn.Parameter(torch.zeros(4 * H, H))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return batch["x"] @ self.w.T


class _TwoLayer(nn.Module):
    """A declared two-layer LSTM (w0, u0, w1, u1) called on a time-major sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.w0 = nn.Parameter(torch.zeros(4 * H, IN))
        self.u0 = nn.Parameter(torch.zeros(4 * H, H))
        self.w1 = nn.Parameter(torch.zeros(4 * H, H))
        self.u1 = nn.Parameter(torch.zeros(4 * H, H))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.w0.T


def test_a_top_level_module_never_called_with_a_tensor_is_the_module() -> None:
    model = _DictLSTM()
    register_layout(model, Declaration("LSTM", "ifgo", input="w", recurrent="u", step="sequence"))
    before = _snapshot(model)
    _raises(
        CalibrationError,
        "the module was not called with a tensor or PackedSequence input during model(data): "
        "nothing to calibrate it on",
        auto_init_,
        model,
        {"x": torch.randn(N, T, IN, generator=_gen(5))},
        horizon=10,
    )
    _assert_same(model, before)


def test_a_stacked_module_that_is_not_rnnbase_cannot_run_one_layer_alone() -> None:
    model = _TwoLayer()
    register_layout(
        model,
        Declaration("LSTM", "ifgo", input="w{layer}", recurrent="u{layer}", step="sequence"),
    )
    before = _snapshot(model)
    _raises(
        CalibrationError,
        "the module (_TwoLayer) has 2 layers: 'auto' runs layer k alone only for "
        "nn.RNN/LSTM/GRU; declare and initialize its layers (or cells) one by one",
        auto_init_,
        model,
        torch.randn(T, N, IN, generator=_gen(6)),
    )
    _assert_same(model, before)


class _Counted(nn.Module):
    """Two LSTMs in a row, counting the forward passes of the whole model."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.LSTM(IN, H, batch_first=True)
        self.b = nn.LSTM(H, 6, batch_first=True)
        self.passes = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.passes += 1
        return self.b(self.a(x)[0])[0]


def test_the_first_module_reuses_the_first_capture_and_the_second_gets_a_fresh_one() -> None:
    torch.manual_seed(0)
    model = _Counted()
    x = _x()
    auto_init_(model, x, generator=_gen())
    assert model.passes == 2  # the capture pass, then one pass for b after a was calibrated
    # b was calibrated on what the calibrated a outputs (a fresh capture, not the first one)
    with torch.no_grad():
        ha = model.a(x)[0].reshape(-1, H).double()
    w = model.b.weight_ih_l0.detach().double()
    for j in range(4):
        ms = float((ha @ w[j * 6 : (j + 1) * 6].T).pow(2).mean())
        assert ms == pytest.approx(1.0, rel=1e-4)


def _two_modules() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.LSTM(IN, H, num_layers=2, batch_first=True), _Select(), nn.GRU(H, 6))


class _Select(nn.Module):
    def forward(self, out: tuple[torch.Tensor, Any]) -> torch.Tensor:
        return out[0].transpose(0, 1)  # batch-first output -> time-major GRU input


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_a_one_rank_process_group_gives_the_same_bits_as_no_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = _x()
    alone = _two_modules()
    auto_init_(alone, x, generator=_gen())
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        grouped = _two_modules()
        auto_init_(grouped, x, generator=_gen())  # the reductions and broadcasts really run
    finally:
        dist.destroy_process_group()
    for (name, a), b in zip(alone.named_parameters(), grouped.parameters(), strict=True):
        assert torch.equal(a, b), name
    assert getattr(grouped[0], DATA_HORIZON_ATTRIBUTE) == float(T)
    assert getattr(grouped[2], DATA_HORIZON_ATTRIBUTE) == float(T)


def _named_weight_norm() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("rnn", weight_norm(nn.LSTM(IN, H, batch_first=True), "weight_ih_l0"))
    return model


@pytest.mark.parametrize("kwargs", [{"data": "x"}, {"horizon": 10}])
def test_a_parametrized_input_weight_is_named_with_its_module(kwargs: dict[str, object]) -> None:
    model = _named_weight_norm()
    if "data" in kwargs:
        kwargs = {"data": _x()}
    before = _snapshot(model)
    _raises(
        CalibrationError,
        "rnn.weight_ih_l0 is not a plain Parameter (a parametrization?): initialize the model "
        "before registering parametrizations",
        auto_init_,
        model,
        generator=_gen(),
        **kwargs,
    )
    _assert_same(model, before)


def _tiny_float64() -> tuple[nn.LSTM, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    lstm = nn.LSTM(1, 1, batch_first=True).double()
    return lstm, _snapshot(lstm)


# One step of one sequence whose square is the smallest float64 subnormal, 4.94e-324: S has a
# positive diagonal, and without per_feature the gate block's mean square w^2 * S rounds to 0
# (|w| < 0.5 on the first gate) or stays 4.94e-324, where target / ms overflows to inf. Which
# one depends only on the base draw of the seeded generator (seeds 4 and 7).
_SUBNORMAL = torch.full((1, 1, 1), math.sqrt(5e-324), dtype=torch.float64)


def test_a_gate_whose_mean_square_underflows_to_zero_carries_no_signal() -> None:
    lstm, before = _tiny_float64()
    _raises(
        CalibrationError,
        "the input of the module (layer 0) carries no signal (mean square 0) for gate 'i': "
        "cannot scale its input weights",
        auto_init_,
        lstm,
        _SUBNORMAL,
        per_feature=False,
        generator=_gen(4),
    )
    _assert_same(lstm, before)


def test_a_gate_whose_scale_overflows_says_so_with_the_whole_message() -> None:
    lstm, before = _tiny_float64()
    _raises(
        CalibrationError,
        "scaling gate 'i' of the module (layer 0) to target=1 overflows torch.float64 (the "
        "input's mean square is 4.94e-324): give a smaller target= or rescale the data",
        auto_init_,
        lstm,
        _SUBNORMAL,
        per_feature=False,
        generator=_gen(7),
    )
    _assert_same(lstm, before)


# ---------------------------------------------------------------------------------------------
# rnninit.facade (init_(model, "auto", ...)) and rnninit.layouts
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), TYPE_ERRORS)
def test_init_auto_checks_argument_types_before_the_overrides(
    kwargs: dict[str, object], message: str
) -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    # forget_bias='nosuch' is also wrong (an unknown initializer): the types come first
    _raises(
        ArgumentTypeError,
        message,
        rnninit.init_,
        lstm,
        "auto",
        data=_x(),
        forget_bias="nosuch",
        **kwargs,
    )
    _assert_same(lstm, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"include": "zzz"},
            "include='zzz' / exclude=None leave no recurrent module; the recurrent modules are: ''",
        ),
        (
            {"exclude": "*"},
            "include=None / exclude='*' leave no recurrent module; the recurrent modules are: ''",
        ),
    ],
)
def test_init_auto_reports_an_empty_selection_before_calibrating(
    kwargs: dict[str, object], message: str
) -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    # target=-1 would fail the calibration: the selection is resolved first
    _raises(
        NoRecurrentModuleError,
        message,
        rnninit.init_,
        lstm,
        "auto",
        data=_x(),
        target=-1.0,
        **kwargs,
    )
    _assert_same(lstm, before)


def test_register_layout_rejects_a_declaration_of_the_wrong_kind() -> None:
    class _Bare(nn.Module):
        pass

    _raises(
        LayoutError,
        "declaration must be an rnninit.Declaration, its dict, or a function of the module "
        "returning one, got int",
        register_layout,
        _Bare,
        5,
    )
    assert declared(_Bare()) is None


def test_unregister_layout_of_a_class_or_instance_never_registered_is_a_no_op() -> None:
    class _Never(nn.Module):
        pass

    assert unregister_layout(_Never) is None
    module = _Never()
    assert unregister_layout(module) is None
    assert declared(module) is None


def test_unregister_layout_removes_exactly_the_instance_entry() -> None:
    class _Own(nn.Module):
        pass

    decl = Declaration("GRU", "zn", input="w", recurrent="u")
    module, other = _Own(), _Own()
    register_layout(module, decl)
    register_layout(other, decl)
    assert declared(module) is decl
    unregister_layout(module)
    assert declared(module) is None
    assert declared(other) is decl  # the other instance keeps its own entry
    unregister_layout(other)
    assert declared(other) is None
