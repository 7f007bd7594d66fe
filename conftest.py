"""Settings for the whole repository (pytest reads this before tests/, bench/ and src/).

pytest -n 2 runs two workers on a 2-core machine: with torch's default intra-op threads each,
LAPACK calls (QR, eigvalsh) oversubscribe the cores and slow down by 100x or more, so every
test process (the library's and the benchmark's, doctests included) uses one thread.

``rnninit.integrations.sb3`` imports sb3-contrib at module level (it is imported only when *you*
import it); its doctests are collected where sb3-contrib is installed and skipped elsewhere,
like the other optional packages' tests.
"""

from __future__ import annotations

import importlib.util

import torch

torch.set_num_threads(1)

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("sb3_contrib") is None:
    collect_ignore_glob.append("src/rnninit/integrations/sb3.py")
