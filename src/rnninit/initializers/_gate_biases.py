r"""Gate-bias initializers: the memory timescales of a keep gate (chrono, log-spaced chrono) and
the uniform gate initialization. Re-exported by :mod:`rnninit.initializers`.

A keep gate with bias $b$ (LSTM forget gate $f$, GRU update gate $z$) keeps a fraction
$\sigma(b)$ of its state per step ($\sigma$ the logistic sigmoid), so the unit's memory
timescale is $\tau = 1 / (1 - \sigma(b)) = 1 + e^b$, and $b = \log(\tau - 1)$ sets it.

>>> import torch
>>> from rnninit.initializers import chrono_log_
>>> b = chrono_log_(torch.empty(4), 64, torch.Generator().manual_seed(0))
>>> tau = 1 + b.exp()
>>> bool(tau.min() >= 2 and tau.max() <= 64)
True
"""

from __future__ import annotations

import math

import torch

from ..errors import InitializerError
from ._draw import scratch_like, write

__all__ = ["chrono_", "chrono_log_", "uniform_gate_"]


def chrono_(
    tensor: torch.Tensor, max_timescale: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Chrono bias (Tallec & Ollivier, "Can recurrent neural networks warp time?", ICLR 2018).

    $b \sim \log \mathcal{U}(1, T_{\max} - 1)$ with $T_{\max}$ = ``max_timescale``: the gate's
    $1 / (1 - \sigma(b)) \sim 1 + \mathcal{U}(1, T_{\max} - 1)$, so the memory timescales
    spread between 2 and $T_{\max}$. Used for the LSTM forget gate (with $b_i = -b_f$) and the
    GRU update gate $z$. Needs a finite $T_{\max} > 2$.

    >>> b = chrono_(torch.empty(1000), 100, torch.Generator().manual_seed(0))
    >>> bool(b.min() >= 0 and b.max() <= torch.log(torch.tensor(99.0)))
    True
    """
    _check_max_timescale("chrono", max_timescale)
    scratch = scratch_like(tensor, generator).uniform_(
        1.0, float(max_timescale) - 1.0, generator=generator
    )
    return write(tensor, scratch.log_())


def chrono_log_(
    tensor: torch.Tensor, max_timescale: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Chrono with log-uniform timescales: as many units per octave of memory.

    $\tau \sim \exp \mathcal{U}(\log 2, \log T_{\max})$ with $T_{\max}$ = ``max_timescale``,
    and $b = \log(\tau - 1)$, so the gate's $1 / (1 - \sigma(b)) = \tau$: the same range
    $[2, T_{\max}]$ as :func:`chrono_`, whose $\tau - 1 \sim \mathcal{U}(1, T_{\max} - 1)$ puts
    half the units above $T_{\max} / 2$; here the median is $\sqrt{2 T_{\max}}$, and every
    octave (2-4 steps, 4-8, ...) gets the same share of units. The log-uniform spread is the one
    state-space models draw their step sizes from (Mamba, Gu & Dao 2023:
    $\Delta t \sim \exp \mathcal{U}(\log 0.001, \log 0.1)$, timescales $1 / \Delta t$ over two
    decades). Used for the keep gate (LSTM $f$ with $b_i = -b_f$, GRU $z$) by the ``auto``
    scheme. Needs a finite $T_{\max} > 2$.

    >>> b = chrono_log_(torch.empty(10000), 1024, torch.Generator().manual_seed(0))
    >>> tau = 1 + b.exp()  # timescales 2..1024, about a tenth of the units in each octave
    >>> bool(tau.min() >= 2 and tau.max() <= 1024), round(float((tau < 4).float().mean()), 1)
    (True, 0.1)
    """
    _check_max_timescale("chrono_log", max_timescale)
    scratch = scratch_like(tensor, generator).uniform_(
        math.log(2.0), math.log(float(max_timescale)), generator=generator
    )
    return write(tensor, scratch.exp_().sub_(1.0).log_())


def _check_max_timescale(name: str, max_timescale: object) -> None:
    if not isinstance(max_timescale, int | float) or not 2 < max_timescale < math.inf:
        raise InitializerError(
            f"{name} needs max_timescale, a finite number > 2 (the longest dependency, in "
            f"steps), got {max_timescale!r}"
        )


def uniform_gate_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Uniform gate initialization (Gu et al., "Improving the Gating Mechanism of RNNs", 2020).

    $u \sim \mathcal{U}(1/d, 1 - 1/d)$ and $b = -\log(1/u - 1) = \operatorname{logit}(u)$ with
    $d$ the number of elements (``tensor.numel()``, the hidden size for a gate bias block), so
    the gate activations $\sigma(b) = u$ are uniform over $(1/d, 1 - 1/d)$: timescales from
    about 1 to about $d$. Needs $d \ge 2$.

    >>> b = uniform_gate_(torch.empty(10), torch.Generator().manual_seed(0))
    >>> s = torch.sigmoid(b)
    >>> bool(s.min() >= 0.1 and s.max() <= 0.9)
    True
    """
    d = tensor.numel()
    if d < 2:
        raise InitializerError(f"uniform_gate needs at least 2 units, got {d}")
    u = scratch_like(tensor, generator).uniform_(1.0 / d, 1.0 - 1.0 / d, generator=generator)
    return write(tensor, torch.logit(u))
