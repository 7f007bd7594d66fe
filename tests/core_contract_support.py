"""Helpers shared by the core contract tests: KS tests against a documented law, generators."""

from __future__ import annotations

import torch
from scipy import stats

P_MIN = 1e-3  # KS p-value floor: a correct law fails it with probability 1e-3 (fixed seeds)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _ks_uniform(t: torch.Tensor, low: float, high: float) -> float:
    return float(
        stats.kstest(t.double().flatten().numpy(), "uniform", args=(low, high - low)).pvalue
    )


def _ks_normal(t: torch.Tensor, mean: float, std: float) -> float:
    return float(stats.kstest(t.double().flatten().numpy(), "norm", args=(mean, std)).pvalue)


class _Unnamed:
    """A callable without ``__name__``: messages must fall back to its repr."""

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return t.fill_(0.5)

    def __repr__(self) -> str:
        return "Unnamed()"


def _named_fill_(t: torch.Tensor) -> torch.Tensor:
    return t.fill_(0.5)
