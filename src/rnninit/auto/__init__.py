r"""The ``auto`` scheme: gate-aware initialization calibrated on the user's data.

``init_(model, "auto", data=batch)`` (or :func:`auto_init_`) starts every selected recurrent
layer from a fixed recipe and then looks at the data, layer by layer, bottom-up:

1.  **Base.** Recurrent weights orthogonal per gate block,
    $U_g \sim \mathrm{Haar}(H_{out} \times H)$ times ``gain`` (Saxe et al. 2014); input
    weights LeCun normal per gate block (Flax's ``kernel_init``); keep-gate bias chrono
    (Tallec & Ollivier 2018) with log-spaced timescales: each unit's memory timescale
    $\tau = 1 / (1 - \sigma(b_{keep}))$ is drawn log-uniform on $[2, T_{\max}]$,
    $b_f = \log(\tau - 1)$, LSTM $b_i = -b_f$, GRU $b_z = +\log(\tau - 1)$
    (:func:`rnninit.initializers.chrono_log_`; ``timescales="uniform"`` gives chrono's own
    $\tau - 1 \sim \mathcal{U}(1, T_{\max} - 1)$); every other bias 0 (GRU $b_{hn} = 0$).
    Relu/tanh RNNs have no keep gate: orthogonal recurrent weights, zero bias.

2.  **Calibration** (LSUV, Mishkin & Matas 2016, made gate-aware). For each layer $k$ and
    direction, on the real input $x$ that layer sees (layer 0: the module's input captured by
    a forward pre-hook; layer $k > 0$: the output of layer $k - 1$ after it was calibrated),
    each gate block $W_g$ of ``weight_ih`` is rescaled so that the mean square of its
    contribution to the gate pre-activation is $t$ = ``target``:

    $$
    W_g \leftarrow W_g \sqrt{t / m_g}, \qquad
    m_g = \frac{1}{H} \operatorname{tr}(W_g S W_g^\top), \qquad
    S = \mathbb{E}[x x^\top]
    $$

    over every valid time step (padding excluded: a ``PackedSequence`` or ``lengths=``). The
    mean square (not the centered variance) counts an offset from non-centered inputs, e.g.
    raw pixel values, as well as their spread: both saturate a sigmoid gate alike.

3.  $T_{\max}$ is ``reach * horizon``. ``horizon`` is the longest dependency in steps: when not
    given, the longest valid sequence the layer saw in ``data`` (for a Cell: the most calls in
    one forward). A unit of keep-gate timescale $\tau$ keeps
    $(1 - 1/\tau)^t \approx e^{-t/\tau}$ of what it held $t$ steps ago, so with $T_{\max}$
    equal to the horizon even the longest-memory units keep only $1/e$ over the horizon and
    none reaches past it; ``reach = 3`` lets them keep $e^{-1/3}$, about 72%, and gives
    $\ln 3 / \ln(T_{\max} / 2)$ of the units (21% at a horizon of 120) timescales beyond the
    horizon. Tallec & Ollivier took $T_{\max} = 3T/2$ for their copy task; ``reach = 3`` was
    chosen by the factor ablation (the copy task and permuted digits decide it; the numbers
    are in ``docs/ablation.md``, not here, so that they cannot go stale in a docstring).

Without ``data`` the inputs are assumed standardized ($S = I$): the input blocks are LeCun
normal scaled by $\sqrt{t}$, and ``horizon`` is required.

Guarantees: in place on the existing Parameters under ``torch.no_grad()``; atomic (any error
leaves every parameter bit-identical); the model runs in eval mode during calibration and gets
its mode back; hooks are removed on every path; deterministic with ``generator``. Under
``torch.distributed`` the statistics are summed over ranks and rank 0's weights are broadcast,
so every rank ends with the same weights. The constants (``target``, ``gain``) were chosen by
the factor ablation (``docs/ablation.md``); what ``auto`` does on real and synthetic tasks is in
``docs/BENCHMARKS.md`` and ``docs/realdata.md``.
"""

from __future__ import annotations

from ._scheme import AUTO_DEFAULTS, TARGETS, TIMESCALES, CalibrationError, auto_init_

__all__ = [
    "AUTO_DEFAULTS",
    "TARGETS",
    "TIMESCALES",
    "CalibrationError",
    "auto_init_",
]
