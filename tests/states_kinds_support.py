"""Helpers shared by the state-kind, InitialState and Recurrent contract tests."""

from __future__ import annotations

import torch

META = torch.device("meta")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _parts(state: object) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)  # type: ignore[return-value]


IN, H = 3, 6  # input and hidden sizes of the wrapped modules
