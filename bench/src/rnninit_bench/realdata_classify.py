"""Sequence classification on aeon's shipped sets (tasks ``cls-NAME`` and ``clsraw-NAME``).

Data: aeon's own loader, ``aeon.datasets.load_classification(NAME, split="train"/"test")``,
which reads the copy shipped in the aeon wheel (no download); the given train/test split.
Labels are mapped to ``0..C-1`` in sorted order of the training labels.

Unequal lengths (JapaneseVowels, PickupGestureWiimoteZ): each series is zero-padded at the end
to the longest one, its true length kept; the model packs the batch
(``pack_padded_sequence``), so it reads the valid steps only and classifies from the hidden
state after each series' last valid step.

Long series are subsampled in time (every ``stride``-th step, see
:data:`~rnninit_bench.realdata_registry.MAX_CLS_LENGTH`): the cap on the cost of the sweep.

``cls-``: every channel standardized, ``(x - mean_c) / std_c`` with the mean and standard
deviation over every valid step of every *training* series of channel ``c`` (the test set is
scaled by the training statistics, never its own). ``clsraw-``: the values as aeon gives them.

Model: one LSTM/GRU layer reading the whole series, a linear head on the last hidden state;
cross-entropy; metric test accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .models import build_rnn
from .realdata_registry import CLASSIFICATION_SETS, MissingDataError, stride_for

__all__ = ["ClassifyData", "ClassifyModel", "load_classify", "standardize"]


@dataclass(frozen=True)
class ClassifyData:
    """Padded series ``x`` (N, T, C), valid ``lengths`` (N,), labels ``y`` (N,) of both splits.

    ``classes`` are aeon's label strings in the order of the indices ``0..C-1``.

    >>> d = load_classify("UnitTest")
    >>> tuple(d.x_train.shape), tuple(d.x_test.shape), d.classes, d.input_size
    ((20, 24, 1), (22, 24, 1), ('1', '2'), 1)
    """

    x_train: torch.Tensor
    len_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    len_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]

    @property
    def input_size(self) -> int:
        """Channels per step."""
        return int(self.x_train.shape[-1])


def _aeon_split(name: str, split: str) -> tuple[Any, Any]:
    try:
        from aeon.datasets import load_classification
    except ImportError:
        raise MissingDataError(
            f"task 'cls-{name}' loads aeon's shipped set {name!r}, but aeon is not installed: "
            "pip install 'rnninit-bench[realdata]'"
        ) from None
    return load_classification(name, split=split)  # type: ignore[no-any-return]


def _pad(series: Any, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """aeon's (N, C, T) array or list of (C, T_i) arrays -> padded (N, T', C) and lengths."""
    rows = [torch.as_tensor(s, dtype=torch.float32)[:, ::stride].T for s in series]
    lengths = torch.tensor([r.shape[0] for r in rows], dtype=torch.long)
    x = torch.zeros(len(rows), int(lengths.max()), rows[0].shape[1])
    for i, r in enumerate(rows):
        x[i, : r.shape[0]] = r
    return x, lengths


def standardize(
    x_train: torch.Tensor,
    len_train: torch.Tensor,
    *others: tuple[torch.Tensor, torch.Tensor],
) -> list[torch.Tensor]:
    """Standardize every channel by the mean/std of the training set's valid steps.

    Returns the scaled training tensor and then each ``(x, lengths)`` of ``others`` scaled by the
    same training statistics; padding stays 0. A constant channel keeps std 1.

    >>> x = torch.tensor([[[1.0], [3.0]], [[5.0], [0.0]]])  # the 0 is padding
    >>> tr, = standardize(x, torch.tensor([2, 1]))
    >>> [round(v, 4) for v in tr[:, :, 0].flatten().tolist()]
    [-1.2247, 0.0, 1.2247, 0.0]
    """

    def mask(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(x.shape[1]).unsqueeze(0)
        return (steps < lengths.unsqueeze(1)).unsqueeze(-1).to(x.dtype)

    m = mask(x_train, len_train)
    count = m.sum(dim=(0, 1))
    mean = (x_train * m).sum(dim=(0, 1)) / count
    var = (((x_train - mean) * m) ** 2).sum(dim=(0, 1)) / count
    std = torch.where(var > 0, var.sqrt(), torch.ones_like(var))

    def scale(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return torch.where(valid > 0, (x - mean) / std, torch.zeros_like(x))

    return [scale(x_train, m)] + [scale(x, mask(x, lengths)) for x, lengths in others]


_CACHE: dict[tuple[str, bool], ClassifyData] = {}


def load_classify(name: str, standardized: bool = True) -> ClassifyData:
    """The set ``name`` of :data:`~rnninit_bench.realdata_registry.CLASSIFICATION_SETS`.

    Raises:
        MissingDataError: aeon is not installed.
        KeyError: ``name`` is not a shipped set.

    >>> d = load_classify("JapaneseVowels", standardized=False)  # unequal lengths, 12 channels
    >>> tuple(d.x_train.shape), int(d.len_train.min()), int(d.len_train.max())
    ((270, 26, 12), 7, 26)
    """
    key = (name, standardized)
    if key in _CACHE:
        return _CACHE[key]
    meta = CLASSIFICATION_SETS[name]
    stride = stride_for(meta.length)
    x_tr_raw, y_tr_raw = _aeon_split(name, "train")
    x_te_raw, y_te_raw = _aeon_split(name, "test")
    classes = tuple(sorted({str(v) for v in y_tr_raw}))
    index = {c: i for i, c in enumerate(classes)}
    x_tr, len_tr = _pad(x_tr_raw, stride)
    x_te, len_te = _pad(x_te_raw, stride)
    if standardized:
        x_tr, x_te = standardize(x_tr, len_tr, (x_te, len_te))
    data = ClassifyData(
        x_tr,
        len_tr,
        torch.tensor([index[str(v)] for v in y_tr_raw]),
        x_te,
        len_te,
        torch.tensor([index[str(v)] for v in y_te_raw]),
        classes,
    )
    _CACHE[key] = data
    return data


class ClassifyModel(nn.Module):
    """One LSTM/GRU layer, a linear head on the hidden state after the last valid step.

    ``forward(x, lengths)``: ``x`` (N, T, C) padded at the end, ``lengths`` (N,) or None (all
    of length T).

    >>> m = ClassifyModel("lstm", 3, 8, 4)
    >>> tuple(m(torch.zeros(5, 7, 3), torch.tensor([7, 2, 3, 7, 1])).shape)
    (5, 4)
    """

    def __init__(self, cell: str, input_size: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.rnn = build_rnn(cell, input_size, hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits (N, classes)."""
        if lengths is not None and bool((lengths < x.shape[1]).any()):
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            _, state = self.rnn(packed)
        else:
            _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return self.head(h[-1])  # type: ignore[no-any-return]
