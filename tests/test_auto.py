"""The data-calibrated ``auto`` scheme: checked on raw parameter rows and independent forwards.

Every statistic is recomputed here from the raw rows of ``weight_ih`` (gate g of an LSTM is rows
g*H:(g+1)*H in the order i, f, g, o; GRU r, z, n) and from inputs produced by a separately built
module, never through rnninit's own gate mapping or capture code.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnninit.auto import CalibrationError, auto_init_

H = 16


def _ms(x_rows: torch.Tensor, w_rows: torch.Tensor) -> float:
    """Mean square of the pre-activation contribution x @ w.T over rows and units."""
    return float((x_rows.double() @ w_rows.detach().double().T).pow(2).mean())


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_every_gate_block_of_every_layer_and_direction_meets_the_target() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(3, H, num_layers=2, bidirectional=True, batch_first=True)
    x = 30 * torch.randn(6, 25, 3) + 5  # unnormalized, non-centered
    auto_init_(lstm, x, target=0.5, generator=_gen())
    rows0 = x.reshape(-1, 3)
    for sfx in ("", "_reverse"):
        w = getattr(lstm, f"weight_ih_l0{sfx}")
        for g in range(4):
            assert _ms(rows0, w[g * H : (g + 1) * H]) == pytest.approx(0.5, rel=1e-6)
    # layer 1's input, computed by an independently built one-layer module
    first = nn.LSTM(3, H, bidirectional=True, batch_first=True)
    with torch.no_grad():
        for name, p in first.named_parameters():
            p.copy_(getattr(lstm, name))
        rows1 = first(x)[0].reshape(-1, 2 * H)
    for sfx in ("", "_reverse"):
        w = getattr(lstm, f"weight_ih_l1{sfx}")
        for g in range(4):
            assert _ms(rows1, w[g * H : (g + 1) * H]) == pytest.approx(0.5, rel=1e-5)


@pytest.mark.parametrize(
    ("family", "extra", "gates"),
    [
        (nn.LSTM, {"proj_size": 5, "bidirectional": True}, 4),
        (nn.GRU, {"batch_first": True}, 3),
        (nn.RNN, {"nonlinearity": "relu", "bidirectional": True}, 1),
        (nn.RNN, {"bias": False}, 1),
    ],
)
def test_every_layer_of_a_deep_stack_meets_the_target_on_its_own_input(
    family: type[nn.RNNBase], extra: dict[str, object], gates: int
) -> None:
    torch.manual_seed(0)
    deep = family(3, H, num_layers=3, **extra)  # type: ignore[arg-type]
    x = 20 * torch.randn(7, 6, 3) + 2  # (T, N, in) or (N, T, in): both 3-D, T != N
    auto_init_(deep, x, target=0.5, generator=_gen())
    for k in range(3):
        if k == 0:
            rows = x.reshape(-1, 3)
        else:  # layer k's input: the first k layers, run by an independently built module
            head = family(3, H, num_layers=k, **extra)  # type: ignore[arg-type]
            with torch.no_grad():
                for name, p in head.named_parameters():
                    p.copy_(getattr(deep, name))
            out = head(x)[0]
            rows = out.reshape(-1, out.shape[-1])
        for sfx in ("", "_reverse") if deep.bidirectional else ("",):
            w = getattr(deep, f"weight_ih_l{k}{sfx}")
            assert w.shape[1] == rows.shape[1]
            for g in range(gates):
                assert _ms(rows, w[g * H : (g + 1) * H]) == pytest.approx(0.5, rel=1e-4)


def test_control_a_fixed_scale_misses_the_target_on_unnormalized_inputs() -> None:
    """The check above can fail: LeCun input blocks on raw-scale data are far off target."""
    lstm = nn.LSTM(3, H, batch_first=True)
    x = 30 * torch.randn(6, 25, 3) + 5
    from rnninit import init_

    init_(lstm, "flax", generator=_gen())
    assert _ms(x.reshape(-1, 3), lstm.weight_ih_l0[H : 2 * H]) > 50


def test_keep_gate_biases_are_chrono_with_t_max_from_the_data() -> None:
    t = 50
    gru = nn.GRU(2, 256)
    auto_init_(gru, torch.rand(t, 4, 2), generator=_gen())
    z = (gru.bias_ih_l0 + gru.bias_hh_l0).detach()[256:512]  # GRU rows r, z, n: z keeps
    # T_max = reach * horizon = 3 * 50: timescales 1 + exp(b_z) up to 150, about
    # ln(3) / ln(75) = 25% of them past the horizon (P(none of 256) < 1e-30)
    assert float(z.min()) >= 0 and float(z.max()) <= math.log(3 * t - 1)
    assert float(z.max()) > math.log(t - 1)
    auto_init_(gru, torch.rand(t, 4, 2), reach=1.0, generator=_gen())
    z1 = (gru.bias_ih_l0 + gru.bias_hh_l0).detach()[256:512]
    assert float(z1.max()) <= math.log(t - 1) < float(z.max())  # reach 1: none past the horizon

    gru = nn.GRU(2, H)
    auto_init_(gru, torch.rand(t, 4, 2), generator=_gen())
    b = (gru.bias_ih_l0 + gru.bias_hh_l0).detach()
    z = b[H : 2 * H]
    assert float(z.std()) > 0.2  # spread over timescales, not a constant
    assert torch.all(b[:H] == 0) and torch.all(gru.bias_ih_l0[2 * H :] == 0)
    assert torch.all(gru.bias_hh_l0[2 * H :] == 0)  # b_hn = 0

    lstm = nn.LSTM(2, H)
    auto_init_(lstm, torch.rand(t, 4, 2), horizon=10, reach=1.0, generator=_gen())
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    f, i = b[H : 2 * H], b[:H]
    assert float(f.max()) <= math.log(9) and float(f.min()) >= 0  # horizon wins over the data
    assert torch.equal(i, -f)  # chrono: b_i = -b_f
    assert torch.all(b[2 * H :] == 0)


@pytest.mark.parametrize("gain", [1.0, 0.8])
def test_recurrent_blocks_are_orthogonal_per_gate_with_the_gain(gain: float) -> None:
    lstm = nn.LSTM(3, H)
    auto_init_(lstm, torch.randn(12, 2, 3), gain=gain, generator=_gen())
    for g in range(4):
        u = lstm.weight_hh_l0[g * H : (g + 1) * H].detach().double()
        assert torch.allclose(u @ u.T, gain**2 * torch.eye(H, dtype=torch.float64), atol=1e-5)


def test_padding_is_excluded_with_lengths_or_a_packed_sequence() -> None:
    torch.manual_seed(1)
    x = torch.randn(3, 12, 4)
    lengths = [5, 12, 7]
    for n, n_len in enumerate(lengths):
        x[n, n_len:] = 1000.0  # garbage padding
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    a, b, c = (nn.LSTM(4, H, batch_first=True) for _ in range(3))
    auto_init_(a, x, lengths=lengths, generator=_gen())
    auto_init_(b, packed, generator=_gen())
    auto_init_(c, x, generator=_gen())  # control: padding counted
    assert torch.allclose(a.weight_ih_l0, b.weight_ih_l0, atol=1e-6)
    assert not torch.allclose(a.weight_ih_l0, c.weight_ih_l0, atol=1e-3)
    valid = torch.cat([x[n, :n_len] for n, n_len in enumerate(lengths)])
    assert _ms(valid, a.weight_ih_l0[:H]) == pytest.approx(1.0, rel=1e-5)


class _EncoderDecoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.GRU(3, 8)
        self.mid = nn.Linear(8, 5)
        self.cell = nn.LSTMCell(5, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.enc(x)
        z = 7 * self.mid(y)
        state = None
        for t in range(z.shape[0]):
            state = self.cell(z[t], state)
        assert state is not None
        return state[0]


def test_nested_modules_are_calibrated_bottom_up_and_the_model_is_restored() -> None:
    torch.manual_seed(2)
    model = _EncoderDecoder().train()
    x = torch.randn(30, 4, 3)
    auto_init_(model, x, generator=_gen())
    assert model.training and model.enc.training and model.cell.training
    assert all(not m._forward_pre_hooks for m in model.modules())
    with torch.no_grad():
        z = (7 * model.mid(model.enc(x)[0])).reshape(-1, 5)  # the cell's real input
    for g in range(4):
        assert _ms(z, model.cell.weight_ih[g * 6 : (g + 1) * 6]) == pytest.approx(1.0, rel=1e-5)
    keep = (model.cell.bias_ih + model.cell.bias_hh).detach()[6:12]
    assert float(keep.max()) <= math.log(89)  # T_max = 3 * 30 calls of the cell per forward


def test_same_generator_same_bits_and_dtype_is_kept() -> None:
    x = torch.randn(9, 3, 3, dtype=torch.float64)
    a, b, c = (nn.GRU(3, H).double() for _ in range(3))
    auto_init_(a, x, generator=_gen(5))
    auto_init_(b, x, generator=_gen(5))
    auto_init_(c, x, generator=_gen(6))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.weight_hh_l0, c.weight_hh_l0)
    assert a.weight_ih_l0.dtype == torch.float64


def test_without_data_inputs_are_taken_as_standardized_and_horizon_is_required() -> None:
    lstm = nn.LSTM(5, H)
    with pytest.raises(CalibrationError, match="horizon="):
        auto_init_(lstm)
    auto_init_(lstm, horizon=100, target=2.0, generator=_gen())
    w = lstm.weight_ih_l0.detach().double()
    for g in range(4):  # Sigma = I: the mean square is the mean squared row norm
        assert float(w[g * H : (g + 1) * H].pow(2).sum(1).mean()) == pytest.approx(2.0)


def test_an_iterable_of_batches_uses_the_first_max_batches() -> None:
    drawn = []

    def loader():  # type: ignore[no-untyped-def]
        for k in range(10):
            drawn.append(k)
            yield torch.randn(8, 2, 3)

    auto_init_(nn.LSTM(3, H), loader(), max_batches=3)
    assert drawn == [0, 1, 2]


def _snapshot(m: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (torch.randn(6, 2, 4), "failed on calibration batch 0"),  # wrong width
        (torch.full((6, 2, 3), float("nan")), "NaN or inf"),
        ([], "empty"),
        ("text", "data must be"),
        ([torch.randn(6, 2, 3), 3.0], "batch 1 of data"),
    ],
)
def test_bad_data_raises_and_leaves_the_model_bit_identical(data: object, message: str) -> None:
    lstm = nn.LSTM(3, H, num_layers=2).train()
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError, match=message):
        auto_init_(lstm, data)
    assert all(torch.equal(a, b) for a, b in zip(before, lstm.parameters(), strict=True))
    assert lstm.training and not lstm._forward_pre_hooks


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": 0.0}, "target must be > 0"),
        ({"gain": float("inf")}, "gain must be a finite number"),
        ({"horizon": 0}, "horizon must be > 0"),
        ({"horizon": 0.6}, r"T_max = reach \* horizon must be > 2, got 3 \* 0.6"),
        ({"horizon": 2, "reach": 1}, r"must be > 2, got 1 \* 2: give a longer horizon="),
        ({"reach": -1.0}, "reach must be > 0"),
        ({"reach": float("nan")}, "reach must be a finite number"),
        ({"max_batches": 0}, "max_batches"),
        ({"lengths": [3, 0]}, "lengths must be positive"),
    ],
)
def test_bad_constants_raise_before_anything_is_written(
    kwargs: dict[str, object], message: str
) -> None:
    lstm = nn.LSTM(3, H)
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError, match=message):
        auto_init_(lstm, torch.randn(5, 2, 3), **kwargs)  # type: ignore[arg-type]
    assert all(torch.equal(a, b) for a, b in zip(before, lstm.parameters(), strict=True))


def test_a_layer_that_sees_no_signal_is_an_error_and_nothing_changes() -> None:
    lstm = nn.LSTM(3, H)
    before = _snapshot(lstm)
    with pytest.raises(CalibrationError, match="no signal"):
        auto_init_(lstm, torch.zeros(5, 2, 3))
    assert all(torch.equal(a, b) for a, b in zip(before, lstm.parameters(), strict=True))


def test_relu_rnn_gets_calibrated_inputs_and_orthogonal_recurrence() -> None:
    rnn = nn.RNN(3, H, nonlinearity="relu")
    x = 10 * torch.rand(20, 4, 3)
    auto_init_(rnn, x, target=0.5, generator=_gen())
    assert _ms(x.reshape(-1, 3), rnn.weight_ih_l0) == pytest.approx(0.5, rel=1e-6)
    u = rnn.weight_hh_l0.detach().double()
    assert torch.allclose(u @ u.T, torch.eye(H, dtype=torch.float64), atol=1e-5)
    assert torch.all(rnn.bias_ih_l0 + rnn.bias_hh_l0 == 0)


def test_per_feature_calibration_makes_the_start_invariant_to_feature_scales() -> None:
    """Scaling one input feature by 100 (raw units) gives the same gate pre-activations: the
    weights of that feature shrink by 100 and nothing else changes."""
    torch.manual_seed(3)
    x = torch.rand(40, 5, 2)
    x[..., 1] = (x[..., 1] > 0.9).float()  # a sparse marker next to a dense value
    scale = torch.tensor([100.0, 1.0])
    a, b, c, d = (nn.LSTM(2, H) for _ in range(4))
    auto_init_(a, x, generator=_gen())
    auto_init_(b, x * scale, generator=_gen())
    assert torch.allclose(a.weight_ih_l0, b.weight_ih_l0 * scale, rtol=1e-4, atol=1e-6)
    assert torch.equal(a.weight_hh_l0, b.weight_hh_l0)
    # control: one scale per block is not invariant; the value feature drowns the marker
    auto_init_(c, x, per_feature=False, generator=_gen())
    auto_init_(d, x * scale, per_feature=False, generator=_gen())
    assert not torch.allclose(c.weight_ih_l0, d.weight_ih_l0 * scale, rtol=1e-2)
    marker_share = (
        d.weight_ih_l0.detach()[:, 1].abs().mean() / a.weight_ih_l0.detach()[:, 1].abs().mean()
    )
    assert float(marker_share) < 0.1
