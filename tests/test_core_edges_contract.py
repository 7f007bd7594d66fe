"""Parametrized weights: the exact SchemeError messages a user relies on (weight name,
parametrization, the fix) and that nothing is written when a parametrization cannot hold it."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import orthogonal

import rnninit
from rnninit.errors import SchemeError


class _NoInverse(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2.0


def _snap(m: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def test_orthogonal_parametrization_message_names_weight_stack_and_fix() -> None:
    torch.manual_seed(0)
    lstm = orthogonal(nn.LSTM(2, 3), "weight_hh_l0")
    before = _snap(lstm)
    with pytest.raises(SchemeError) as info:
        rnninit.init_(lstm, "orthogonal", generator=torch.Generator().manual_seed(0))
    msg = str(info.value)
    assert "weight_hh_l0 has an orthogonal parametrization" in msg
    assert "a per-gate stack of 4 blocks" in msg
    assert "initialize weight_hh_l0 before registering the parametrization" in msg
    assert "exclude=" in msg
    assert "recurrent='orthogonal' with whole=('recurrent',)" in msg
    after = _snap(lstm)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_missing_right_inverse_message_names_class_and_fix() -> None:
    torch.manual_seed(0)
    gru = nn.GRU(2, 3)
    parametrize.register_parametrization(gru, "weight_hh_l0", _NoInverse())
    before = _snap(gru)
    with pytest.raises(SchemeError) as info:
        rnninit.init_(gru, "orthogonal", generator=torch.Generator().manual_seed(0))
    msg = str(info.value)
    assert "weight_hh_l0 has a parametrization (_NoInverse) without right_inverse" in msg
    assert "initialize weight_hh_l0 before registering the parametrization" in msg
    after = _snap(gru)
    assert all(torch.equal(before[k], after[k]) for k in before)
