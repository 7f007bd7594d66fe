"""Test-session settings shared by every test file."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch

from rnninit.initializers import INITIALIZERS
from rnninit.initializers._registry import _REGISTERED

# pytest -n 2 runs two workers on a 2-core machine: with torch's default intra-op threads each,
# LAPACK calls (QR, eigvalsh) oversubscribe the cores and slow down by 100x or more.
torch.set_num_threads(1)
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """Restore the initializer registry after a test that registers names."""
    before = dict(INITIALIZERS)
    yield
    _REGISTERED.clear()  # the registry behind the read-only INITIALIZERS
    _REGISTERED.update(before)
