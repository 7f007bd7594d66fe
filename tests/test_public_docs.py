"""Every public function and class of the documented modules (the API pages of the docs site)
carries a docstring with a ``>>>`` example; the examples themselves run as doctests in
``make unit``."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api"
#: The modules the API pages render (``::: module`` lines in docs/api/*.md).
DOCUMENTED = sorted(
    {m for page in DOCS.glob("*.md") for m in re.findall(r"^::: (\S+)$", page.read_text(), re.M)}
)


def test_the_api_pages_are_found() -> None:
    assert {"rnninit", "rnninit.initializers", "rnninit.states", "rnninit.auto"} <= set(DOCUMENTED)


@pytest.mark.parametrize("module", DOCUMENTED)
def test_every_public_callable_has_a_runnable_example(module: str) -> None:
    if module.startswith("rnninit_bench"):  # the benchmark's pages: run where it is installed
        pytest.importorskip("rnninit_bench")
    mod = importlib.import_module(module)
    public = [getattr(mod, name) for name in mod.__all__]
    callables = [o for o in public if inspect.isfunction(o) or inspect.isclass(o)]
    assert callables, f"{module} exports no function or class"
    without = [o.__qualname__ for o in callables if ">>>" not in (inspect.getdoc(o) or "")]
    assert without == [], f"{module}: no >>> example in the docstring of {without}"
