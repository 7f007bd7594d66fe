"""Keras parity: the ``keras`` scheme against the real Keras 3 (torch backend), per matrix.

Keras draws its own random numbers, so parity is statistical: the same bounds, the same
distribution (two-sample Kolmogorov-Smirnov on the pooled entries of several draws), the same
whole-matrix orthogonality, the same bias layout. Keras' kernel is ``(in, G*H)``, PyTorch's
``weight_ih`` is ``(G*H, in)``: we compare ``kernel.T``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

import rnninit  # noqa: E402

IN, H, DRAWS = 10, 32, 6


def _keras_weights(kind: str, seed: int) -> dict[str, np.ndarray]:
    keras.utils.set_random_seed(seed)
    layer = {"LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU, "RNN": keras.layers.SimpleRNN}[
        kind
    ](H)
    layer.build((None, 5, IN))
    return {w.path.split("/")[-1]: np.asarray(w.numpy(), dtype=np.float64) for w in layer.weights}


def _torch_weights(kind: str, seed: int) -> dict[str, np.ndarray]:
    mod = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[kind](IN, H)
    rnninit.init_(mod, "keras", generator=torch.Generator().manual_seed(seed))
    return {n: p.detach().double().numpy() for n, p in mod.named_parameters()}


@pytest.fixture(scope="module", params=["LSTM", "GRU", "RNN"])
def pair(request: pytest.FixtureRequest) -> tuple[str, list[dict], list[dict]]:
    kind = request.param
    ks = [_keras_weights(kind, s) for s in range(DRAWS)]
    ts = [_torch_weights(kind, s) for s in range(DRAWS)]
    return kind, ks, ts


def test_shapes_correspond(pair) -> None:
    kind, ks, ts = pair
    g = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    assert ks[0]["kernel"].T.shape == ts[0]["weight_ih_l0"].shape == (g * H, IN)
    assert ks[0]["recurrent_kernel"].T.shape == ts[0]["weight_hh_l0"].shape == (g * H, H)


def test_kernel_is_the_same_glorot_uniform_distribution(pair) -> None:
    _, ks, ts = pair
    k = np.concatenate([d["kernel"].ravel() for d in ks])
    t = np.concatenate([d["weight_ih_l0"].ravel() for d in ts])
    assert abs(k.max() - t.max()) / k.max() < 0.02
    assert abs(k.std() - t.std()) / k.std() < 0.03
    assert stats.ks_2samp(k, t).pvalue > 1e-3
    # control: a per-block glorot (fan_out = H, not G*H) is distinguishable for gated layers
    if ks[0]["kernel"].shape[1] > H:
        per_block = nn.LSTM(IN, H) if ks[0]["kernel"].shape[1] == 4 * H else nn.GRU(IN, H)
        rnninit.init_(per_block, "orthogonal", generator=torch.Generator().manual_seed(0))
        assert stats.ks_2samp(k, per_block.weight_ih_l0.detach().numpy().ravel()).pvalue < 1e-3


def test_recurrent_kernel_is_orthogonal_as_a_whole_in_both(pair) -> None:
    _, ks, ts = pair
    for kd, td in zip(ks, ts, strict=True):
        k = kd["recurrent_kernel"]  # (H, G*H): orthonormal rows
        t = td["weight_hh_l0"]  # (G*H, H): orthonormal columns
        np.testing.assert_allclose(k @ k.T, np.eye(H), atol=1e-5)
        np.testing.assert_allclose(t.T @ t, np.eye(H), atol=1e-5)
    # and the entry distribution agrees
    k = np.concatenate([d["recurrent_kernel"].ravel() for d in ks])
    t = np.concatenate([d["weight_hh_l0"].ravel() for d in ts])
    assert stats.ks_2samp(k, t).pvalue > 1e-3


def test_bias_layout(pair) -> None:
    kind, ks, ts = pair
    kb = ks[0]["bias"]
    eff = ts[0]["bias_ih_l0"] + ts[0]["bias_hh_l0"]
    if kind == "LSTM":  # Keras gate order i, f, c, o == PyTorch i, f, g, o; unit_forget_bias
        np.testing.assert_array_equal(kb, eff)
        assert kb[H : 2 * H].min() == 1.0 and np.count_nonzero(kb) == H
    elif kind == "GRU":  # reset_after=True: (2, 3H) input and recurrent biases, zeros
        assert kb.shape == (2, 3 * H)
        np.testing.assert_array_equal(kb[0], ts[0]["bias_ih_l0"])
        np.testing.assert_array_equal(kb[1], ts[0]["bias_hh_l0"])
    else:
        np.testing.assert_array_equal(kb, eff)
