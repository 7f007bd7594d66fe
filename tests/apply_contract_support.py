"""Helpers shared by the ``init_`` contract tests: raw rows, snapshots, constants of messages."""

from __future__ import annotations

import torch
from torch import nn

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
