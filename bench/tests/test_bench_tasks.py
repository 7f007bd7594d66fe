"""Task generators: layout, targets, baselines measured on generated data, determinism, splits."""

from __future__ import annotations

import math

import pytest
import torch
from rnninit_bench.tasks import (
    AddingTask,
    CopyTask,
    DigitsTask,
    EchoTask,
    make_task,
)

from rnninit.errors import UnknownNameError


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- adding


@pytest.mark.parametrize("t", [2, 7, 50, 200])
def test_adding_two_markers_one_per_half_and_target_is_their_sum(t: int) -> None:
    task = make_task("adding", t, test_size=10)
    x, y = task.train_batch(500, gen(1))
    assert x.shape == (500, t, 2) and y.shape == (500, 1)
    values, markers = x[..., 0], x[..., 1]
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, : t // 2].sum(1) == 1)
    assert torch.all(markers[:, t // 2 :].sum(1) == 1)
    assert torch.allclose(y[:, 0], (values * markers).sum(1), atol=1e-6)
    assert values.min() >= 0.0 and values.max() <= 1.0


def test_adding_baseline_of_predicting_one_is_a_sixth() -> None:
    task = make_task("adding", 30)
    assert task.baseline == pytest.approx(1 / 6)
    _, y = task.train_batch(40_000, gen(3))
    mse = float(((y - 1.0) ** 2).mean())
    # (S - 1) is triangular on [-1, 1]: Var((S-1)^2) = 1/15 - 1/36; se ~ 0.001 at n = 40000
    se = math.sqrt(1 / 15 - 1 / 36) / math.sqrt(40_000)
    assert abs(mse - 1 / 6) < 5 * se
    # the values themselves are uniform: mean 1/2, variance 1/12
    x, _ = task.train_batch(2000, gen(4))
    assert float(x[..., 0].mean()) == pytest.approx(0.5, abs=0.01)
    assert float(x[..., 0].var()) == pytest.approx(1 / 12, abs=0.003)


def test_adding_is_deterministic_by_seed_and_train_test_disjoint() -> None:
    task = make_task("adding", 20, test_size=300)
    a, b = task.train_batch(64, gen(5)), task.train_batch(64, gen(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], task.train_batch(64, gen(6))[0])
    xt, _yt = task.test_set()
    xt2, _ = task.test_set()
    assert torch.equal(xt, xt2)
    assert isinstance(task, AddingTask)
    assert torch.all(AddingTask.part_of(xt) == 0)
    xs = torch.cat([task.train_batch(500, gen(s))[0] for s in range(4)])
    assert torch.all(AddingTask.part_of(xs) == 1)
    # no test sequence equals any training sequence (the keys differ, so this must hold)
    assert not torch.isin(xt[:, 0, 0], xs[:, 0, 0]).any()
    # another data seed gives another test set
    other = make_task("adding", 20, test_size=300, data_seed=1).test_set()[0]
    assert not torch.equal(xt, other)


# ---------------------------------------------------------------- copy


@pytest.mark.parametrize("t", [1, 5, 100])
def test_copy_layout(t: int) -> None:
    task = make_task("copy", t, test_size=5)
    x, y = task.train_batch(200, gen(7))
    n = t + 20
    assert x.shape == (200, n, 10) and y.shape == (200, n)
    assert torch.all(x.sum(-1) == 1)  # one-hot
    seq = x.argmax(-1)
    symbols = seq[:, :10]
    assert symbols.min() >= 1 and symbols.max() <= 8
    assert torch.all(seq[:, 10 : t + 9] == 0)  # T-1 blanks
    assert torch.all(seq[:, t + 9] == 9)  # delimiter
    assert torch.all(seq[:, t + 10 :] == 0)  # 10 blanks while recalling
    assert torch.all(y[:, : t + 10] == 0)
    assert torch.equal(y[:, t + 10 :], symbols)


@pytest.mark.parametrize("t", [10, 100, 500])
def test_copy_baseline_is_the_ce_of_the_best_memoryless_predictor(t: int) -> None:
    task = make_task("copy", t, test_size=5)
    assert task.baseline == pytest.approx(10 * math.log(8) / (t + 20))
    _x, y = task.train_batch(400, gen(8))
    # the best predictor without memory of the symbols: blank before the recall, uniform
    # over {1..8} during it. Its measured cross-entropy on generated data:
    probs = torch.zeros(t + 20, 9)
    probs[: t + 10, 0] = 1.0
    probs[t + 10 :, 1:] = 1.0 / 8
    logp = probs.clamp_min(1e-30).log().expand(400, -1, -1)
    ce = float(torch.nn.functional.nll_loss(logp.reshape(-1, 9), y.reshape(-1)))
    assert ce == pytest.approx(task.baseline, rel=1e-5)
    # and the recalled symbols are uniform, so no memoryless predictor does better
    counts = torch.bincount(y[:, t + 10 :].reshape(-1), minlength=9)[1:].float()
    assert float(counts.min() / counts.max()) > 0.85
    if t == 100:
        assert task.baseline == pytest.approx(0.173, abs=1e-3)


def test_copy_deterministic_and_disjoint() -> None:
    task = make_task("copy", 12, test_size=400)
    assert isinstance(task, CopyTask)
    a, b = task.train_batch(30, gen(9)), task.train_batch(30, gen(9))
    assert torch.equal(a[0], b[0])
    xt, _ = task.test_set()
    test_syms = xt.argmax(-1)[:, :10]
    train_syms = torch.cat([task.train_batch(1000, gen(s))[0].argmax(-1)[:, :10] for s in range(3)])
    assert torch.all(CopyTask.part_of(test_syms) == 0)
    assert torch.all(CopyTask.part_of(train_syms) == 1)
    common = {tuple(r) for r in test_syms.tolist()} & {tuple(r) for r in train_syms.tolist()}
    assert not common


def test_copy_chrono_tmax_is_three_halves_t_and_adding_is_t() -> None:
    assert make_task("copy", 100).chrono_tmax == 150
    assert make_task("adding", 200).chrono_tmax == 200


# ---------------------------------------------------------------- echo (initial-state task)


def test_echo_target_is_the_input_three_steps_back_and_start_class_first() -> None:
    task = make_task("echo", 10, test_size=50)
    assert isinstance(task, EchoTask)
    x, y = task.train_batch(100, gen(10))
    sym = x.argmax(-1)
    assert sym.min() >= 1 and sym.max() <= 8
    assert torch.all(y[:, :3] == 0)
    assert torch.equal(y[:, 3:], sym[:, :-3])
    # position-aware, history-free predictor: class 0 for 3 steps, uniform over 1..8 after
    probs = torch.zeros(10, 9)
    probs[:3, 0] = 1.0
    probs[3:, 1:] = 1 / 8
    logp = probs.clamp_min(1e-30).log().expand(100, -1, -1)
    ce = float(torch.nn.functional.nll_loss(logp.reshape(-1, 9), y.reshape(-1)))
    assert ce == pytest.approx(task.baseline, rel=1e-5)
    xt, _ = task.test_set()
    assert torch.all(EchoTask.part_of(xt.argmax(-1)) == 0)
    assert torch.all(EchoTask.part_of(sym) == 1)


# ---------------------------------------------------------------- digits


@pytest.mark.parametrize("name", ["digits", "digits_perm"])
def test_digits_split_is_disjoint_deterministic_and_covers_everything(name: str) -> None:
    task = make_task(name)
    assert isinstance(task, DigitsTask)
    train_idx, test_idx = task.split_indices()
    assert len(set(train_idx.tolist()) & set(test_idx.tolist())) == 0
    assert len(train_idx) + len(test_idx) == 1797 and len(test_idx) == 397
    xt, yt = task.test_set()
    assert xt.shape == (397, 64, 1) and yt.shape == (397,)
    assert float(xt.min()) >= 0.0 and float(xt.max()) <= 1.0
    again = make_task(name).test_set()
    assert torch.equal(xt, again[0]) and torch.equal(yt, again[1])
    other_train, _ = make_task(name, data_seed=1).split_indices()
    assert not torch.equal(train_idx, other_train)
    xb, _yb = task.train_batch(32, gen(11))
    assert xb.shape == (32, 64, 1)
    assert torch.equal(xb, task.train_batch(32, gen(11))[0])


def test_permuted_digits_are_the_same_images_with_pixels_permuted() -> None:
    plain, perm = make_task("digits"), make_task("digits_perm")
    a, ya = plain.test_set()
    b, yb = perm.test_set()
    assert torch.equal(ya, yb)  # the same split
    assert not torch.equal(a, b)
    assert torch.equal(a.squeeze(-1).sort(1).values, b.squeeze(-1).sort(1).values)


def test_unknown_task_and_bad_length_are_clear_errors() -> None:
    with pytest.raises(UnknownNameError, match="adding"):
        make_task("addding")
    with pytest.raises(ValueError, match="length"):
        make_task("echo", 3)
