"""Collection settings for the whole repository (pytest reads this before tests/ and src/).

``rnninit.integrations.sb3`` imports sb3-contrib at module level (it is imported only when *you*
import it); its doctests are collected where sb3-contrib is installed and skipped elsewhere,
like the other optional packages' tests.
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("sb3_contrib") is None:
    collect_ignore_glob.append("src/rnninit/integrations/sb3.py")
