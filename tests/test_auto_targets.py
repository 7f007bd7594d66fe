"""``auto``'s ``targets=``: where the task's targets are, checked on the raw parameter rows."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import UnknownNameError

H, IN, N, T = 12, 5, 9, 30  # hidden, input, batch, steps: sizes that cannot coincide


def _data() -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return 4.0 * torch.randn(N, T, IN, generator=g) + 2.0  # unnormalized, non-centred


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_every_step_zeroes_every_bias_and_keeps_the_calibration(cls: type[nn.RNNBase]) -> None:
    rnn = cls(IN, H, batch_first=True)
    x = _data()
    rnninit.init_(
        rnn, "auto", data=x, targets="every_step", generator=torch.Generator().manual_seed(0)
    )
    assert torch.count_nonzero(rnn.bias_ih_l0) == 0 and torch.count_nonzero(rnn.bias_hh_l0) == 0
    w = rnn.weight_ih_l0.detach().double()
    xs = x.reshape(-1, IN).double()
    for k in range(w.shape[0] // H):  # every raw row block: mean square of W_block x is 1
        ms = float((xs @ w[k * H : (k + 1) * H].T).pow(2).mean())
        assert ms == pytest.approx(1.0, rel=1e-6)
    u = rnn.weight_hh_l0.detach().double()
    for k in range(u.shape[0] // H):  # every raw recurrent block orthogonal
        block = u[k * H : (k + 1) * H]
        torch.testing.assert_close(
            block @ block.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0
        )


def test_every_step_lstm_forgets_half_per_step_where_the_default_keeps() -> None:
    """Behaviour: with zero input, an LSTM cell state decays by sigmoid(b_f) per step."""
    x = _data()
    kept = {}
    for targets in ("end", "every_step"):
        rnn = nn.LSTM(IN, H, batch_first=True)
        rnninit.init_(
            rnn, "auto", data=x, targets=targets, generator=torch.Generator().manual_seed(1)
        )
        with torch.no_grad():
            rnn.weight_hh_l0.zero_()  # isolate the keep gate: f = sigmoid(b_f) exactly
            rnn.bias_ih_l0[3 * H :] = 30.0  # o = 1
            c0 = torch.ones(1, 1, H)
            _, (_, c) = rnn(torch.zeros(1, 8, IN), (torch.zeros(1, 1, H), c0))
        kept[targets] = c.flatten()
    # every_step: f = 0.5, i * g = 0.5 * tanh(0) = 0 -> c_8 = 0.5^8
    torch.testing.assert_close(kept["every_step"], torch.full((H,), 0.5**8))
    # chrono timescales (tau in [2, 3 T]): most units keep far more than 0.5^8 over 8 steps
    assert float((kept["end"] > 10 * 0.5**8).double().mean()) > 0.8


def test_every_step_needs_no_horizon_without_data() -> None:
    rnn = nn.GRU(IN, H)
    rnninit.init_(rnn, "auto", targets="every_step", generator=torch.Generator().manual_seed(0))
    assert torch.count_nonzero(rnn.bias_ih_l0) == 0
    with pytest.raises(rnninit.RnnInitError, match="horizon"):
        rnninit.init_(nn.GRU(IN, H), "auto")  # the default still needs one


@pytest.mark.parametrize("bad", ["every", "EVERY_STEP", 1])
def test_an_unknown_targets_is_a_typed_error_and_the_model_is_unchanged(bad: object) -> None:
    rnn = nn.LSTM(IN, H)
    before = {k: v.clone() for k, v in rnn.state_dict().items()}
    with pytest.raises(UnknownNameError, match="targets") as err:
        rnninit.init_(rnn, "auto", data=torch.randn(T, N, IN), targets=bad)
    if bad == "every":
        assert "every_step" in str(err.value)  # the nearest valid name
    assert all(torch.equal(before[k], v) for k, v in rnn.state_dict().items())
