"""PNG pictures of an initialization (matplotlib, Agg backend; matplotlib is optional).

* :func:`plot_biases`: histogram of the effective gate biases ``b_ih + b_hh``, one colour per gate
  (GRU ``b_in`` and ``b_hn`` apart).
* :func:`plot_timescales`: histogram of the keep-gate timescales ``tau = 1 + exp(b)`` (log axis).
* :func:`plot_singular_values`: the sorted singular values of every recurrent gate block,
  one panel per gate (1 everywhere for an orthogonal block).
* :func:`plot_horizon`: the gradient norm by lag relative to the last step (log axis), with the
  threshold and the horizon.
* :func:`write_plots`: all four into a directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..layouts import gates
from .description import Description, describe
from .horizon import Horizon, gradient_horizon
from .layer_timescales import Timescales, timescales
from .metrics import effective_biases

__all__ = ["plot_biases", "plot_horizon", "plot_singular_values", "plot_timescales", "write_plots"]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "rnninit plots need matplotlib: pip install matplotlib (or rnninit[bench])"
        ) from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=100)
    _pyplot().close(fig)
    return out


def plot_biases(
    module: nn.Module,
    path: str | Path,
    *,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> Path:
    """Histogram of the effective gate biases ``b_ih[g] + b_hh[g]`` of every selected recurrent
    layer (GRU ``b_in`` and ``b_hn`` apart; definitions in :mod:`rnninit.diagnose.metrics`);
    ``include``/``exclude`` select modules as in :func:`rnninit.init_`.

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> plot_biases(nn.LSTM(2, 8), tmp / "b.png").read_bytes()[:4]
    b'\x89PNG'
    """
    plt = _pyplot()
    values: dict[str, list[torch.Tensor]] = {}
    for eb in effective_biases(module, include, exclude):
        values.setdefault(f"{eb.family} {eb.gate}", []).append(eb.value)
    for b in gates(module, include, exclude):  # GRU n: b_in and b_hn are separate biases
        if b.family == "GRU" and b.gate == "n" and b.kind in ("bias_ih", "bias_hh"):
            label = "GRU n (b_in)" if b.kind == "bias_ih" else "GRU n (b_hn)"
            values.setdefault(label, []).append(b.tensor.detach().double().cpu())
    fig, ax = plt.subplots(figsize=(7, 4))
    if values:
        every = torch.cat([torch.cat(vs) for vs in values.values()])
        lo, hi = float(every.min()), float(every.max())
        edges = torch.linspace(lo - 0.05, hi + 0.05, 61).numpy()  # shared bins
    for label, vs in values.items():
        ax.hist(torch.cat(vs).numpy(), bins=edges, alpha=0.55, label=label)
    ax.set_xlabel("effective bias b_ih + b_hh")
    ax.set_ylabel("units")
    ax.set_title("gate biases")
    if values:
        ax.legend(fontsize=8)
    return _save(fig, path)


def plot_timescales(result: Timescales, path: str | Path) -> Path:
    """Histogram (log-spaced bins) of the keep-gate timescales ``tau = 1 / (1 - sigmoid(b))``
    (Tallec & Ollivier 2018).

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> plot_timescales(timescales(nn.GRU(2, 8)), tmp / "t.png").name
    't.png'
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    taus = result.all()
    if taus.numel():
        lo, hi = float(taus.min()), float(taus.max())
        hi = max(hi, lo * 1.01)
        bins = torch.logspace(torch.log10(torch.tensor(lo)), torch.log10(torch.tensor(hi)), 41)
        for x in result:
            label = f"{x.module_name or '<root>'} l{x.layer} d{x.direction} ({x.gate})"
            ax.hist(x.tau.numpy(), bins=bins.numpy(), alpha=0.55, label=label)
        ax.set_xscale("log")
        if len(result) <= 8:
            ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, result.note or "no keep gate", ha="center", va="center")
    ax.set_xlabel("memory timescale tau = 1 / (1 - sigmoid(b)) [steps]")
    ax.set_ylabel("units")
    ax.set_title("keep-gate timescales")
    return _save(fig, path)


