r"""``check(model)``: find the common initialization pitfalls of recurrent layers.

Each check looks at the parameters as they are now and reports a
:class:`~rnninit.diagnose.findings.Finding` (severity, where, what was seen, why it matters, the
fix). The checks, by code:

``doubled_bias`` (warning)
    $b_{ih}[g]$ and $b_{hh}[g]$ both hold the same nonzero constant $c$: the gate sees $2c$.
    The classic case is a forget bias of 1 written into both biases, giving $\sigma(2) = 0.881$
    instead of $\sigma(1) = 0.731$ (PyTorch sums the two biases, ``torch/nn/modules/rnn.py``).
``whole_matrix_orthogonal`` (warning)
    ``weight_hh`` is orthogonal as a stacked $G H \times H_{out}$ matrix (all its singular values
    within 5% of each other) but its gate blocks are not (mean ratio $s_{\min} / s_{\max}$ of the
    blocks below 0.5): what ``nn.init.orthogonal_(weight_hh)`` and Keras' ``recurrent_kernel``
    orthogonal do. Each gate's own recurrence then has singular values spread between ~0 and ~0.9
    instead of 1 (Saxe et al. 2014 want each recurrence orthogonal). Not reported for a layer
    last initialized by ``rnninit.init_(..., "keras")``: there it is Keras' own default,
    reproduced on purpose for ports.
``pytorch_default_long_sequence`` (warning, needs ``seq_len >= 100``)
    Every parameter lies in $[-a, a]$, $a = 1/\sqrt{H}$, with the statistics of
    $\mathcal{U}(-a, a)$ (pooled std within 10% of $a/\sqrt{3}$, mean within $0.1 a$ of 0,
    extremes beyond $0.8 a$): PyTorch's ``reset_parameters``. Its keep-gate timescale is about 2
    steps ($b \approx 0$), far below ``seq_len`` (median ``< seq_len / 10``); plain RNNs are
    flagged on the weight signature alone.
``relu_spectral_radius`` (warning)
    A ReLU RNN whose ``weight_hh`` has spectral radius $\rho$ (the largest $|\lambda|$ over its
    eigenvalues $\lambda$) above $1 + 10^{-3}$: activations and gradients can grow like $\rho^T$
    (Le, Jaitly & Hinton 2015).
``replaced_parameter`` (warning)
    A Parameter of an ``nn.RNN/LSTM/GRU`` is not the object the module last packed into its flat
    weight list (``module._flat_weights`` / its weak references; PyTorch re-packs at the next
    forward), or on CUDA the weights no longer share one storage (cuDNN's flat buffer: "RNN module
    weights are not part of single contiguous chunk of memory"). Replacing Parameters is also how
    optimizers end up updating stale tensors.
``one_step_calibration`` (warning)
    ``auto`` took a layer's horizon from ``data`` that gave it one step per forward (a Cell
    calibrated on a 2-D batch): its keep-gate timescales lie in $[2, 3]$ steps
    (:mod:`rnninit.diagnose.check_calibration`).
``not_in_optimizer`` (error, needs ``optimizer=``)
    A recurrent Parameter that is in none of the optimizer's parameter groups: it will never be
    trained (typically replaced after the optimizer was built). The same for a learned initial
    state (:mod:`rnninit.diagnose.check_states`), wherever it lives.
``state_without_gradient`` (warning, needs a backward pass first)
    A learned initial state (``rnninit.states.InitialState``, attached or not) whose parameters
    require grad but have ``.grad is None`` while other parameters have a gradient: the state is
    not used in the forward (not passed as ``h0``) or is detached. Without any ``.grad`` in the
    model this check cannot tell and stays silent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ..errors import ArgumentTypeError, check_int, shown
from ..layouts import GateBlock, find_recurrent, gates, layout_of, parameters_of, require_module
from ..schemes._apply import SCHEME_ATTRIBUTE
from .check_calibration import one_step_calibration
from .check_states import Selected, states_not_in_optimizer, states_without_grad, trainable_states
from .findings import Finding, Report
from .metrics import effective_biases, singular_values, timescale

__all__ = ["LONG_SEQUENCE", "check"]

#: ``seq_len`` from which a model counts as "declared for long sequences".
LONG_SEQUENCE = 100


def _doubled_bias(blocks: list[GateBlock]) -> list[Finding]:
    ih = {(b.module_name, b.layer, b.direction, b.gate): b for b in blocks if b.kind == "bias_ih"}
    hh = {(b.module_name, b.layer, b.direction, b.gate): b for b in blocks if b.kind == "bias_hh"}
    out: list[Finding] = []
    for key, a in ih.items():
        b = hh.get(key)
        if b is None or (a.family == "GRU" and a.gate == "n"):
            continue
        x, y = a.tensor.detach().double(), b.tensor.detach().double()
        c = float(x[0])
        tol = 1e-6 * max(1.0, abs(c))
        if c == 0.0 or float((x - c).abs().max()) > tol or float((y - c).abs().max()) > tol:
            continue
        sig1, sig2 = 1 / (1 + math.exp(-c)), 1 / (1 + math.exp(-2 * c))
        out.append(
            Finding(
                "doubled_bias",
                "warning",
                (f"{a.param_name}[{a.gate}]", f"{b.param_name}[{b.gate}]"),
                f"b_ih[{a.gate}] = b_hh[{a.gate}] = {c:g}: the gate sees {2 * c:g} "
                f"(sigmoid {sig2:.3f}) instead of {c:g} (sigmoid {sig1:.3f})",
                "PyTorch adds b_ih and b_hh; writing the intended bias into both doubles it "
                "(for the forget gate, tau = 1 + exp(b) goes from "
                f"{1 + math.exp(c):.3g} to {1 + math.exp(2 * c):.3g} steps)",
                "write the bias once: rnninit.init_(model, gates="
                f"{{'{a.gate}': {{'bias': {c:g}}}}}) (or forget_bias=...), which puts it in "
                "b_ih and zeroes b_hh",
            )
        )
    return out


def _whole_matrix_orthogonal(model: nn.Module, blocks: list[GateBlock]) -> list[Finding]:
    by_param: dict[str, list[torch.Tensor]] = {}
    params: dict[str, torch.Tensor] = {}
    module_of: dict[str, str] = {}
    for b in blocks:
        deliberate = getattr(model.get_submodule(b.module_name), SCHEME_ATTRIBUTE, None) == "keras"
        if b.kind == "recurrent" and b.family != "RNN" and not deliberate:
            by_param.setdefault(b.param_name, []).append(b.tensor)
            params[b.param_name] = b.param
            module_of[b.param_name] = b.module_name
    hits: dict[str, list[tuple[str, float, float, float]]] = {}
    for name, rows in by_param.items():
        whole = singular_values(params[name])
        if whole.numel() == 0 or float(whole[0]) == 0.0:
            continue
        whole_ratio = float(whole[-1] / whole[0])
        sv = singular_values(torch.stack(rows))
        block_ratio = float((sv[:, -1] / sv[:, 0].clamp_min(1e-30)).mean())
        if whole_ratio >= 0.95 and block_ratio < 0.5:
            hits.setdefault(module_of[name], []).append(
                (name, block_ratio, float(sv.min()), float(sv.max()))
            )
    out: list[Finding] = []
    for hit in hits.values():
        ratio = sum(h[1] for h in hit) / len(hit)
        lo, hi = min(h[2] for h in hit), max(h[3] for h in hit)
        out.append(
            Finding(
                "whole_matrix_orthogonal",
                "warning",
                tuple(h[0] for h in hit),
                "each stacked weight_hh is orthogonal as a whole (singular values within 5%) but "
                f"its gate blocks are not (mean s_min/s_max {ratio:.2f}; block singular values "
                f"{lo:.2g}..{hi:.2g})",
                "orthogonal init is meant to keep each gate's recurrence norm-preserving "
                "(Saxe et al. 2014); over the whole stack, each block only gets a slice of an "
                "orthogonal matrix, with small singular values that shorten memory",
                "initialize per gate block: rnninit.init_(model, 'orthogonal') (or recurrent="
                "'orthogonal' with any scheme)",
            )
        )
    return out


def _looks_like_pytorch_default(module: nn.Module) -> tuple[bool, str]:
    lay = layout_of(module)
    a = 1.0 / math.sqrt(lay.hidden_size)
    own = parameters_of(module)  # the layer's weights, not an attached initial state
    values = torch.cat([r.param.detach().double().reshape(-1).cpu() for r in own])
    if values.numel() == 0:
        return False, ""
    lo, hi = float(values.min()), float(values.max())
    std, mean = float(values.std(unbiased=False)), float(values.mean())
    ok = (
        max(abs(lo), abs(hi)) <= a * (1 + 1e-6)
        and min(-lo, hi) >= 0.8 * a
        and abs(std / (a / math.sqrt(3)) - 1) <= 0.10
        and abs(mean) <= 0.1 * a
    )
    seen = (
        f"all {values.numel()} values in [{lo:.3g}, {hi:.3g}] within +-1/sqrt(H) = {a:.3g}, "
        f"std {std:.3g} (U(-a, a): {a / math.sqrt(3):.3g})"
    )
    return ok, seen


def _pytorch_default_long(recurrent: Selected, seq_len: int) -> list[Finding]:
    out: list[Finding] = []
    for name, sub in recurrent:
        ok, seen = _looks_like_pytorch_default(sub)
        if not ok:
            continue
        lay = layout_of(sub)
        qual = name or "<root>"
        if lay.keep_gate is not None:
            keep = [e.value for e in effective_biases(sub) if e.is_keep_gate]
            tau = timescale(torch.cat(keep))
            median = float(tau.median())
            if median >= seq_len / 10:
                continue
            seen += f"; keep-gate ({lay.keep_gate}) timescale median {median:.3g} steps"
        fix = (
            "rnninit.init_(model, 'auto', data=batch), the recommended start (calibrated on a "
            "batch of your data, keep-gate timescales up to 3x its length); with no data at hand, "
            f"rnninit.init_(model, 'chrono', max_timescale={seq_len}) (Tallec & Ollivier 2018); "
            f"check with rnninit.diagnose.gradient_horizon(model, {seq_len})"
            if lay.keep_gate is not None
            else "use an LSTM/GRU started with rnninit.init_(model, 'auto', data=batch), or for a "
            "relu RNN rnninit.init_(rnn, 'irnn')"
        )
        out.append(
            Finding(
                "pytorch_default_long_sequence",
                "warning",
                (qual,),
                f"{seen}; seq_len={seq_len}",
                "PyTorch's default U(-1/sqrt(H), 1/sqrt(H)) leaves every gate near "
                "sigmoid(0) = 0.5: each unit forgets half its memory per step, so the "
                "gradient from steps far back vanishes and long dependencies are learned "
                "slowly or never",
                fix,
            )
        )
    return out


def _relu_radius(recurrent: Selected) -> list[Finding]:
    out: list[Finding] = []
    for name, sub in recurrent:
        lay = layout_of(sub)
        if lay.family != "RNN" or lay.nonlinearity != "relu":
            continue
        for r in parameters_of(sub, name):
            if r.kind != "recurrent":
                continue
            eig = torch.linalg.eigvals(r.param.detach().double().cpu())
            rho = float(eig.abs().max())
            if rho > 1 + 1e-3:
                out.append(
                    Finding(
                        "relu_spectral_radius",
                        "warning",
                        (r.name,),
                        f"spectral radius (max |eigenvalue|) of {r.local_name} is {rho:.3g} > 1",
                        "a relu recurrence has no squashing: along the top eigenvector the state "
                        f"and the gradient grow like {rho:.3g}^T ({rho:.3g}^100 = "
                        f"{rho**100:.3g}), so training diverges on long sequences",
                        "start at radius 1 with the identity (rnninit.init_(rnn, 'irnn'), "
                        "Le et al. 2015) or orthogonal weights, or scale weight_hh by 1/radius "
                        "in place",
                    )
                )
    return out


def _replaced(recurrent: Selected) -> list[Finding]:
    out: list[Finding] = []
    for name, sub in recurrent:
        if not isinstance(sub, nn.RNNBase):
            continue
        names: list[str] = list(sub._flat_weights_names)
        flat = list(sub._flat_weights)
        refs = list(getattr(sub, "_flat_weight_refs", []))
        stale = []
        for i, local in enumerate(names):
            cur = getattr(sub, local, None)
            if cur is None:
                continue
            packed_ref = refs[i] if i < len(refs) else None
            packed = packed_ref() if packed_ref is not None else cur
            if (i < len(flat) and flat[i] is not cur) or packed is not cur:
                stale.append(f"{name}.{local}" if name else local)
        if stale:
            out.append(
                Finding(
                    "replaced_parameter",
                    "warning",
                    tuple(stale),
                    "these Parameters are not the objects the module packed into its flat weight "
                    "list (module._flat_weights): they were replaced after construction "
                    "(setattr / register_parameter)",
                    "on cuDNN the weights then leave the contiguous flat buffer (a warning and a "
                    "copy on every call); any optimizer built before the replacement holds the "
                    "old tensors and never updates the new ones",
                    "initialize in place under torch.no_grad() (rnninit.init_ does), never assign "
                    "new Parameters; build the optimizer after initialization",
                )
            )
            continue
        ws = [w for w in flat if isinstance(w, torch.Tensor)]
        on_cudnn = bool(ws) and all(w.is_cuda for w in ws)
        if on_cudnn and torch.backends.cudnn.is_acceptable(ws[0]):  # type: ignore[no-untyped-call]
            storages = {w.untyped_storage().data_ptr() for w in ws}
            if len(storages) > 1:
                out.append(
                    Finding(
                        "replaced_parameter",
                        "warning",
                        (name or "<root>",),
                        f"the weights live in {len(storages)} storages, not cuDNN's single flat "
                        "buffer (tensor data replaced, e.g. p.data = t)",
                        "cuDNN copies the weights into a contiguous buffer on every call "
                        "(PyTorch warns 'RNN module weights are not part of single contiguous "
                        "chunk of memory')",
                        "call module.flatten_parameters() once after initializing, and initialize "
                        "in place (p.copy_(t) under no_grad, or rnninit.init_)",
                    )
                )
    return out


def _not_in_optimizer(recurrent: Selected, optimizer: torch.optim.Optimizer) -> list[Finding]:
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    missing = [
        r.name
        for name, sub in recurrent
        for r in parameters_of(sub, name)
        if r.param.requires_grad and id(r.param) not in held
    ]
    if not missing:
        return []
    return [
        Finding(
            "not_in_optimizer",
            "error",
            tuple(missing),
            f"{len(missing)} recurrent Parameter(s) are in none of the optimizer's param groups",
            "the optimizer updates only the tensors it was given: these weights stay at their "
            "initial values forever (typically they were replaced after the optimizer was built)",
            "build the optimizer after initialization, and initialize in place (rnninit.init_)",
        )
    ]


def check(
    model: nn.Module,
    *,
    seq_len: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> Report:
    """Look for the common initialization pitfalls in every recurrent layer of ``model``.

    Args:
        model: a recurrent module or a model containing some.
        seq_len: the sequence length the model is meant for; from ``LONG_SEQUENCE`` (100) on,
            PyTorch's default init is reported as unfit.
        optimizer: if given, also report recurrent Parameters and learned initial states the
            optimizer does not hold.
        include: glob patterns on qualified module names choosing the recurrent
            modules, as in :func:`rnninit.init_` (:func:`rnninit.layouts.find_recurrent`). A
            learned initial state is checked with the module it belongs to (attached to it by
            ``attach_initial_state``, or the ``rnn`` of a ``Recurrent``); a free-standing
            ``InitialState`` is selected by its own qualified name.
        exclude: glob patterns of modules to leave out (matched like ``include``).

    Returns:
        A :class:`~rnninit.diagnose.findings.Report` (list-like, most severe first, printable,
        ``.to_dict()``). Each check and its thresholds are described in the module docstring.
        A model initialized by a per-gate rnninit scheme (``pytorch`` without a long
        ``seq_len``, ``orthogonal``, ``flax``, ``sonnet``, ``chrono`` with ``max_timescale`` at
        least ``seq_len``, ``uniform_gate``, ``irnn`` on a relu RNN) gets no finding; ``keras``
        and ``folk_xavier`` initialize the recurrent matrix as a whole and are reported.

    The learned-state check needs a backward pass first (it reads ``.grad``). Nothing is modified.

    >>> import torch, rnninit
    >>> from torch import nn
    >>> from rnninit.diagnose import check
    >>> lstm = nn.LSTM(3, 8)
    >>> with torch.no_grad():  # the folk forget bias, written into both biases
    ...     lstm.bias_ih_l0[8:16] = 1.0
    ...     lstm.bias_hh_l0[8:16] = 1.0
    >>> check(lstm).codes
    ['doubled_bias']
    >>> _ = rnninit.init_(lstm, "orthogonal", generator=torch.Generator().manual_seed(0))
    >>> check(lstm).ok
    True
    """
    require_module(model, "model")
    check_int("seq_len", seq_len, 1, none_ok=True)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(
            f"optimizer must be a torch.optim.Optimizer or None, got {shown(optimizer)} "
            f"({type(optimizer).__name__})"
        )
    recurrent = find_recurrent(model, include, exclude)
    blocks = gates(model, include, exclude)
    states = trainable_states(model, recurrent, include, exclude)
    found: list[Finding] = []
    found += _doubled_bias(blocks)
    found += _whole_matrix_orthogonal(model, blocks)
    if seq_len is not None and seq_len >= LONG_SEQUENCE:
        found += _pytorch_default_long(recurrent, seq_len)
    found += _relu_radius(recurrent)
    found += _replaced(recurrent)
    found += one_step_calibration(recurrent)
    if optimizer is not None:
        found += _not_in_optimizer(recurrent, optimizer)
        found += states_not_in_optimizer(states, optimizer)
    found += states_without_grad(model, states)
    names = [n for n, _ in recurrent if n]
    where = f" ({', '.join(names)})" if names else ""
    return Report(found, f"{type(model).__name__}{where}")
