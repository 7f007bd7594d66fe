r"""``gradient_horizon``: how far back the gradient of the last output reaches, before training.

At the current weights, feed a sequence $x_1, \dots, x_T$ ($\mathcal{N}(0, 1)$ by default, or the
user's input) and take the last step's output $y = h_T$ of the last layer (forward direction).
For each earlier step $t$ the Jacobian $J_t = \partial y / \partial x_t$ says how much the output
can still learn from $x_t$. Its Frobenius norm is estimated with one random probe per sequence
($\mathbb{E}_v \|v^\top J\|^2 = \|J\|_F^2$ for $v \sim \mathcal{N}(0, I)$, Hutchinson 1989) and
averaged over the $B$ sequences of the batch as a root mean square:

$$
\mathrm{norm}_t = \sqrt{\frac{1}{B} \sum_b \|v_b^\top J_{t,b}\|^2}
$$

The **horizon** is the number of steps back from the last step over which the norm stays at or
above $\theta \, \mathrm{norm}_T$ ($\theta$ = ``threshold``): the largest $k$ with
$\mathrm{norm}_{T-j} \ge \theta \, \mathrm{norm}_T$ for every $1 \le j \le k$. A model whose
horizon is shorter than the dependency it must learn starts with (almost) no gradient signal for
it: this is the vanishing-gradient argument of Bengio, Simard & Frasconi (1994) and Hochreiter
(1991), measured rather than bounded.

At the saturation edge of the keep gate (``tests/test_diagnose_horizon.py`` checks each case):

* LSTM forget gate $\sigma(b_f) = 1$ (exactly, in float32, from $b_f \approx 16.7$): the cell
  state is carried unchanged, the norm does not decay, the horizon is $T - 1$
  (``saturated``);
* $\sigma(b_f) \approx 0$ ($b_f$ very negative): only the path through $h$ and $W_{hh}$
  remains, and the horizon is that of a plain RNN (a few steps);
* GRU update gate $z = 1$: $h_t = h_{t-1}$, the last output is the initial state whatever
  the input, and every norm is exactly 0: the horizon is 0 and ``reaches_input`` is False,
  while the timescale $1 + e^{b_z}$ is huge (memory kept, nothing written into it);
* a gradient that is not finite (an ``inf``/``NaN`` parameter or input) raises ``ValueError``
  rather than giving a horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..errors import ArgumentTypeError, ArgumentValueError, UnknownNameError, check_int, shown
from ..layouts import Layout, find_recurrent, is_recurrent, layout_of, require_module

__all__ = ["Horizon", "gradient_horizon", "pick_recurrent"]


@dataclass(frozen=True)
class Horizon:
    r"""The result of :func:`gradient_horizon`.

    ``norms[t]`` is the (batch-RMS) gradient norm of the last output with respect to input step
    $t$ ($t = 0, \dots, T-1$; ``norms[-1]`` is the last step). ``horizon`` is in steps back from
    the last step; ``saturated`` is true when the norm never fell below the threshold (the true
    horizon is then at least $T - 1$).

    >>> import torch
    >>> from torch import nn
    >>> h = gradient_horizon(nn.GRU(2, 8), 20, generator=torch.Generator().manual_seed(0))
    >>> h.norms.shape, h.by_lag[0] == h.norms[-1], h.reaches_input
    (torch.Size([20]), tensor(True), True)
    """

    module_name: str
    seq_len: int
    batch_size: int
    threshold: float
    norms: torch.Tensor
    horizon: int
    saturated: bool

    @property
    def reaches_input(self) -> bool:
        """False when the last output does not depend on the input at all (every norm is 0,
        e.g. a GRU whose update gate saturates at $z = 1$); ``horizon`` is then 0."""
        return bool((self.norms > 0).any())

    @property
    def by_lag(self) -> torch.Tensor:
        """``norms`` reordered by lag: element ``k`` is the norm ``k`` steps before the last."""
        return self.norms.flip(0)

    @property
    def relative(self) -> torch.Tensor:
        """``by_lag / norms[-1]`` (the curve compared with ``threshold``); zeros if it is 0."""
        ref = float(self.norms[-1])
        return self.by_lag / ref if ref > 0 else torch.zeros_like(self.norms)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python fields, with ``norms`` as a list (index = input step)."""
        return {
            "module": self.module_name,
            "seq_len": self.seq_len,
            "batch_size": self.batch_size,
            "threshold": self.threshold,
            "horizon": self.horizon,
            "saturated": self.saturated,
            "reaches_input": self.reaches_input,
            "norms": self.norms.tolist(),
        }

    def __str__(self) -> str:
        more = " (saturated: never fell below the threshold)" if self.saturated else ""
        name = self.module_name or "<root>"
        if not self.reaches_input:
            return (
                f"gradient horizon of {name}: 0 steps (T={self.seq_len}); the last output does "
                "not depend on the input at all (every gradient norm is 0, e.g. a saturated "
                "keep gate z = 1 that never lets the input in)"
            )
        return (
            f"gradient horizon of {name}: {self.horizon} steps back at threshold "
            f"{self.threshold:g} of the last step's gradient norm (T={self.seq_len}){more}"
        )


