r"""``timescales(module)``: the memory timescales the keep-gate biases imply, per layer.

For LSTM (forget gate $f$) and GRU (update gate $z$, the keep gate of PyTorch's GRU) each unit
has $\tau = 1 / (1 - \sigma(b)) = 1 + e^b$ with $b$ its effective bias $b_{ih} + b_{hh}$ (0
without bias) and $\sigma$ the logistic sigmoid: the number of steps over which the unit keeps
information at zero input (Tallec & Ollivier, "Can recurrent neural networks warp time?", ICLR
2018). Chrono initialization with $T_{\max}$ puts $\tau$ uniformly in $[2, T_{\max}]$; PyTorch's
default puts it near 2; a forget bias of 1 gives 3.72. Plain RNNs have no gate, hence no entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..layouts import require_module
from .metrics import effective_biases, timescale
from .table import Table

__all__ = ["LayerTimescales", "Timescales", "timescales"]


@dataclass(frozen=True)
class LayerTimescales:
    """Per-unit timescales of one layer and direction of one recurrent module.

    ``tau`` and ``bias`` are float64 tensors of shape ``(hidden_size,)``.

    >>> from torch import nn
    >>> (x,) = timescales(nn.LSTM(3, 4, bias=False))
    >>> x.gate, x.tau.tolist(), x.summary()["tau_median"]  # b = 0: tau = 2
    ('f', [2.0, 2.0, 2.0, 2.0], 2.0)
    """

    module_name: str
    family: str
    layer: int
    direction: int
    gate: str
    bias: torch.Tensor
    tau: torch.Tensor

    def summary(self) -> dict[str, Any]:
        """Median, min, max, mean and the 10% / 90% quantiles of ``tau``."""
        q = torch.quantile(self.tau, torch.tensor([0.1, 0.9], dtype=torch.float64))
        return {
            "module": self.module_name,
            "family": self.family,
            "layer": self.layer,
            "dir": self.direction,
            "gate": self.gate,
            "units": int(self.tau.numel()),
            "tau_median": float(self.tau.median()),
            "tau_min": float(self.tau.min()),
            "tau_max": float(self.tau.max()),
            "tau_mean": float(self.tau.mean()),
            "tau_q10": float(q[0]),
            "tau_q90": float(q[1]),
        }


class Timescales:
    """The result of :func:`timescales`: one :class:`LayerTimescales` per layer and direction.

    Iterate over it, index it, print it (a table of summaries), or call :meth:`to_dict`
    (summaries plus the per-unit values).

    >>> from torch import nn
    >>> ts = timescales(nn.ModuleDict({"a": nn.GRU(3, 4, num_layers=2), "b": nn.RNN(3, 4)}))
    >>> len(ts), ts.all().shape, ts.note
    (2, torch.Size([8]), 'no keep gate (plain RNN, no timescale from a bias): b')
    """

    def __init__(self, layers: list[LayerTimescales], note: str = "") -> None:
        self.layers = layers
        self.note = note

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[LayerTimescales]:
        return iter(self.layers)

    def __getitem__(self, index: int) -> LayerTimescales:
        return self.layers[index]

    def all(self) -> torch.Tensor:
        """Every unit's timescale, concatenated over layers (float64; empty if no entry)."""
        if not self.layers:
            return torch.zeros(0, dtype=torch.float64)
        return torch.cat([x.tau for x in self.layers])

    def table(self) -> Table:
        """The per-layer summaries as a :class:`~rnninit.diagnose.table.Table`."""
        cols: tuple[str, ...] = ("module", "family", "layer", "dir", "gate", "units")
        cols += ("tau_median", "tau_min", "tau_max", "tau_q10", "tau_q90")
        title = "rnninit.diagnose.timescales: tau = 1 / (1 - sigmoid(b_keep)) per unit"
        rows = [x.summary() for x in self.layers]
        for r in rows:
            r["module"] = r["module"] or "<root>"
        return Table(cols, rows, title)

    def to_dict(self) -> dict[str, Any]:
        """``{"note", "layers": [summary + "tau": [per-unit values]]}``."""
        return {
            "note": self.note,
            "layers": [{**x.summary(), "tau": x.tau.tolist()} for x in self.layers],
        }

    def __str__(self) -> str:
        text = self.table().to_text()
        return f"{text}\n{self.note}" if self.note else text

    def __repr__(self) -> str:
        return f"Timescales({len(self.layers)} layers)"


def timescales(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> Timescales:
    r"""Memory timescales $\tau = 1 / (1 - \sigma(b)) = 1 + e^b$ of every keep-gate unit.

    Args:
        module: a recurrent module or any module containing some.
        include: glob patterns on qualified module names.
        exclude: glob patterns of modules to leave out.

    Returns:
        A :class:`Timescales` with one entry per (module, layer, direction) of every LSTM (gate
        $f$) and GRU (gate $z$); $b$ is the effective bias $b_{ih} + b_{hh}$ (0 for
        ``bias=False``). Plain RNN layers have no keep gate and are listed in ``.note``.
        Source: Tallec & Ollivier, ICLR 2018 (the chrono initialization).

    >>> import torch, rnninit
    >>> from torch import nn
    >>> gen = torch.Generator().manual_seed(0)
    >>> lstm = rnninit.init_(nn.LSTM(2, 64), "chrono", max_timescale=100, generator=gen)
    >>> tau = timescales(lstm).all()  # chrono: tau spread over [2, T_max]
    >>> bool(tau.min() >= 2), bool(tau.max() <= 100)
    (True, True)
    """
    require_module(module)
    entries: list[LayerTimescales] = []
    skipped: set[str] = set()
    for eb in effective_biases(module, include, exclude):
        if eb.family == "RNN":
            skipped.add(eb.module_name or "<root>")
        if not eb.is_keep_gate:
            continue
        entries.append(
            LayerTimescales(
                eb.module_name,
                eb.family,
                eb.layer,
                eb.direction,
                eb.gate,
                eb.value,
                timescale(eb.value),
            )
        )
    note = ""
    if skipped:
        note = f"no keep gate (plain RNN, no timescale from a bias): {', '.join(sorted(skipped))}"
    return Timescales(entries, note)
