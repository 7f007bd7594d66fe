"""``auto`` reads the batches users have: DataLoader pairs, dict batches, ``inputs=``.

Each case records what the model's ``forward`` really received, and the calibrated input scale
is recomputed here from the raw rows of ``weight_ih`` (LSTM gate g: rows g*H:(g+1)*H).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import rnninit
from rnninit.auto import CalibrationError, auto_init_
from rnninit.errors import ArgumentTypeError, RnnInitError

H, IN, T, N = 6, 3, 11, 8


def _gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _x(scale: float = 50.0) -> torch.Tensor:
    return scale * torch.randn(N, T, IN, generator=torch.Generator().manual_seed(1))


def _ms_forget(lstm: nn.LSTM, x: torch.Tensor) -> float:
    w = lstm.weight_ih_l0.detach()[H : 2 * H].double()
    return float((x.reshape(-1, IN).double() @ w.T).pow(2).mean())


def _snapshot(m: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


def _same(m: nn.Module, snap: list[torch.Tensor]) -> bool:
    return all(torch.equal(a, b) for a, b in zip(snap, m.parameters(), strict=True))


class Seen(nn.Module):
    """A batch-first LSTM model that records the arguments of every forward."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(IN, H, batch_first=True)
        self.calls: list[tuple[int, list[str]]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((1, []))
        return self.lstm(x)[0]


class WithLengths(Seen):
    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        self.calls.append((2, []))
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False
        )
        return self.lstm(packed)[0].data


class DictModel(Seen):
    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        self.calls.append((1, sorted(batch)))
        return self.lstm(batch["x"])[0]


def test_a_dataloader_of_x_y_pairs_calibrates_on_x() -> None:
    x, y = _x(), torch.randint(0, 2, (N,))
    loader = DataLoader(TensorDataset(x, y), batch_size=4)  # the default collate yields lists
    assert isinstance(next(iter(loader)), list)
    model = Seen()
    rnninit.init_(model, "auto", data=loader, generator=_gen())
    assert model.calls == [(1, [])] * 2  # one pass over the two batches, x alone each time
    assert _ms_forget(model.lstm, x) == pytest.approx(1.0, rel=0.02)
    same = Seen()  # the same start as calibrating on the inputs alone
    rnninit.init_(same, "auto", data=[x[:4], x[4:]], generator=_gen())
    assert all(
        torch.equal(a, b) for a, b in zip(model.parameters(), same.parameters(), strict=True)
    )


def test_a_tuple_pair_whose_targets_hold_nan_is_read_as_inputs_and_targets() -> None:
    x, y = _x(), torch.full((N,), float("nan"))
    model = Seen()
    rnninit.init_(model, "auto", data=[(x, y)], generator=_gen())  # targets are not checked
    assert _ms_forget(model.lstm, x) == pytest.approx(1.0, rel=0.02)
    with pytest.raises(CalibrationError, match="batch 0 of data holds NaN"):
        rnninit.init_(Seen(), "auto", data=[(x * float("nan"), y)])


def test_a_tuple_that_fills_the_forward_is_its_arguments() -> None:
    x, lengths = _x(), torch.tensor([T, 3, 5, T, 2, 7, 9, 4])
    model = WithLengths()
    rnninit.init_(model, "auto", data=(x, lengths), generator=_gen())
    assert {c[0] for c in model.calls} == {2}
    valid = torch.cat([x[i, : int(n)] for i, n in enumerate(lengths)])
    assert _ms_forget(model.lstm, valid) == pytest.approx(1.0, rel=0.02)


def test_a_batch_that_is_neither_arguments_nor_pairs_names_inputs_and_changes_nothing() -> None:
    model = WithLengths()
    snap = _snapshot(model)
    batch = (_x(), torch.full((N,), T), torch.zeros(N))  # (x, lengths, y) for forward(x, lengths)
    with pytest.raises(CalibrationError) as err:
        rnninit.init_(model, "auto", data=[batch])
    assert "tuple of 3 elements" in str(err.value) and "WithLengths.forward requires 2" in str(
        err.value
    )
    assert "pass inputs=" in str(err.value)
    assert _same(model, snap) and model.calls == []


