"""Every Python example of README.md and docs/*.md runs as written, in page order (Sybil).

Each page is one test: its ```python blocks run in the order they appear, sharing one namespace
per page (a later block uses what an earlier one made), and a block of ``>>>`` lines is checked
as a doctest (ELLIPSIS and NORMALIZE_WHITESPACE). The pages are found by a glob, so a page added
to docs/ is tested without touching this file. Signatures are shown as signatures (a ```text
block), not as Python: a ```python block must run. The blocks run in a temporary folder (an
example may write a file), with one torch thread and ``KERAS_BACKEND=torch``; the torch
thread count, the global RNG and the initializer registry are restored after each page. A page
may skip blocks that need an optional library with Sybil's skip directive
(``<!-- skip: start if(missing("darts"), reason="...") -->`` ... ``<!-- skip: end -->``): those
blocks are reported in a warning, every other block still runs.
"""

from __future__ import annotations

import doctest
import os
import re
import unittest
import warnings
from pathlib import Path

import pytest
import torch
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

from rnninit.initializers import INITIALIZERS
from rnninit.initializers._registry import _REGISTERED

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: A fenced block's opening line and its info string (```python, ```text, ```).
_FENCE = re.compile(r"^```[ \t]*([^\s`]*)[^\n]*$", re.MULTILINE)

_SYBIL = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
        SkipParser(),
    ]
)


def _fences(text: str) -> list[tuple[int, str, str]]:
    """(line, info string, body) of every fenced block of a Markdown text."""
    out, opened = [], None
    for m in _FENCE.finditer(text):
        if opened is None:
            opened = m
        else:
            line = text.count("\n", 0, opened.start()) + 1
            out.append((line, opened.group(1), text[opened.end() + 1 : m.start()]))
            opened = None
    assert opened is None, "an unclosed fenced block"
    return out


def test_the_pages_are_found_by_the_glob() -> None:
    names = {p.name for p in PAGES}
    assert {"README.md", "guide.md", "states.md", "keras.md", "BENCHMARKS.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_python_block_is_tagged_python_and_collected(page: Path) -> None:
    """A block that holds Python must say so (it is run), and Sybil must find every one."""
    text = page.read_text(encoding="utf-8")
    fences = _fences(text)
    for line, info, body in fences:
        if ">>>" in body:
            assert info == "python", f"{page.name}:{line}: a >>> block tagged {info!r}"
        assert info not in ("py", "python3", "pycon", "Python"), (
            f"{page.name}:{line}: tag Python blocks ```python (they are run)"
        )
    python = [line for line, info, _ in fences if info == "python"]
    found = [example.line for example in _SYBIL.parse(page)]
    assert len(found) >= len(python), (page.name, python, found)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_python_block_runs_in_page_order(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "torch"))
    # what a page changes globally is put back: threads, the global RNG, the registry
    threads, rng, registry = torch.get_num_threads(), torch.get_rng_state(), dict(INITIALIZERS)
    torch.set_num_threads(1)
    try:
        document = _SYBIL.parse(page)
        skipped = []
        for example in document:
            try:
                example.evaluate()
            except unittest.SkipTest as skip:  # a skip directive: an optional library
                skipped.append(f"{page.name}:{example.line}: {skip}")
            except Exception as exc:
                where = f"{page.relative_to(ROOT)}:{example.line}"
                raise AssertionError(f"the example at {where} fails: {exc!r}") from exc
        for note in skipped:  # the page passed; say which blocks did not run
            warnings.warn(f"skipped: {note}", UserWarning, stacklevel=1)
    finally:
        torch.set_num_threads(threads)
        torch.set_rng_state(rng)
        _REGISTERED.clear()  # the registry behind the read-only INITIALIZERS
        _REGISTERED.update(registry)
