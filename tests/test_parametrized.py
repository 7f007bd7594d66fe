"""Parametrized weights: init_ sets the effective weight, or raises before writing anything."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

import rnninit
from rnninit.errors import SchemeError


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _legacy_weight_norm(module: nn.Module, name: str) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.weight_norm(module, name)


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    out = {f"p:{n}": p.detach().clone() for n, p in module.named_parameters()}
    out.update({f"b:{n}": b.detach().clone() for n, b in module.named_buffers()})
    return out


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _effective(module: nn.Module) -> dict[str, torch.Tensor]:
    names = module._flat_weights_names  # type: ignore[attr-defined]
    return {n: getattr(module, n).detach().clone() for n in names}


WRAPS = {
    "weight_norm": lambda m, n: parametrizations.weight_norm(m, n),
    "legacy_weight_norm": _legacy_weight_norm,
}


@pytest.mark.parametrize("wrap", sorted(WRAPS))
@pytest.mark.parametrize("family", [nn.LSTM, nn.GRU])
def test_effective_weight_gets_the_scheme_per_gate_block(wrap: str, family: type) -> None:
    h = 5
    plain = family(3, h, num_layers=2)
    wrapped = WRAPS[wrap](family(3, h, num_layers=2), "weight_hh_l1")
    rnninit.init_(plain, "orthogonal", generator=_gen(4))
    rnninit.init_(wrapped, "orthogonal", generator=_gen(4))
    w = wrapped.weight_hh_l1.detach()
    assert not isinstance(wrapped.weight_hh_l1, nn.Parameter)  # really parametrized
    gates = 4 if family is nn.LSTM else 3
    for k in range(gates):  # raw rows k*H:(k+1)*H of the effective weight are orthogonal
        block = w[k * h : (k + 1) * h]
        assert torch.allclose(block @ block.T, torch.eye(h), atol=1e-5), k
    # same seed, same draws in the same order: the effective weights match the plain module
    eff, ref = _effective(wrapped), _effective(plain)
    for name in ref:
        assert torch.allclose(eff[name], ref[name], atol=1e-6), name
    if wrap == "legacy_weight_norm":  # the hook recomputes it at the next forward: still there
        wrapped(torch.randn(2, 1, 3))
        assert torch.allclose(wrapped.weight_hh_l1, ref["weight_hh_l1"], atol=1e-6)


def test_forget_bias_through_a_parametrized_bias() -> None:
    lstm = parametrizations.weight_norm(nn.LSTM(3, 4), "bias_ih_l0", dim=None)
    rnninit.init_(lstm, "orthogonal", forget_bias=2.0)
    eff = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
    assert torch.allclose(eff[4:8], torch.full((4,), 2.0))  # forget gate rows H:2H
    assert torch.allclose(eff[0:4], torch.zeros(4), atol=1e-6)


def test_orthogonal_parametrization_cannot_hold_a_per_gate_stack() -> None:
    lstm = parametrizations.orthogonal(nn.LSTM(3, 4, num_layers=2), "weight_hh_l1")
    before, rng = _snapshot(lstm), torch.get_rng_state()
    with pytest.raises(SchemeError) as info:
        rnninit.init_(lstm, "orthogonal", generator=_gen())
    msg = str(info.value)
    assert "weight_hh_l1" in msg and "orthogonal parametrization" in msg
    assert "before registering" in msg
    assert _same(before, _snapshot(lstm))  # originals and orthogonal's base buffer included
    assert torch.equal(rng, torch.get_rng_state())
    with pytest.raises(SchemeError, match="orthogonal parametrization"):
        rnninit.init_(lstm, "pytorch", generator=_gen())  # uniform: not orthogonal either
    assert _same(before, _snapshot(lstm))


def test_orthogonal_parametrization_holds_a_whole_orthogonal_matrix() -> None:
    plain = nn.LSTM(3, 4)
    wrapped = parametrizations.orthogonal(nn.LSTM(3, 4), "weight_hh_l0")
    rng = torch.get_rng_state()
    rnninit.init_(wrapped, "keras", generator=_gen(2))  # orthogonal over the (4H, H) stack
    assert torch.equal(rng, torch.get_rng_state())  # right_inverse's completion draw is fenced
    rnninit.init_(plain, "keras", generator=_gen(2))
    assert torch.allclose(wrapped.weight_hh_l0, plain.weight_hh_l0, atol=1e-5)


class _NoInverse(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * x


class _Inexact(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(-0.01, 0.01)

    def right_inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_missing_right_inverse_raises_before_writing() -> None:
    gru = nn.GRU(3, 4)
    parametrize.register_parametrization(gru, "weight_hh_l0", _NoInverse())
    before = _snapshot(gru)
    with pytest.raises(SchemeError, match="_NoInverse.*without right_inverse"):
        rnninit.init_(gru, "orthogonal", generator=_gen())
    assert _same(before, _snapshot(gru))


def test_an_inexact_right_inverse_is_an_error_and_restores_everything() -> None:
    gru = nn.GRU(3, 4)
    parametrize.register_parametrization(gru, "weight_hh_l0", _Inexact())
    before = _snapshot(gru)
    with pytest.raises(SchemeError, match="differs from the scheme's value"):
        rnninit.init_(gru, "orthogonal", generator=_gen())
    assert _same(before, _snapshot(gru))


def test_gates_lists_parametrized_weights_as_snapshots() -> None:
    lstm = parametrizations.weight_norm(nn.LSTM(3, 4), "weight_hh_l0")
    blocks = [b for b in rnninit.gates(lstm) if b.param_name == "weight_hh_l0"]
    assert [b.gate for b in blocks] == ["i", "f", "g", "o"]
    assert all(not b.live for b in blocks)
    assert torch.equal(blocks[1].tensor, lstm.weight_hh_l0.detach()[4:8])
    assert all(b.live for b in rnninit.gates(lstm) if b.param_name != "weight_hh_l0")
