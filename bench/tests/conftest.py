"""Test-session settings of the benchmark's tests (bench/tests)."""

from __future__ import annotations

import torch

# pytest -n 2 runs two workers on a 2-core machine: with torch's default intra-op threads each,
# LAPACK calls (QR, eigvalsh) oversubscribe the cores and slow down by 100x or more.
torch.set_num_threads(1)
