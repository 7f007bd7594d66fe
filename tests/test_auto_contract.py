"""Contract of the ``auto`` scheme's arguments and errors: what a user reads when a call
cannot proceed (argument, value, choices), that the model is then unchanged, and the
calibrated gate blocks' mean square on the data."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnninit.auto import auto_init_
from rnninit.errors import ArgumentTypeError, CalibrationError, UnknownNameError


def _lstm() -> nn.LSTM:
    torch.manual_seed(0)
    return nn.LSTM(3, 4, batch_first=True)


def _snapshot(m: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


def _unchanged(m: nn.Module, before: list[torch.Tensor]) -> bool:
    return all(torch.equal(a, b) for a, b in zip(before, m.parameters(), strict=True))


def _x() -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return 5 * torch.randn(6, 7, 3, generator=g) + 2


def test_each_gate_block_meets_the_target_on_the_data() -> None:
    lstm, x = _lstm(), _x()
    auto_init_(lstm, x, target=0.5, generator=torch.Generator().manual_seed(0))
    w = lstm.weight_ih_l0.detach().double()
    flat = x.reshape(-1, 3).double()
    for g in range(4):
        ms = float((flat @ w[4 * g : 4 * g + 4].T).pow(2).mean())
        assert ms == pytest.approx(0.5, rel=1e-4)


def test_without_data_and_horizon_the_message_says_how_to_call() -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError) as e:
        auto_init_(lstm)
    msg = str(e.value)
    assert "scheme 'auto' without data= needs horizon= (the longest dependency in steps, " in msg
    assert "e.g. the sequence length): init_(model, 'auto', horizon=200), or give data= " in msg
    assert msg.endswith("(a batch of real inputs) to calibrate on")
    assert _unchanged(lstm, before)


def test_lengths_or_inputs_without_data_are_errors() -> None:
    lstm = _lstm()
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError) as e:
        auto_init_(lstm, horizon=10, lengths=torch.tensor([3, 2]))
    assert str(e.value) == "lengths= describes data=; it was given without data"
    with pytest.raises(CalibrationError) as e:
        auto_init_(lstm, horizon=10, inputs=lambda b: b)
    assert str(e.value) == "inputs= maps the batches of data=; it was given without data"
    assert _unchanged(lstm, before)


def test_lengths_with_several_batches_points_to_packed_sequences() -> None:
    lstm, x = _lstm(), _x()
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError) as e:
        auto_init_(lstm, [x, x], lengths=torch.full((6,), 7))
    msg = str(e.value)
    assert "data gave 2 batches" in msg
    assert msg.endswith("use PackedSequence batches instead")
    assert _unchanged(lstm, before)


def test_max_batches_one_is_valid_and_zero_or_bool_is_not() -> None:
    lstm, x = _lstm(), _x()
    auto_init_(lstm, x, max_batches=1, generator=torch.Generator().manual_seed(0))
    before = _snapshot(lstm)
    for bad in (0, True):
        with pytest.raises(CalibrationError) as e:
            auto_init_(lstm, x, max_batches=bad)
        assert str(e.value) == f"max_batches must be a positive int, got {bad!r}"
    assert _unchanged(lstm, before)


def test_unknown_targets_names_argument_value_and_choices() -> None:
    lstm, x = _lstm(), _x()
    before = _snapshot(lstm)
    with pytest.raises(UnknownNameError) as e:
        auto_init_(lstm, x, targets="bogus")
    msg = str(e.value)
    assert "targets" in msg and "bogus" in msg and "every_step" in msg and "end" in msg
    assert _unchanged(lstm, before)


def test_non_module_names_the_expected_type() -> None:
    with pytest.raises(ArgumentTypeError) as e:
        auto_init_("lstm", horizon=10)  # type: ignore[type-var]
    msg = str(e.value)
    assert "module" in msg and "'lstm'" in msg and "a torch.nn.Module" in msg


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.rnn = nn.GRU(3, 4, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


@pytest.mark.parametrize(("wrap", "where"), [(False, "the module"), (True, "rnn")])
def test_silent_input_names_the_module_and_changes_nothing(wrap: bool, where: str) -> None:
    model: nn.Module = _Net() if wrap else _lstm()
    before = _snapshot(model)
    with pytest.raises(CalibrationError) as e:
        auto_init_(model, torch.zeros(2, 5, 3))
    msg = str(e.value)
    assert msg.startswith(f"the input of {where} (layer 0) carries no signal (every ")
    assert msg.endswith("feature is always 0): cannot scale its input weights")
    assert _unchanged(model, before)


def test_uncalled_module_is_named_in_the_error() -> None:
    class Skip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(3, 4)
            self.lin = nn.Linear(3, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.lin(x)

    model = Skip()
    before = _snapshot(model)
    with pytest.raises(CalibrationError) as e:
        auto_init_(model, torch.randn(5, 2, 3))
    msg = str(e.value)
    assert msg.startswith("rnn: the chrono keep-gate bias needs T_max > 2, got 0.0")
    assert msg.endswith("steps) or a larger reach=")
    with pytest.raises(CalibrationError) as e:
        auto_init_(model, torch.randn(5, 2, 3), horizon=10)
    msg = str(e.value)
    assert msg.startswith("rnn was not called with a tensor or PackedSequence input ")
    assert msg.endswith("during model(data): nothing to calibrate it on")
    assert _unchanged(model, before)


def test_t_max_of_exactly_two_from_the_data_is_rejected() -> None:
    lstm, x = _lstm(), _x()
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError) as e:
        auto_init_(lstm, x[:, :2], reach=1.0)
    msg = str(e.value)
    assert msg.startswith("the module: the chrono keep-gate bias needs T_max > 2, got 2.0")
    assert msg.endswith("steps) or a larger reach=")
    assert _unchanged(lstm, before)