def plot_singular_values(desc: Description, path: str | Path) -> Path:
    """Sorted singular values of each recurrent gate block, one panel per gate (all 1 for an
    orthogonal block).

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> plot_singular_values(describe(nn.LSTM(2, 8)), tmp / "s.png").stat().st_size > 0
    True
    """
    plt = _pyplot()
    by_gate: dict[str, list[tuple[str, torch.Tensor]]] = {}
    for (param, gate), s in desc.singular_values.items():
        by_gate.setdefault(gate or "projection", []).append((param, s))
    n = max(1, len(by_gate))
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n + 1, 3.6), squeeze=False)
    for ax, (gate, curves) in zip(axes[0], by_gate.items(), strict=False):
        for param, s in curves:
            ax.plot(range(1, s.numel() + 1), s.numpy(), lw=1.2, label=param)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_title(f"gate {gate}")
        ax.set_xlabel("index")
        top = max(float(s.max()) for _, s in curves) if curves else 1.0
        ax.set_ylim(bottom=0, top=max(1.1, 1.05 * top))
        if len(curves) <= 4:
            ax.legend(fontsize=6)
    axes[0][0].set_ylabel("singular value")
    fig.suptitle("recurrent blocks: singular values (1 = orthogonal)")
    return _save(fig, path)


def plot_horizon(result: Horizon, path: str | Path) -> Path:
    """The gradient norm by lag, relative to the last step (``Horizon.relative``), on a log
    axis, with the threshold and the horizon (:func:`~rnninit.diagnose.gradient_horizon`).

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> h = gradient_horizon(nn.GRU(2, 8), 20, generator=torch.Generator().manual_seed(0))
    >>> plot_horizon(h, tmp / "h.png").name
    'h.png'
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    rel_t = result.relative
    positive = rel_t[rel_t > 0]
    floor = max(float(positive.min()) if positive.numel() else 1e-12, result.threshold * 1e-8)
    rel = rel_t.clamp_min(floor * 0.5).numpy()
    ax.semilogy(range(len(rel)), rel, lw=1.5)
    ax.set_ylim(
        bottom=min(floor * 0.5, result.threshold * 0.3), top=1.5 * max(1.0, float(rel.max()))
    )
    ax.axhline(
        result.threshold, color="red", ls="--", lw=1, label=f"threshold {result.threshold:g}"
    )
    ax.axvline(result.horizon, color="black", ls=":", lw=1, label=f"horizon {result.horizon}")
    ax.set_xlabel("steps back from the last step")
    ax.set_ylabel("||d y_T / d x_t|| / ||d y_T / d x_T||")
    ax.set_title(f"gradient horizon ({result.module_name or '<root>'}, T={result.seq_len})")
    ax.legend(fontsize=8)
    return _save(fig, path)


def write_plots(
    module: nn.Module,
    out_dir: str | Path,
    *,
    seq_len: int = 100,
    generator: torch.Generator | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> list[Path]:
    """Write ``biases.png``, ``timescales.png``, ``singular_values.png`` and ``horizon.png``.

    ``include``/``exclude`` select recurrent modules as in :func:`rnninit.init_`. The horizon
    is measured on the first selected module with ``seq_len`` steps of N(0, 1) input. Returns
    the paths written.

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> tmp = Path(tempfile.mkdtemp())
    >>> gen = torch.Generator().manual_seed(0)
    >>> [p.name for p in write_plots(nn.LSTM(2, 8), tmp, seq_len=10, generator=gen)]
    ['biases.png', 'timescales.png', 'singular_values.png', 'horizon.png']
    """
    out = Path(out_dir)
    horizon = gradient_horizon(
        module, seq_len, generator=generator, include=include, exclude=exclude
    )
    return [
        plot_biases(module, out / "biases.png", include=include, exclude=exclude),
        plot_timescales(
            timescales(module, include=include, exclude=exclude), out / "timescales.png"
        ),
        plot_singular_values(
            describe(module, include=include, exclude=exclude), out / "singular_values.png"
        ),
        plot_horizon(horizon, out / "horizon.png"),
    ]