def test_inputs_maps_any_batch_to_the_arguments() -> None:
    @dataclass
    class Batch:
        features: torch.Tensor
        lengths: torch.Tensor
        label: torch.Tensor

    x = _x()
    batches = [Batch(x, torch.full((N,), T), torch.zeros(N))]
    model = WithLengths()
    rnninit.init_(model, "auto", data=batches, inputs=lambda b: (b.features, b.lengths))
    assert {c[0] for c in model.calls} == {2}
    assert _ms_forget(model.lstm, x) == pytest.approx(1.0, rel=0.02)
    one = WithLengths()  # a single batch object that is not iterable
    rnninit.init_(one, "auto", data=batches[0], inputs=lambda b: (b.features, b.lengths))
    assert _ms_forget(one.lstm, x) == pytest.approx(1.0, rel=0.02)
    kw = WithLengths()  # a dict from inputs= is the keyword arguments
    rnninit.init_(
        kw, "auto", data=batches, inputs=lambda b: {"x": b.features, "lengths": b.lengths}
    )
    assert _ms_forget(kw.lstm, x) == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"inputs": 5}, ArgumentTypeError, r"inputs=5 \(int\) is not valid; expected a callable"),
        ({"inputs": lambda b: b.missing}, CalibrationError, "inputs= failed on batch 0"),
        ({"inputs": lambda b: b, "data": None, "horizon": 9}, CalibrationError, "without data"),
    ],
)
def test_bad_inputs_raise_and_change_nothing(
    kwargs: dict[str, Any], error: type[RnnInitError], message: str
) -> None:
    model = Seen()
    snap = _snapshot(model)
    with pytest.raises(error, match=message):
        rnninit.init_(model, "auto", **{"data": [_x()], **kwargs})
    assert _same(model, snap)


def test_a_dict_batch_is_keyword_arguments_or_the_one_argument() -> None:
    x = _x()
    keywords = WithLengths()
    rnninit.init_(keywords, "auto", data=[{"x": x, "lengths": torch.full((N,), T)}])
    assert {c[0] for c in keywords.calls} == {2}
    one = DictModel()  # forward(batch): the dict, extra keys and all, is the one argument
    rnninit.init_(one, "auto", data=[{"x": x, "label": torch.zeros(N)}], generator=_gen())
    assert one.calls[0] == (1, ["label", "x"])
    assert _ms_forget(one.lstm, x) == pytest.approx(1.0, rel=0.02)


def test_a_cell_given_a_sequence_says_what_to_pass_and_changes_nothing() -> None:
    cell = nn.LSTMCell(IN, H)
    snap = _snapshot(cell)
    with pytest.raises(CalibrationError, match=r"takes one time step \(N, in\), got an input of"):
        rnninit.init_(cell, "auto", data=torch.randn(T, N, IN))
    assert _same(cell, snap)


class Loop(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(IN, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = torch.zeros(x.shape[1], H)
        for t in range(x.shape[0]):
            h, c = self.cell(x[t], (h, c))
        return h


def test_check_reports_a_cell_calibrated_on_one_step() -> None:
    cell = nn.LSTMCell(IN, H)
    rnninit.init_(cell, "auto", data=torch.randn(N, IN))
    assert "one_step_calibration" in rnninit.check(cell).codes
    # the remedies the finding names clear it
    given = nn.LSTMCell(IN, H)
    rnninit.init_(given, "auto", data=torch.randn(N, IN), horizon=T)
    looped = Loop()
    rnninit.init_(looped, "auto", data=torch.randn(T, N, IN))
    assert "one_step_calibration" not in rnninit.check(given).codes
    assert "one_step_calibration" not in rnninit.check(looped).codes
    # every-step targets draw no timescale; a later scheme replaces the mark; overrides keep it
    every = nn.LSTMCell(IN, H)
    rnninit.init_(every, "auto", data=torch.randn(N, IN), targets="every_step")
    assert "one_step_calibration" not in rnninit.check(every).codes
    rnninit.init_(cell, None, gates={"o": {"bias": 0.5}})
    assert "one_step_calibration" in rnninit.check(cell).codes
    rnninit.init_(cell, "orthogonal")
    assert "one_step_calibration" not in rnninit.check(cell).codes


def test_the_horizon_of_a_looped_cell_is_the_number_of_steps() -> None:
    looped = Loop()  # behaviour: forget-gate timescales reach past 2..3 steps
    auto_init_(looped, torch.randn(T, N, IN), generator=_gen())
    b = (looped.cell.bias_ih.detach() + looped.cell.bias_hh.detach())[H : 2 * H]
    tau = 1 + torch.exp(b)
    assert float(tau.max()) > 3.0 and float(tau.max()) <= 3 * T + 1e-4
