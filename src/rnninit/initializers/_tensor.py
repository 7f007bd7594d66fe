"""The tensor-level initializers (conventions and fans: :mod:`rnninit.initializers`)."""

from __future__ import annotations

import math

import torch

from ..errors import InitializerError
from ._draw import compute_dtype, draw_device, scratch_like, write
from ._gate_biases import chrono_, chrono_log_, uniform_gate_

__all__ = [
    "chrono_",
    "chrono_log_",
    "constant_",
    "fan_in_truncated_normal_",
    "fans",
    "identity_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "normal_",
    "orthogonal_",
    "pytorch_default_",
    "truncated_normal_",
    "uniform_",
    "uniform_gate_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

#: Standard deviation of a unit normal truncated to $[-2, 2]$; Keras/Flax ``variance_scaling``
#: divides by it so that the truncated draw has the intended variance.
TRUNCATED_STD_2 = 0.87962566103423978


def fans(tensor: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as ``torch.nn.init`` computes them.

    ``fan_in = size(1) * prod(shape[2:])``, ``fan_out = size(0) * prod(shape[2:])``; needs at
    least 2 dimensions.

    >>> fans(torch.empty(12, 3))
    (3, 12)
    """
    if tensor.dim() < 2:
        raise InitializerError(
            f"fan-based initializers need a matrix (>= 2 dims), got shape {tuple(tensor.shape)}"
        )
    receptive = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _given_or_own(given: tuple[int, int] | None, tensor: torch.Tensor) -> tuple[int, int]:
    """The ``fans=`` an initializer was given, else the tensor's own (:func:`fans`)."""
    return given if given is not None else fans(tensor)


def zeros_(tensor: torch.Tensor) -> torch.Tensor:
    """Fill with 0.

    >>> zeros_(torch.ones(2)).tolist()
    [0.0, 0.0]
    """
    with torch.no_grad():
        return tensor.zero_()


def constant_(tensor: torch.Tensor, value: float) -> torch.Tensor:
    """Fill with ``value``.

    >>> constant_(torch.empty(2), 0.5).tolist()
    [0.5, 0.5]
    """
    with torch.no_grad():
        return tensor.fill_(value)


def uniform_(
    tensor: torch.Tensor,
    low: float = 0.0,
    high: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Fill with draws from $\mathcal{U}(a, b)$, $a$ = ``low``, $b$ = ``high``
    (``torch.nn.init.uniform_``).

    >>> t = uniform_(torch.empty(1000), -0.1, 0.3, torch.Generator().manual_seed(0))
    >>> bool(t.min() >= -0.1 and t.max() <= 0.3)
    True
    """
    if not high >= low:
        raise InitializerError(f"uniform needs low <= high, got low={low}, high={high}")
    return write(tensor, scratch_like(tensor, generator).uniform_(low, high, generator=generator))


def normal_(
    tensor: torch.Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Fill with draws from $\mathcal{N}(\mu, \sigma^2)$, $\mu$ = ``mean``, $\sigma$ = ``std``
    (``torch.nn.init.normal_``).

    >>> t = normal_(torch.empty(10000), 1.0, 0.5, torch.Generator().manual_seed(0))
    >>> round(t.mean().item(), 1), round(t.std().item(), 1)
    (1.0, 0.5)
    """
    if not std >= 0:
        raise InitializerError(f"normal needs std >= 0, got std={std}")
    return write(tensor, scratch_like(tensor, generator).normal_(mean, std, generator=generator))


def truncated_normal_(
    tensor: torch.Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Fill with $\mathcal{N}(\mu, \sigma^2)$ truncated to $[\mu + a \sigma, \mu + b \sigma]$.

    $\mu$ = ``mean``, $\sigma$ = ``std``; ``a`` and ``b`` are in units of ``std``
    (TensorFlow/Sonnet/Keras truncate at 2 std). Drawn by inverse-CDF sampling:
    $x = \mu + \sigma \sqrt{2} \operatorname{erfinv}(2u - 1)$ with
    $u \sim \mathcal{U}(\Phi(a), \Phi(b))$, $\Phi$ the standard normal CDF, computed in float64
    so the tails are exact.

    >>> g = torch.Generator().manual_seed(0)
    >>> t = truncated_normal_(torch.empty(1000), std=2.0, generator=g)
    >>> bool(t.abs().max() <= 4.0)
    True
    """
    if not std >= 0 or not b > a:
        raise InitializerError(f"truncated_normal needs std >= 0 and a < b, got {std}, {a}, {b}")
    device = draw_device(tensor, generator)
    lo = 0.5 * (1.0 + math.erf(a / math.sqrt(2.0)))
    hi = 0.5 * (1.0 + math.erf(b / math.sqrt(2.0)))
    u = torch.empty(tensor.shape, dtype=torch.float64, device=device)
    u.uniform_(lo, hi, generator=generator)
    x = torch.special.erfinv(2.0 * u - 1.0) * math.sqrt(2.0)
    x = x.clamp_(a, b).mul_(std).add_(mean)
    return write(tensor, x)


def xavier_uniform_(
    tensor: torch.Tensor,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    fans: tuple[int, int] | None = None,
) -> torch.Tensor:
    r"""Glorot/Xavier uniform (Glorot & Bengio 2010; Keras ``glorot_uniform``).

    $\mathcal{U}(-a, a)$ with $a = g \sqrt{6 / (n_{in} + n_{out})}$, $g$ = ``gain`` and
    $(n_{in}, n_{out})$ the tensor's ``(fan_in, fan_out)`` (:func:`fans`). ``fans`` overrides
    them: an initial state of width ``W`` uses ``(W, W)``.

    >>> t = xavier_uniform_(torch.empty(300, 200), generator=torch.Generator().manual_seed(0))
    >>> bool(t.abs().max() <= (6 / 500) ** 0.5)
    True
    """
    fan_in, fan_out = _given_or_own(fans, tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(
    tensor: torch.Tensor,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    *,
    fans: tuple[int, int] | None = None,
) -> torch.Tensor:
    r"""Glorot/Xavier normal: $\mathcal{N}(0, \sigma^2)$, $\sigma = g \sqrt{2 / (n_{in} + n_{out})}$
    (Glorot & Bengio 2010), $g$ = ``gain``, $(n_{in}, n_{out})$ the fans (:func:`fans`);
    ``fans`` overrides the tensor's own, as for :func:`xavier_uniform_`.

    >>> g = torch.Generator().manual_seed(0)
    >>> t = xavier_normal_(torch.empty(8, 64), fans=(64, 64), generator=g)
    >>> round(t.std().item(), 1)  # 1 / sqrt(64)
    0.1
    """
    fan_in, fan_out = _given_or_own(fans, tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: torch.Tensor,
    nonlinearity: str = "relu",
    mode: str = "fan_in",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""He/Kaiming uniform (He et al. 2015): $\mathcal{U}(-a, a)$, $a = g \sqrt{3 / n}$.

    $g$ = ``torch.nn.init.calculate_gain(nonlinearity)``; $n$ is ``fan_in`` or ``fan_out``
    (``mode``).

    >>> t = kaiming_uniform_(torch.empty(50, 20), generator=torch.Generator().manual_seed(0))
    >>> bool(t.abs().max() <= (2 ** 0.5) * (3 / 20) ** 0.5)  # relu gain sqrt(2), fan_in 20
    True
    """
    fan = _fan_by_mode(tensor, mode)
    bound = _gain(nonlinearity) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: torch.Tensor,
    nonlinearity: str = "relu",
    mode: str = "fan_in",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""He/Kaiming normal (He et al. 2015): $\mathcal{N}(0, \sigma^2)$, $\sigma = g / \sqrt{n}$.

    $g$ = ``torch.nn.init.calculate_gain(nonlinearity)``; $n$ is ``fan_in`` or ``fan_out``
    (``mode``).

    >>> t = kaiming_normal_(torch.empty(400, 50), generator=torch.Generator().manual_seed(0))
    >>> round(t.std().item(), 1)  # sqrt(2) / sqrt(50)
    0.2
    """
    fan = _fan_by_mode(tensor, mode)
    return normal_(tensor, 0.0, _gain(nonlinearity) / math.sqrt(fan), generator)


def _gain(nonlinearity: str) -> float:
    try:
        return torch.nn.init.calculate_gain(nonlinearity)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InitializerError(f"nonlinearity={nonlinearity!r}: {exc}") from None


def _fan_by_mode(tensor: torch.Tensor, mode: str) -> int:
    fan_in, fan_out = fans(tensor)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise InitializerError(f"mode={mode!r} is not valid; valid: 'fan_in', 'fan_out'")


def lecun_normal_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""LeCun normal as in Flax/Keras: ``variance_scaling(1, "fan_in", "truncated_normal")``.

    A normal truncated at 2 std with $\sigma = \sqrt{1 / n_{in}} / 0.87962566$ ($n_{in}$ =
    ``fan_in``), so that the truncated draw has variance $1 / n_{in}$ (Flax
    ``linen.initializers.lecun_normal``, the default ``kernel_init`` of Flax's recurrent cells).

    >>> t = lecun_normal_(torch.empty(400, 25), generator=torch.Generator().manual_seed(0))
    >>> round(t.std().item(), 1)  # 1 / sqrt(25)
    0.2
    """
    fan_in, _ = fans(tensor)
    return truncated_normal_(
        tensor, 0.0, math.sqrt(1.0 / fan_in) / TRUNCATED_STD_2, -2, 2, generator
    )


def fan_in_truncated_normal_(
    tensor: torch.Tensor, scale: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Sonnet 2's recurrent-weight default: ``TruncatedNormal(stddev=scale / sqrt(fan_in))``.

    The ``stddev`` $s / \sqrt{n_{in}}$ ($s$ = ``scale``, $n_{in}$ = ``fan_in``) is that of the
    normal *before* truncation at 2 std (TensorFlow's ``truncated_normal``), so the draw's own
    std is about $0.88 \, s / \sqrt{n_{in}}$ (Sonnet ``recurrent.py``: ``w_i`` uses
    ``1/sqrt(input_size)``, ``w_h`` uses ``1/sqrt(hidden_size)``).

    >>> g = torch.Generator().manual_seed(0)
    >>> t = fan_in_truncated_normal_(torch.empty(400, 100), generator=g)
    >>> round(t.std().item(), 2)  # 0.88 / sqrt(100)
    0.09
    """
    fan_in, _ = fans(tensor)
    return truncated_normal_(tensor, 0.0, scale / math.sqrt(fan_in), -2, 2, generator)


def orthogonal_(
    tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""(Semi-)orthogonal matrix (Saxe et al. 2014; ``torch.nn.init.orthogonal_``).

    For an $r \times c$ tensor: draw $A \sim \mathcal{N}(0, 1)$ of shape
    $\max(r, c) \times \min(r, c)$, take $A = QR$, fix signs with
    $Q \leftarrow Q \operatorname{diag}(\operatorname{sign}(R_{jj}))$ so $Q$ is Haar-distributed,
    transpose if $r < c$; scale by ``gain``. Rows (if $r \le c$) or columns (if $r \ge c$) are
    orthonormal. The QR runs in float32 or float64, whatever the tensor's dtype.

    >>> q = orthogonal_(torch.empty(3, 5), gain=2.0, generator=torch.Generator().manual_seed(0))
    >>> bool(torch.allclose(q @ q.T, 4 * torch.eye(3), atol=1e-5))
    True
    """
    if tensor.dim() != 2:
        raise InitializerError(f"orthogonal needs a 2-D matrix, got shape {tuple(tensor.shape)}")
    rows, cols = tensor.shape
    device = draw_device(tensor, generator)
    a = torch.empty((max(rows, cols), min(rows, cols)), dtype=compute_dtype(tensor), device=device)
    a.normal_(0.0, 1.0, generator=generator)
    q, r = torch.linalg.qr(a)
    d = torch.diagonal(r).sign()
    d[d == 0] = 1.0
    q = q * d
    if rows < cols:
        q = q.T
    return write(tensor, q * gain)


def identity_(tensor: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    r"""$g \cdot I$ on a square matrix, $g$ = ``gain`` (IRNN, Le, Jaitly & Hinton 2015).

    Unlike ``torch.nn.init.eye_``, a non-square matrix is an error: an identity that does not fit
    is not an identity.

    >>> identity_(torch.empty(2, 2), gain=0.5).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """
    if tensor.dim() != 2 or tensor.shape[0] != tensor.shape[1]:
        raise InitializerError(f"identity needs a square matrix, got shape {tuple(tensor.shape)}")
    eye = torch.eye(tensor.shape[0], dtype=compute_dtype(tensor), device=tensor.device)
    return write(tensor, eye * gain)


def pytorch_default_(
    tensor: torch.Tensor, hidden_size: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""PyTorch's RNN default: $\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})$ with $H$ = ``hidden_size``.

    Used by ``reset_parameters()`` of ``nn.RNN/LSTM/GRU`` and the Cells on every parameter,
    biases and ``weight_hr`` included (with ``proj_size`` the bound still uses ``hidden_size``).

    >>> t = pytorch_default_(torch.empty(1000), hidden_size=16, generator=torch.Generator())
    >>> bool(t.abs().max() <= 0.25)
    True
    """
    if hidden_size <= 0:
        return zeros_(tensor)
    bound = 1.0 / math.sqrt(hidden_size)
    return uniform_(tensor, -bound, bound, generator)