def pick_recurrent(
    module: nn.Module,
    name: str | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> tuple[str, nn.Module]:
    """The recurrent module to measure: ``module`` itself, the one called ``name``, or the first.

    ``include`` / ``exclude`` select modules by glob on their qualified names, as in
    :func:`rnninit.init_` (:func:`rnninit.layouts.find_recurrent`); the first selected module
    is measured, or the selected one called ``name``. Raises
    :class:`~rnninit.errors.UnknownNameError` (with the valid names) for an unknown ``name`` and
    :class:`~rnninit.errors.NoRecurrentModuleError` when nothing is selected.

    >>> from torch import nn
    >>> model = nn.ModuleDict({"enc": nn.GRU(2, 4), "dec": nn.LSTM(4, 4)})
    >>> pick_recurrent(model)[0], pick_recurrent(model, include="d*")[0]
    ('enc', 'dec')
    """
    if name is None and include is None and exclude is None and is_recurrent(module):
        return "", module
    found = find_recurrent(module, include, exclude)
    if name is None:
        return found[0]
    for n, m in found:
        if n == name:
            return n, m
    raise UnknownNameError("name", name, [n for n, _ in found])


def _input(
    layout: Layout,
    seq_len: int | None,
    given: torch.Tensor | None,
    batch_size: int,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """The input as ``(T, B, input_size)`` (time-major)."""
    if given is None:
        if seq_len is None:
            raise ValueError("gradient_horizon needs seq_len= (an int >= 2) or input=")
        x = torch.randn(seq_len, batch_size, layout.input_size, generator=generator)
        return x.to(dtype=dtype, device=device)
    if not isinstance(given, torch.Tensor):
        raise TypeError(f"input= must be a torch.Tensor, got {type(given).__name__}")
    x = given.detach()
    if x.dim() == 2:
        x = x.unsqueeze(1)
    elif x.dim() == 3:
        if layout.batch_first:
            x = x.transpose(0, 1)
    else:
        raise ValueError(
            f"input= must be (T, {layout.input_size}) or 3-D "
            f"({'(B, T, in)' if layout.batch_first else '(T, B, in)'}), got shape "
            f"{tuple(given.shape)}"
        )
    if x.shape[-1] != layout.input_size:
        raise ValueError(
            f"input= has {x.shape[-1]} features; the module takes input_size="
            f"{layout.input_size} (shape given: {tuple(given.shape)})"
        )
    if seq_len is not None and x.shape[0] != seq_len:
        raise ValueError(f"seq_len={seq_len} but input= has {x.shape[0]} steps")
    return x.to(dtype=dtype, device=device)


def _last_output(module: nn.Module, layout: Layout, x: torch.Tensor) -> torch.Tensor:
    """``h_T`` of the last layer, forward direction: ``(B, H_out)``."""
    if layout.is_cell:
        state: Any = None
        h: torch.Tensor = x.new_zeros(0)
        for t in range(x.shape[0]):
            state = module(x[t], state)
            h = state[0] if isinstance(state, tuple) else state
        return h
    inp = x.transpose(0, 1) if layout.batch_first else x
    out = module(inp)[0]
    last: torch.Tensor = out[:, -1] if layout.batch_first else out[-1]
    return last[:, : layout.hidden_out]


def gradient_horizon(
    module: nn.Module,
    seq_len: int | None = None,
    *,
    input: torch.Tensor | None = None,
    batch_size: int = 32,
    threshold: float = 0.01,
    generator: torch.Generator | None = None,
    name: str | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> Horizon:
    r"""Measure how many steps back the gradient of the last output stays above ``threshold``.

    Args:
        module: a recurrent module, or a model containing one (the first recurrent module is
            used, or the one whose qualified name is ``name``).
        seq_len: $T$, the number of steps (inferred from ``input`` if given).
        input: the sequence to use, ``(T, B, input_size)`` (``(B, T, input_size)`` with
            ``batch_first``) or ``(T, input_size)``; default $\mathcal{N}(0, 1)$ noise.
        batch_size: sequences of random input (ignored when ``input`` is given).
        threshold: the fraction of the last step's gradient norm that defines the horizon.
        generator: a ``torch.Generator`` for the random input and probes.
        name: qualified name of the recurrent module to measure inside ``module``.
        include: glob patterns on qualified module names, as in :func:`rnninit.init_`; the
            first selected recurrent module is measured.
        exclude: glob patterns of modules to leave out.

    Returns:
        A :class:`Horizon` with ``.norms`` (``(T,)``, by input step), ``.horizon`` (steps back
        from the last where $\mathrm{norm}_t \ge \theta \, \mathrm{norm}_T$, $\theta$ =
        ``threshold``, contiguously) and ``.to_dict()``.
        See the module docstring for the estimator.

    The module is not modified: gradients are taken with ``torch.autograd.grad`` with respect to
    the input only (no ``.grad`` is written on any parameter); dropout is switched off during the
    measurement and the module's training flag restored. The module's dtype and device are used.

    >>> import torch, rnninit
    >>> from torch import nn
    >>> gen = torch.Generator().manual_seed(0)
    >>> short = gradient_horizon(nn.LSTM(2, 32), 100, generator=gen)  # PyTorch default: tau ~ 2
    >>> long = rnninit.init_(nn.LSTM(2, 32), "chrono", max_timescale=100, generator=gen)
    >>> short.horizon < 20, gradient_horizon(long, 100, generator=gen).horizon
    (True, 99)
    """
    require_module(module)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ArgumentTypeError(
            f"threshold must be a fraction in (0, 1), got {shown(threshold)} "
            f"({type(threshold).__name__})"
        )
    if not 0.0 < threshold < 1.0:  # nan fails too
        raise ArgumentValueError(f"threshold must be a fraction in (0, 1), got {threshold!r}")
    check_int("seq_len", seq_len, 2, none_ok=True)
    if input is None:
        check_int("batch_size", batch_size)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ArgumentTypeError(
            f"generator must be a torch.Generator or None, got {shown(generator)} "
            f"({type(generator).__name__})"
        )
    qual, rec = pick_recurrent(module, name, include, exclude)
    layout = layout_of(rec)
    ref = next(rec.parameters())
    x = _input(layout, seq_len, input, batch_size, ref.dtype, ref.device, generator)
    if x.shape[0] < 2:
        raise ValueError(f"the sequence must have at least 2 steps, got {x.shape[0]}")
    x = x.clone().requires_grad_(True)
    was_training = rec.training
    rec.train(False)
    try:
        with torch.enable_grad():
            y = _last_output(rec, layout, x)
            probe = torch.randn(y.shape, generator=generator).to(dtype=y.dtype, device=y.device)
            (g,) = torch.autograd.grad((probe * y).sum(), x)
    finally:
        rec.train(was_training)
    norms = g.detach().double().square().sum(-1).mean(-1).sqrt().cpu()  # (T,)
    if not bool(torch.isfinite(norms).all()):
        bad = torch.nonzero(~torch.isfinite(norms)).flatten().tolist()
        raise ValueError(
            f"the gradient of {qual or '<root>'}'s last output is not finite at input steps "
            f"{bad[:5]}{' ...' if len(bad) > 5 else ''}: a parameter or the input holds inf/NaN "
            "(e.g. +inf in b_ih and -inf in b_hh of one gate), so no horizon can be measured"
        )
    steps = norms.shape[0]
    last = float(norms[-1])
    horizon = 0
    if last > 0:
        above = (norms.flip(0)[1:] >= threshold * last).tolist()
        while horizon < len(above) and above[horizon]:
            horizon += 1
    saturated = last > 0 and horizon == steps - 1
    return Horizon(qual, steps, int(x.shape[1]), float(threshold), norms, horizon, saturated)
