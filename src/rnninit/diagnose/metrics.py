r"""The quantities every diagnostic reports: singular values, distance from orthogonal,
effective gate biases and the memory timescales they imply.

Definitions (used throughout :mod:`rnninit.diagnose`):

*   **Spectral norm** of a block $W$ ($r \times c$): its largest singular value $s_{\max}$.

*   **Distance from orthogonal**: with $s_1, \dots, s_m$ the singular values, $m = \min(r, c)$,

    $$
    d(W) = \frac{\|G - I_m\|_F}{\sqrt{m}} = \sqrt{\frac{1}{m} \sum_i (s_i^2 - 1)^2}
    $$

    where $G$ is the Gram matrix on the smaller side ($W^\top W$ if $r \ge c$ else $W W^\top$).
    $d = 0$ exactly when $W$ is (semi-)orthogonal, $d = 1$ for the zero matrix, and it does not
    grow with the size of the block. A scaled orthogonal block $g Q$ has $d = |g^2 - 1|$.

*   **Effective bias** of a gate $g$: $b_{ih}[g] + b_{hh}[g]$, the bias the gate
    pre-activation sees (PyTorch adds both; ``torch/nn/modules/rnn.py``). GRU's $n$ gate is the
    exception: $n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))$, so $b_{in}$ and
    $b_{hn}$ are reported apart. Modules built with ``bias=False`` have effective bias 0.

*   **Memory timescale** of the keep gate (LSTM $f$, GRU $z$) with effective bias $b$: at zero
    input and state the gate is $\sigma(b)$ (the logistic sigmoid), so a unit forgets a
    fraction $1 - \sigma(b)$ per step and keeps information for about

    $$
    \tau = \frac{1}{1 - \sigma(b)} = 1 + e^b
    $$

    steps (Tallec & Ollivier, "Can recurrent neural networks warp time?", ICLR 2018,
    section 3). $b = 0$ gives $\tau = 2$; $b = 1$ gives 3.72.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..layouts import KEEP_GATE, GateBlock, find_recurrent, gates, layout_of

__all__ = [
    "EffectiveBias",
    "effective_biases",
    "orthogonality_distance",
    "singular_values",
    "timescale",
]


def singular_values(blocks: torch.Tensor) -> torch.Tensor:
    """Singular values (descending) of a matrix or a batch ``(..., r, c)``, in float64.

    Computed as the square roots of the eigenvalues (``eigvalsh``) of the Gram matrix $G$ on the
    smaller side, which is ~1.5x faster than an SVD and exact to float64 rounding for $s^2$
    (what the distance from orthogonal uses); singular values below ~1e-8 of the largest lose
    relative precision.

    >>> import torch
    >>> singular_values(torch.diag(torch.tensor([3.0, -2.0, 0.5])))
    tensor([3.0000, 2.0000, 0.5000], dtype=torch.float64)
    """
    w = blocks.detach().to(dtype=torch.float64, device="cpu")
    gram = w.mT @ w if w.shape[-2] >= w.shape[-1] else w @ w.mT
    eig: torch.Tensor = torch.linalg.eigvalsh(gram)
    return eig.flip(-1).clamp_min(0.0).sqrt()


def orthogonality_distance(sv: torch.Tensor) -> torch.Tensor:
    r"""$\sqrt{\frac{1}{m} \sum_i (s_i^2 - 1)^2}$ over the last dimension of singular values ``sv``.

    Equal to $\|W^\top W - I\|_F / \sqrt{m}$, $m = \min(r, c)$, with the Gram matrix taken on
    the smaller side of the $r \times c$ block $W$ (see the module docstring).

    >>> import torch
    >>> q = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(0)))[0]
    >>> round(float(orthogonality_distance(singular_values(q))), 4)  # orthogonal: 0
    0.0
    >>> round(float(orthogonality_distance(singular_values(2 * q))), 4)  # |g^2 - 1| = 3
    3.0
    """
    return torch.sqrt(torch.mean((sv.square() - 1.0).square(), dim=-1))


def timescale(bias: torch.Tensor) -> torch.Tensor:
    r"""$\tau = 1 / (1 - \sigma(b)) = 1 + e^b$ per unit, in float64 (Tallec & Ollivier 2018).

    >>> import torch
    >>> timescale(torch.tensor([0.0, 1.0]))  # b = 0: 2 steps; a forget bias of 1: 3.72
    tensor([2.0000, 3.7183], dtype=torch.float64)
    """
    return 1.0 + torch.exp(bias.detach().to(dtype=torch.float64, device="cpu"))


@dataclass(frozen=True)
class EffectiveBias:
    """The effective bias of one gate in one layer and direction of one recurrent module.

    ``value`` is $b_{ih}[g] + b_{hh}[g]$ (a detached float64 copy), or zeros when the module has
    no bias. ``params`` names the parameters summed (``""`` when there is none). For GRU $n$ no
    effective bias exists ($b_{hn}$ is multiplied by $r$), so :func:`effective_biases` skips it.

    >>> from torch import nn
    >>> eb = effective_biases(nn.LSTM(3, 4))[1]
    >>> eb.gate, eb.params, eb.is_keep_gate, tuple(eb.value.shape)
    ('f', 'bias_ih_l0+bias_hh_l0', True, (4,))
    """

    module_name: str
    family: str
    layer: int
    direction: int
    gate: str
    params: str
    value: torch.Tensor

    @property
    def is_keep_gate(self) -> bool:
        """True for LSTM ``f`` and GRU ``z`` (the keep gate of a declaration of these families):
        the gate whose bias sets the memory timescale."""
        return KEEP_GATE.get(self.family) == self.gate


def _key(b: GateBlock) -> tuple[str, int, int, str | None]:
    return (b.module_name, b.layer, b.direction, b.gate)


def _local(b: GateBlock) -> str:
    """The block's parameter name inside its recurrent module (dotted for a submodule's)."""
    prefix = f"{b.module_name}." if b.module_name else ""
    return b.param_name[len(prefix) :] if b.param_name.startswith(prefix) else b.param_name


def effective_biases(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> list[EffectiveBias]:
    """Effective bias of every gate (but GRU ``n``) of every recurrent layer in ``module``.

    Ordered by module, layer, direction, gate. Uses :func:`rnninit.layouts.gates` for every slice;
    ``include``/``exclude`` select modules as in :func:`rnninit.init_`.

    >>> import torch
    >>> from torch import nn
    >>> gru = nn.GRU(3, 4)
    >>> with torch.no_grad():  # z is rows H:2H of both biases (PyTorch order r, z, n)
    ...     _ = gru.bias_ih_l0[4:8].fill_(1.5), gru.bias_hh_l0[4:8].fill_(0.5)
    >>> [(e.gate, float(e.value[0])) for e in effective_biases(gru)][1]  # no entry for n
    ('z', 2.0)
    """
    blocks = gates(module, include, exclude)
    ih = {_key(b): b for b in blocks if b.kind == "bias_ih"}
    hh = {_key(b): b for b in blocks if b.kind == "bias_hh"}
    out: list[EffectiveBias] = []
    for name, sub in find_recurrent(module, include, exclude):
        lay = layout_of(sub)
        for layer in range(lay.num_layers):
            for direction in range(lay.num_directions):
                for g in lay.gates:
                    if lay.family == "GRU" and g == "n":
                        continue
                    k = (name, layer, direction, g)
                    if k in ih and k in hh:
                        a, b = ih[k], hh[k]
                        value = a.tensor.detach().double() + b.tensor.detach().double()
                        params = f"{a.param_name}+{_local(b)}"
                    elif k in ih:  # a one-bias cell (declared with bias_ih only)
                        value, params = ih[k].tensor.detach().double(), ih[k].param_name
                    else:
                        value = torch.zeros(lay.hidden_size, dtype=torch.float64)
                        params = ""
                    out.append(
                        EffectiveBias(name, lay.family, layer, direction, g, params, value.cpu())
                    )
    return out
