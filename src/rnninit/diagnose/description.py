r"""``describe(module)``: one row per gate block with its statistics.

For every gate block that :func:`rnninit.layouts.gates` lists (input, recurrent, bias and
projection blocks) a row gives the qualified parameter, layer, direction, kind, gate, shape,
mean, std, min and max. Recurrent and projection blocks add the spectral norm and the distance
from orthogonal; each gate with a bias adds an ``effective_bias`` row ($b_{ih}[g] + b_{hh}[g]$);
for the keep gate (LSTM $f$, GRU $z$) that row carries the implied memory timescale
$\tau = 1 / (1 - \sigma(b))$ (median, min, max over the units). Definitions: see
:mod:`rnninit.diagnose.metrics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..layouts import GateBlock, gates
from .metrics import effective_biases, orthogonality_distance, singular_values, timescale
from .table import Table

__all__ = ["COLUMNS", "Description", "describe"]

#: Columns of :class:`Description`, in print order.
COLUMNS: tuple[str, ...] = (
    "param",
    "layer",
    "dir",
    "kind",
    "gate",
    "shape",
    "mean",
    "std",
    "min",
    "max",
    "spectral_norm",
    "orth_dist",
    "tau_median",
    "tau_min",
    "tau_max",
)

_KIND_ORDER = {
    "input": 0,
    "recurrent": 1,
    "bias_ih": 2,
    "bias_hh": 3,
    "effective_bias": 4,
    "projection": 5,
}


class Description(Table):
    """The table :func:`describe` returns (a :class:`~rnninit.diagnose.table.Table`).

    ``singular_values`` maps ``(param, gate)`` of every recurrent/projection block to its
    singular values (float64, descending), for plots and further analysis.

    >>> from torch import nn
    >>> d = describe(nn.GRU(3, 4))
    >>> [r["gate"] for r in d.select(kind="recurrent")], sorted(d.singular_values)[0]
    (['r', 'z', 'n'], ('weight_hh_l0', 'n'))
    """

    def __init__(
        self,
        rows: Sequence[dict[str, Any]],
        singular_values: dict[tuple[str, str | None], torch.Tensor],
        title: str = "",
    ) -> None:
        super().__init__(COLUMNS, rows, title)
        self.singular_values = singular_values

    def select(self, **where: object) -> list[dict[str, Any]]:
        """Rows whose columns equal the given values: ``select(kind="recurrent", gate="f")``."""
        return [r for r in self.rows if all(r.get(k) == v for k, v in where.items())]


def _stats(t: torch.Tensor) -> dict[str, float]:
    x = t.detach().to(dtype=torch.float64, device="cpu").reshape(-1)
    if x.numel() == 0:
        return {"mean": float("nan"), "std": float("nan"), "min": float("nan"), "max": float("nan")}
    std = float(x.std(unbiased=False))
    return {"mean": float(x.mean()), "std": std, "min": float(x.min()), "max": float(x.max())}


def _block_row(b: GateBlock) -> dict[str, Any]:
    return {
        "param": b.param_name,
        "module": b.module_name,
        "layer": b.layer,
        "dir": b.direction,
        "kind": b.kind,
        "gate": b.gate,
        "shape": b.shape,
        **_stats(b.tensor),
    }


def describe(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> Description:
    r"""Describe every gate block of every recurrent layer in ``module``.

    Args:
        module: an ``nn.RNN``/``LSTM``/``GRU``, a Cell, or any module containing them.
        include: glob patterns on qualified module names (as in :func:`rnninit.init_`).
        exclude: glob patterns of modules to leave out.

    Returns:
        A :class:`Description`: print it for a terminal table, or use ``.to_markdown()`` /
        ``.to_dict()``. Rows are grouped by module, layer and direction, in the order input,
        recurrent, ``bias_ih``, ``bias_hh``, ``effective_bias``, projection; within a kind, gates
        in PyTorch's row order (LSTM ``i, f, g, o``; GRU ``r, z, n``; RNN ``h``).

    Columns ``spectral_norm`` (largest singular value) and ``orth_dist``
    ($\sqrt{\frac{1}{m} \sum_i (s_i^2 - 1)^2}$, i.e. $\|W^\top W - I\|_F / \sqrt{m}$ on the
    smaller side, $m$ the smaller dimension, 0 for a (semi-)orthogonal block) are set for
    recurrent and projection blocks. Effective-bias rows ($b_{ih}[g] + b_{hh}[g]$; zeros for
    ``bias=False``) exist for every gate except GRU $n$, whose $b_{in}$ and $b_{hn}$ are the
    ``bias_ih`` / ``bias_hh`` rows of gate $n$. For the keep gate (LSTM $f$, GRU $z$) the
    ``tau_*`` columns give $\tau = 1 / (1 - \sigma(b))$ (Tallec & Ollivier, ICLR 2018) over the
    units. Nothing in ``module`` is modified.

    >>> import torch, rnninit
    >>> from torch import nn
    >>> gen = torch.Generator().manual_seed(0)
    >>> lstm = rnninit.init_(nn.LSTM(2, 8), "orthogonal", generator=gen)
    >>> d = describe(lstm)
    >>> [round(r["spectral_norm"], 4) for r in d.select(kind="recurrent")]  # per gate: 1
    [1.0, 1.0, 1.0, 1.0]
    >>> (f,) = d.select(kind="effective_bias", gate="f")  # forget bias 1: tau = 1 + e
    >>> round(f["mean"], 4), round(f["tau_median"], 4)
    (1.0, 3.7183)
    """
    blocks = gates(module, include, exclude)
    rows: list[dict[str, Any]] = []
    svs: dict[tuple[str, str | None], torch.Tensor] = {}
    by_param: dict[str, list[GateBlock]] = {}
    for b in blocks:
        rows.append(_block_row(b))
        if b.kind in ("recurrent", "projection"):
            by_param.setdefault(b.param_name, []).append(b)
    # one batched SVD per parameter (its gate blocks all have the same shape)
    sv_of: dict[tuple[str, str | None], torch.Tensor] = {}
    for name, bl in by_param.items():
        s = singular_values(torch.stack([b.tensor for b in bl]))
        for b, sb in zip(bl, s, strict=True):
            sv_of[(name, b.gate)] = sb
    for r in rows:
        key = (r["param"], r["gate"])
        if key in sv_of:
            s = sv_of[key]
            svs[key] = s
            r["spectral_norm"] = float(s[0]) if s.numel() else 0.0
            r["orth_dist"] = float(orthogonality_distance(s)) if s.numel() else float("nan")
    for eb in effective_biases(module, include, exclude):
        row: dict[str, Any] = {
            "param": eb.params or f"{eb.module_name or '<root>'} (no bias)",
            "module": eb.module_name,
            "layer": eb.layer,
            "dir": eb.direction,
            "kind": "effective_bias",
            "gate": eb.gate,
            "shape": tuple(eb.value.shape),
            **_stats(eb.value),
        }
        if eb.is_keep_gate:
            tau = timescale(eb.value)
            row["tau_median"] = float(tau.median())
            row["tau_min"] = float(tau.min())
            row["tau_max"] = float(tau.max())
        rows.append(row)
    module_order = {r["module"]: i for i, r in reversed(list(enumerate(rows)))}
    rows.sort(
        key=lambda r: (module_order[r["module"]], r["layer"], r["dir"], _KIND_ORDER[r["kind"]])
    )  # stable: gate order kept within a kind
    title = f"rnninit.describe: {type(module).__name__}, {len(blocks)} gate blocks"
    return Description(rows, svs, title)
