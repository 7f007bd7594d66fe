"""Flax parity: the ``flax`` scheme against the real ``flax.linen`` cells (CPU JAX), per gate.

Flax builds each gate from its own ``Dense`` layers: LSTMCell ``ii, if, ig, io`` (input, no
bias) and ``hi, hf, hg, ho`` (recurrent, with bias); GRUCell ``ir, iz, in`` (input, with bias),
``hr, hz`` (recurrent, no bias) and ``hn`` (recurrent, with bias, inside ``r * (...)`` like
PyTorch's ``b_hn``); SimpleCell ``i`` (with bias) and ``h`` (no bias). A Flax kernel is
``(in, H)``; the matching PyTorch gate block is the row block ``weight_ih[k*H:(k+1)*H]`` of
shape ``(H, in)``: we compare ``kernel.T``. PyTorch row order: LSTM i, f, g, o; GRU r, z, n.

The gate correspondence itself is proven by behaviour (Flax params copied into the PyTorch
cell give the same outputs); Flax draws its own random numbers, so the initializers are then
compared statistically: the same distribution per gate block (two-sample Kolmogorov-Smirnov on
the pooled entries of several draws), the same truncation bound, orthogonality per gate block
in both, the same (zero) biases. Each statistical check has a control that must fail.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# two cores shared with torch and pytest-xdist: keep XLA on one thread
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
_WHY = "flax parity needs JAX (CPU) and Flax: pip install 'rnninit[flax]'"
jax = pytest.importorskip("jax", reason=_WHY)
linen = pytest.importorskip("flax.linen", reason=_WHY)

import rnninit  # noqa: E402

IN, H, DRAWS = 10, 24, 6  # hidden != input; 2H = 48 for a bidirectional layer 1
# PyTorch row order == Flax Dense name suffix (SimpleCell: "i" and "h", one block)
GATES = {"LSTM": ["i", "f", "g", "o"], "GRU": ["r", "z", "n"], "RNN": [""]}
FLAX_CELLS = {"LSTM": "LSTMCell", "GRU": "GRUCell", "RNN": "SimpleCell"}
TORCH_LAYERS = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}
TORCH_CELLS = {"LSTM": nn.LSTMCell, "GRU": nn.GRUCell, "RNN": nn.RNNCell}
ALPHA = 1e-3  # KS: a correct preset fails one check with probability 1e-3
CONTROL_ALPHA = 1e-6  # a wrong initializer must be rejected far beyond ALPHA
TRUNC_STD_2 = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]

Params = dict[str, dict[str, np.ndarray]]


def _lecun_bound(fan_in: int) -> float:
    """Flax lecun_normal: N(0, s^2) truncated at 2s with s = sqrt(1/fan_in) / 0.8796..."""
    return 2.0 * math.sqrt(1.0 / fan_in) / TRUNC_STD_2


def _flax_cell(kind: str) -> linen.Module:
    return getattr(linen, FLAX_CELLS[kind])(features=H)


@functools.cache
def _flax_params(kind: str, seed: int, width: int = IN) -> Params:
    cell = _flax_cell(kind)
    x = jax.numpy.zeros((1, width))
    carry = cell.initialize_carry(jax.random.key(10_000 + seed), x.shape)
    tree = cell.init(jax.random.key(seed), carry, x)["params"]
    return {
        name: {k: np.asarray(v, dtype=np.float64) for k, v in d.items()} for name, d in tree.items()
    }


def _torch_params(
    kind: str, module: str, seed: int, scheme: str = "flax", **overrides: object
) -> dict[str, np.ndarray]:
    """Raw PyTorch parameters after ``init_`` (layer names without the ``_l0`` suffix)."""
    mod = (TORCH_LAYERS if module == "layer" else TORCH_CELLS)[kind](IN, H)
    rnninit.init_(mod, scheme, generator=torch.Generator().manual_seed(seed), **overrides)
    return {n.removesuffix("_l0"): p.detach().double().numpy() for n, p in mod.named_parameters()}


def _rows(w: np.ndarray, k: int) -> np.ndarray:
    return w[k * H : (k + 1) * H]


def _flax_blocks(kind: str, side: str, seeds: range) -> list[np.ndarray]:
    """Flax kernels of one side ("i" input, "h" recurrent), as PyTorch-layout (H, in) blocks."""
    return [_flax_params(kind, s)[side + g]["kernel"].T for s in seeds for g in GATES[kind]]


def _pooled(blocks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([b.ravel() for b in blocks])


@pytest.fixture(
    scope="module",
    params=[(k, m) for k in GATES for m in ("layer", "cell")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def pair(request: pytest.FixtureRequest) -> tuple[str, list[Params], list[dict[str, np.ndarray]]]:
    kind, module = request.param
    fl = [_flax_params(kind, s) for s in range(DRAWS)]
    th = [_torch_params(kind, module, s) for s in range(DRAWS)]
    return kind, fl, th


# --- the gate correspondence, by behaviour -----------------------------------------------------


def _flax_into_torch(kind: str, p: Params, *, b_hn_into_ih: bool = False) -> nn.Module:
    """Copy Flax cell params into the PyTorch cell, gate k of Flax into row block k."""
    gates = GATES[kind]
    cell = TORCH_CELLS[kind](IN, H)
    zeros = np.zeros(H)
    w_ih = np.concatenate([p["i" + g]["kernel"].T for g in gates])
    w_hh = np.concatenate([p["h" + g]["kernel"].T for g in gates])
    b_ih = np.concatenate([p["i" + g].get("bias", zeros) for g in gates])
    b_hh = np.concatenate([p["h" + g].get("bias", zeros) for g in gates])
    if b_hn_into_ih:  # the wrong place: b_hn outside r * (...)
        b_ih[2 * H :] += b_hh[2 * H :]
        b_hh[2 * H :] = 0.0
    with torch.no_grad():
        for name, v in (
            ("weight_ih", w_ih),
            ("weight_hh", w_hh),
            ("bias_ih", b_ih),
            ("bias_hh", b_hh),
        ):
            getattr(cell, name).copy_(torch.from_numpy(v))
    return cell


def _run_flax(kind: str, p: Params, xs: np.ndarray) -> np.ndarray:
    cell = _flax_cell(kind)
    carry = cell.initialize_carry(jax.random.key(0), xs[0].shape)
    for x in xs:
        carry, out = cell.apply({"params": p}, carry, jax.numpy.asarray(x))
    return np.asarray(out, dtype=np.float64)


def _run_torch(kind: str, cell: nn.Module, xs: np.ndarray) -> np.ndarray:
    state = None
    with torch.no_grad():
        for x in xs:
            state = cell(torch.from_numpy(x), state)
    out = state[0] if kind == "LSTM" else state  # torch LSTMCell returns (h, c)
    return out.double().numpy()


def _nonzero_biases(kind: str) -> Params:
    """Flax params with every bias it has drawn non-zero (zeros would hide a misplaced bias)."""
    rng = np.random.default_rng(7)
    p = _flax_params(kind, 0)
    return {
        n: {k: (v + rng.normal(0, 0.5, v.shape) if k == "bias" else v) for k, v in d.items()}
        for n, d in p.items()
    }


@pytest.mark.parametrize("kind", list(GATES))
def test_flax_gates_map_onto_pytorch_row_blocks_by_behaviour(kind: str) -> None:
    p = _nonzero_biases(kind)
    xs = np.random.default_rng(1).normal(size=(4, 3, IN)).astype(np.float32)  # 4 steps, batch 3
    expected = _run_flax(
        kind, {n: {k: v.astype(np.float32) for k, v in d.items()} for n, d in p.items()}, xs
    )
    got = _run_torch(kind, _flax_into_torch(kind, p), xs)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    if kind == "GRU":  # control: Flax's hn bias is PyTorch's b_hn, not mergeable with b_in
        wrong = _run_torch(kind, _flax_into_torch(kind, p, b_hn_into_ih=True), xs)
        assert np.abs(wrong - expected).max() > 1e-3


# --- initializer statistics per gate block ------------------------------------------------------


def test_shapes_correspond(pair) -> None:
    kind, fl, th = pair
    g = len(GATES[kind])
    assert th[0]["weight_ih"].shape == (g * H, IN) and th[0]["weight_hh"].shape == (g * H, H)
    names = [s + gate for gate in GATES[kind] for s in "ih"]
    assert sorted(fl[0]) == sorted(names)
    assert {fl[0]["i" + gate]["kernel"].shape for gate in GATES[kind]} == {(IN, H)}
    assert {fl[0]["h" + gate]["kernel"].shape for gate in GATES[kind]} == {(H, H)}


def test_input_kernel_is_lecun_normal_per_gate(pair) -> None:
    kind, fl, th = pair
    bound = _lecun_bound(IN)
    for k, g in enumerate(GATES[kind]):
        f = _pooled([d["i" + g]["kernel"].T for d in fl])
        t = _pooled([_rows(d["weight_ih"], k) for d in th])
        assert stats.ks_2samp(f, t).pvalue > ALPHA, g
        # truncated at 2 pre-truncation std in both; the truncated draw has variance 1/fan_in
        assert np.abs(f).max() <= bound * (1 + 1e-6) and np.abs(t).max() <= bound * (1 + 1e-6)
        assert np.abs(f).max() > 0.9 * bound and np.abs(t).max() > 0.9 * bound
        for w in (f, t):
            assert abs(w.std() - math.sqrt(1.0 / IN)) < 0.05 * math.sqrt(1.0 / IN)


@pytest.mark.parametrize("kind", list(GATES))
def test_input_kernel_controls_are_rejected(kind: str) -> None:
    module = "layer"
    f = _pooled(_flax_blocks(kind, "i", range(DRAWS)))
    # per-block glorot (the Keras-style kernel drawn gate by gate): another variance
    glorot = _pooled(
        [_torch_params(kind, module, s, input="xavier_uniform")["weight_ih"] for s in range(DRAWS)]
    )
    assert stats.ks_2samp(f, glorot).pvalue < CONTROL_ALPHA
    # an untruncated normal of the same variance: KS is weak here, the bound is not
    plain = _pooled(
        [
            _torch_params(kind, module, s, input=("normal", {"std": math.sqrt(1 / IN)}))[
                "weight_ih"
            ]
            for s in range(DRAWS)
        ]
    )
    assert np.abs(plain).max() > _lecun_bound(IN)


def test_recurrent_kernel_is_orthogonal_per_gate_in_both(pair) -> None:
    kind, fl, th = pair
    for k, g in enumerate(GATES[kind]):
        for fd, td in zip(fl, th, strict=True):
            fb, tb = fd["h" + g]["kernel"], _rows(td["weight_hh"], k)  # (H, H) each
            np.testing.assert_allclose(fb @ fb.T, np.eye(H), atol=1e-5)
            np.testing.assert_allclose(tb @ tb.T, np.eye(H), atol=1e-5)
        f = _pooled([d["h" + g]["kernel"].T for d in fl])
        t = _pooled([_rows(d["weight_hh"], k) for d in th])
        assert stats.ks_2samp(f, t).pvalue > ALPHA, g


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_control_whole_matrix_orthogonal_is_rejected(kind: str) -> None:
    # PyTorch/Keras style: orthogonal over the stacked (G*H, H) matrix, gate blocks are not
    whole = [
        _torch_params(kind, "layer", s, whole=["recurrent"])["weight_hh"] for s in range(DRAWS)
    ]
    blocks = [_rows(w, k) for w in whole for k in range(len(GATES[kind]))]
    assert max(np.abs(b @ b.T - np.eye(H)).max() for b in blocks) > 0.3
    f = _pooled(_flax_blocks(kind, "h", range(DRAWS)))
    assert stats.ks_2samp(f, _pooled(blocks)).pvalue < CONTROL_ALPHA


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_stacked_bidirectional_layer_takes_its_fan_in_from_2h(kind: str) -> None:
    # layer 1 of a bidirectional stack reads 2H features: Flax's cell on a 2H input
    gates = GATES[kind]
    fl = _pooled(
        [_flax_params(kind, s, 2 * H)["i" + g]["kernel"].T for s in range(DRAWS) for g in gates]
    )
    th = []
    for s in range(DRAWS):
        mod = TORCH_LAYERS[kind](IN, H, num_layers=2, bidirectional=True)
        rnninit.init_(mod, "flax", generator=torch.Generator().manual_seed(s))
        w = mod.weight_ih_l1_reverse.detach().double().numpy()
        th += [_rows(w, k) for k in range(len(gates))]
    assert th[0].shape == (H, 2 * H)
    t = _pooled(th)
    assert stats.ks_2samp(fl, t).pvalue > ALPHA
    assert np.abs(t).max() <= _lecun_bound(2 * H) * (1 + 1e-6) < _lecun_bound(IN)


# --- biases -------------------------------------------------------------------------------------


FLAX_BIASES = {  # which Flax Dense layers carry a bias (the rest are use_bias=False)
    "LSTM": {"hi", "hf", "hg", "ho"},
    "GRU": {"ir", "iz", "in", "hn"},
    "RNN": {"i"},
}


def test_bias_layout_and_zeros(pair) -> None:
    kind, fl, th = pair
    assert {n for n, d in fl[0].items() if "bias" in d} == FLAX_BIASES[kind]
    for fd, td in zip(fl, th, strict=True):
        assert all(np.count_nonzero(d["bias"]) == 0 for d in fd.values() if "bias" in d)
        # PyTorch has both biases everywhere; zero in both, so every gate's effective bias
        # b_ih + b_hh and GRU's separate b_hn (bias_hh[2H:3H]) equal Flax's zeros
        assert np.count_nonzero(td["bias_ih"]) == 0 and np.count_nonzero(td["bias_hh"]) == 0
    # control: the default PyTorch init left non-zero biases, so init_ wrote these zeros
    default = TORCH_LAYERS[kind](IN, H)
    assert np.count_nonzero(default.bias_hh_l0.detach().numpy()) > 0
