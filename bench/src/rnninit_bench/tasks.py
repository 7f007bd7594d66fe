"""Benchmark tasks: deterministic data generators with their baselines and "solved" criteria.

* ``adding`` (Hochreiter & Schmidhuber 1997; Le et al. 2015): inputs (value ~ U[0, 1], marker),
  exactly two markers, one in each half; the target is the sum of the two marked values; MSE.
  Always predicting 1 gives MSE = Var(U1 + U2) = 2/12 = 1/6. Solved when the smoothed training
  MSE drops below 0.01.
* ``adding_x100``: the adding problem with the values scaled by 100 in the input (U[0, 100]),
  the target unchanged: unnormalized inputs, where a fixed input-weight scale saturates the gates.
* ``copy`` (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): 10 symbols from {1..8}, T-1
  blanks, a delimiter 9, 10 blanks; the target is T+10 blanks then the 10 symbols; cross-entropy
  averaged over the T+20 positions. The memoryless baseline (blanks right, uniform over the 8
  symbols at the 10 recall positions) is 10 ln 8 / (T + 20). Solved under a tenth of it.
* ``digits`` / ``digits_perm`` / ``digits_raw``: scikit-learn's 8x8 digits (shipped with the
  package, no download) read pixel by pixel as a 64-step sequence, optionally under a fixed pixel
  permutation (``digits_perm``), or with the raw 0..16 pixel values instead of values / 16
  (``digits_raw``: unnormalized inputs); test accuracy. Solved when the test accuracy reaches
  0.90.
* ``echo`` (the initial-state task): short sequences of T symbols from {1..8}; the target at step
  t is the input at step t - 3, and the "start" class 0 for the first 3 steps. Every sequence is
  a restart, and the first outputs depend on nothing but the initial state. The baseline (the
  best predictor that knows the position but not the inputs) is (T - 3)/T ln 8.

Train and test data never overlap: every task splits its input space into two disjoint parts by a
deterministic key, and draws training rows from one part and test rows from the other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch

from rnninit.errors import UnknownNameError

__all__ = [
    "DEFAULT_LENGTHS",
    "TASKS",
    "AddingTask",
    "CopyTask",
    "DigitsTask",
    "EchoTask",
    "Task",
    "make_task",
    "seed_of",
]

#: The registered task names.
TASKS: tuple[str, ...] = (
    "adding",
    "adding_x100",
    "copy",
    "digits",
    "digits_perm",
    "digits_raw",
    "echo",
)

#: Lengths of the full suite per task (digits are always 64 pixels).
DEFAULT_LENGTHS: dict[str, tuple[int, ...]] = {
    "adding": (200, 400, 750),
    "adding_x100": (100, 200),
    "copy": (100, 200, 500),
    "digits": (64,),
    "digits_perm": (64,),
    "digits_raw": (64,),
    "echo": (10,),
}

_GRID = 2**21  # adding: the first value lies on a 2^-21 grid; its parity is the split key


def seed_of(*parts: object) -> int:
    """A deterministic 63-bit seed from any printable parts (stable across processes)."""
    import hashlib

    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


@dataclass(frozen=True)
class Task:
    """A benchmark task: shapes, loss kind, baseline and how it counts as solved.

    Attributes:
        name: task name (one of :data:`TASKS`).
        length: the sequence parameter T (sequence length, copy delay, or 64 for digits).
        input_size, output_size: model input features and head outputs.
        head: ``"last"`` (one prediction per sequence) or ``"every"`` (one per step).
        loss: ``"mse"`` or ``"ce"``.
        baseline: loss of the trivial/memoryless predictor (see the module docstring).
        solve_loss: solved when the smoothed training loss drops below this (or None).
        solve_accuracy: solved when the test accuracy reaches this (or None).
        chrono_tmax: T_max for the chrono scheme (T for adding, 3T/2 for copy).
        data_seed: seed of the fixed parts of the data (test set, split, permutation).
        test_size: number of test sequences.
    """

    name: str
    length: int
    input_size: int
    output_size: int
    head: Literal["last", "every"]
    loss: Literal["mse", "ce"]
    baseline: float
    solve_loss: float | None
    solve_accuracy: float | None
    chrono_tmax: float
    data_seed: int
    test_size: int

    @property
    def metric(self) -> str:
        """Name of the reported test metric: ``"mse"``, ``"ce"`` or ``"accuracy"``."""
        return "accuracy" if self.solve_accuracy is not None else self.loss

    def train_batch(
        self, batch_size: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A fresh training batch ``(x, y)`` drawn with ``generator`` (train part only)."""
        raise NotImplementedError

    def test_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed test set ``(x, y)``, a function of ``data_seed`` and the task only."""
        raise NotImplementedError


@dataclass(frozen=True)
class _SplitTask(Task):
    """A task whose rows are drawn on one side of a deterministic split: training rows from
    part 1, the fixed test set from part 0 (so they never overlap)."""

    def draw(
        self, n: int, generator: torch.Generator, part: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` rows ``(x, y)`` of split ``part`` (1 train, 0 test)."""
        raise NotImplementedError

    def train_batch(
        self, batch_size: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.draw(batch_size, generator, part=1)

    def test_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(seed_of(f"{self.name}-test", self.length, self.data_seed))
        return self.draw(self.test_size, g, part=0)


def _symbols_in_part(
    n: int, width: int, generator: torch.Generator, part: int, part_of: Callable[..., torch.Tensor]
) -> torch.Tensor:
    """``n`` rows of ``width`` symbols in {1..8} whose split key is ``part``, by rejection."""
    symbols = torch.randint(1, 9, (n, width), generator=generator)
    bad = part_of(symbols) != part
    while bool(bad.any()):
        symbols[bad] = torch.randint(1, 9, (int(bad.sum()), width), generator=generator)
        bad = part_of(symbols) != part
    return symbols


@dataclass(frozen=True)
class AddingTask(_SplitTask):
    """The adding problem (see the module docstring). ``x``: (N, T, 2); ``y``: (N, 1).

    ``scale`` multiplies the value channel of ``x`` (not the markers, not the target): with
    ``scale=100`` (``adding_x100``) the inputs are unnormalized, U[0, 100], and the model must
    still output the sum of the two unscaled marked values.
    """

    scale: float = 1.0

    def draw(
        self, n: int, generator: torch.Generator, part: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` sequences whose split key (parity of the first value on a 2^-21 grid) is ``part``.

        Values are U[0, 1] up to the 2^-21 grid of the first step; markers are one position
        uniform in [0, T//2) and one uniform in [T//2, T).
        """
        t = self.length
        values = torch.rand(n, t, generator=generator)
        k = torch.randint(0, _GRID // 2, (n,), generator=generator)
        values[:, 0] = (2 * k + part + 0.5).float() / _GRID  # exact in float32
        first = torch.randint(0, t // 2, (n,), generator=generator)
        second = torch.randint(t // 2, t, (n,), generator=generator)
        markers = torch.zeros(n, t)
        rows = torch.arange(n)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        x = torch.stack([values * self.scale, markers], dim=-1)
        y = (values[rows, first] + values[rows, second]).unsqueeze(1)
        return x, y

    @staticmethod
    def part_of(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """The split key of each row of ``x``: 1 for training rows, 0 for test rows."""
        return torch.floor(x[:, 0, 0].double() / scale * _GRID).long() % 2


@dataclass(frozen=True)
class CopyTask(_SplitTask):
    """The copy task (see the module docstring). ``x``: (N, T+20, 10) one-hot; ``y``: (N, T+20)."""

    @staticmethod
    def part_of(symbols: torch.Tensor) -> torch.Tensor:
        """Split key of each row of ``symbols`` (N, 10): 0 (test) iff a hash of them is 0 mod 16."""
        weights = torch.tensor([pow(31, i, 65521) for i in range(symbols.shape[1])])
        key = (symbols.long() * weights).sum(dim=1) % 65521 % 16
        return (key != 0).long()

    def draw(
        self, n: int, generator: torch.Generator, part: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` sequences whose symbols fall in split ``part`` (1 train, 0 test), by rejection."""
        symbols = _symbols_in_part(n, 10, generator, part, self.part_of)
        t = self.length
        total = t + 20
        seq = torch.zeros(n, total, dtype=torch.long)
        seq[:, :10] = symbols
        seq[:, t + 9] = 9
        target = torch.zeros(n, total, dtype=torch.long)
        target[:, t + 10 :] = symbols
        x = torch.nn.functional.one_hot(seq, 10).float()
        return x, target


@dataclass(frozen=True)
class EchoTask(_SplitTask):
    """The initial-state task (see the module docstring). ``x``: (N, T, 9); ``y``: (N, T)."""

    delay: int = 3

    @staticmethod
    def part_of(symbols: torch.Tensor) -> torch.Tensor:
        """Split key of each row (N, T): 0 (test) iff a hash of the symbols is 0 mod 8."""
        weights = torch.tensor([pow(37, i, 65521) for i in range(symbols.shape[1])])
        key = (symbols.long() * weights).sum(dim=1) % 65521 % 8
        return (key != 0).long()

    def draw(
        self, n: int, generator: torch.Generator, part: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` sequences of symbols in {1..8} in split ``part`` (1 train, 0 test)."""
        t = self.length
        symbols = _symbols_in_part(n, t, generator, part, self.part_of)
        target = torch.zeros(n, t, dtype=torch.long)
        target[:, self.delay :] = symbols[:, : t - self.delay]
        x = torch.nn.functional.one_hot(symbols, 9).float()
        return x, target


@dataclass(frozen=True)
class DigitsTask(Task):
    """scikit-learn's digits as 64-step pixel sequences (values / 16), optionally permuted.

    ``raw=True`` keeps scikit-learn's raw pixel values (integers 0..16, mean ~4.9, not
    standardized): the unnormalized-input task, where a fixed input-weight scale meets inputs
    16 times larger than the ``/ 16`` version.

    The split (``test_size`` images held out) and the permutation are functions of
    ``data_seed``; training batches are drawn with replacement from the training images.
    """

    permuted: bool = False
    raw: bool = False

    def _data(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = torch.tensor(digits.data, dtype=torch.float32)
        if not self.raw:
            x = x / 16.0
        y = torch.tensor(digits.target, dtype=torch.long)
        g = torch.Generator().manual_seed(seed_of("digits-split", self.data_seed))
        order = torch.randperm(x.shape[0], generator=g)
        if self.permuted:
            pixels = torch.randperm(64, generator=g)
            x = x[:, pixels]
        test, train = order[: self.test_size], order[self.test_size :]
        return x[train].unsqueeze(-1), y[train], x[test].unsqueeze(-1), y[test]

    def split_indices(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices (into ``load_digits()``) of the training and of the test images."""
        g = torch.Generator().manual_seed(seed_of("digits-split", self.data_seed))
        order = torch.randperm(1797, generator=g)
        return order[self.test_size :], order[: self.test_size]

    def train_batch(
        self, batch_size: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        xtr, ytr, _, _ = _cached(self)
        idx = torch.randint(0, xtr.shape[0], (batch_size,), generator=generator)
        return xtr[idx], ytr[idx]

    def test_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        _, _, xte, yte = _cached(self)
        return xte, yte


_CACHE: dict[DigitsTask, tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]] = {}


def _cached(task: DigitsTask) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    if task not in _CACHE:
        _CACHE[task] = task._data()
    return _CACHE[task]


def make_task(
    name: str, length: int | None = None, *, test_size: int = 1000, data_seed: int = 0
) -> Task:
    """Build a task by name. ``length`` is T (ignored by the digits tasks: always 64).

    Raises:
        UnknownNameError: ``name`` is not one of :data:`TASKS`.
        ValueError: ``length`` is too short for the task.

    >>> task = make_task("adding_x100", 50, test_size=4)
    >>> x, y = task.test_set()
    >>> tuple(x.shape), task.baseline == 1 / 6, float(x[..., 0].max()) > 1
    ((4, 50, 2), True, True)
    """
    if name not in TASKS:
        raise UnknownNameError("task", name, TASKS)
    t = DEFAULT_LENGTHS[name][0] if length is None else int(length)
    if name in ("adding", "adding_x100"):
        if t < 2:
            raise ValueError(f"length for task {name!r} must be >= 2, got {t}")
        return AddingTask(
            scale=100.0 if name == "adding_x100" else 1.0,
            length=t, input_size=2, output_size=1, head="last", loss="mse", baseline=1.0 / 6.0,
            solve_loss=0.01, solve_accuracy=None, chrono_tmax=float(t),
            name=name, data_seed=data_seed,
            test_size=test_size,
        )  # fmt: skip
    if name == "copy":
        if t < 1:
            raise ValueError(f"length (delay) for task 'copy' must be >= 1, got {t}")
        base = 10.0 * math.log(8.0) / (t + 20)
        return CopyTask(
            length=t, input_size=10, output_size=9, head="every", loss="ce", baseline=base,
            solve_loss=base / 10.0, solve_accuracy=None, chrono_tmax=1.5 * t,
            name=name, data_seed=data_seed,
            test_size=test_size,
        )  # fmt: skip
    if name == "echo":
        if t < 4:
            raise ValueError(f"length for task 'echo' must be >= 4 (delay 3), got {t}")
        base = (t - 3) / t * math.log(8.0)
        return EchoTask(
            length=t, input_size=9, output_size=9, head="every", loss="ce", baseline=base,
            solve_loss=base / 10.0, solve_accuracy=None, chrono_tmax=float(t),
            name=name, data_seed=data_seed,
            test_size=test_size,
        )  # fmt: skip
    return DigitsTask(
        length=64, input_size=1, output_size=10, head="last", loss="ce", baseline=math.log(10.0),
        solve_loss=None, solve_accuracy=0.90, chrono_tmax=64.0,
        name=name, data_seed=data_seed, test_size=min(test_size, 397),
        permuted=(name == "digits_perm"), raw=(name == "digits_raw"),
    )  # fmt: skip
