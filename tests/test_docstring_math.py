r"""The formulas in the docstrings are well-formed LaTeX math for the docs site.

The API pages render ``$...$`` (inline) and ``$$...$$`` (display, the ``$$`` on lines of their
own) with ``pymdownx.arithmatex`` and KaTeX. An unbalanced ``$`` swallows the rest of a paragraph
into a formula, and a backslash command in a docstring that is not raw is silently corrupted by
Python (``"\tau"`` is a tab followed by ``au``, ``"\frac"`` a form feed). These checks read the
source (docstrings, attribute docstrings and ``#:`` comments) without building the site.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

#: The modules whose docstrings write their formulas as LaTeX math.
MODULES = (
    "rnninit.auto",
    "rnninit.initializers",
    "rnninit.initializers._tensor",
    "rnninit.initializers._gate_biases",
    "rnninit.initializers._catalog",
    "rnninit.schemes._builtin",
    "rnninit.diagnose",
    "rnninit.states.kinds",
    "rnninit.states.modules",
    "rnninit.diagnose.metrics",
    "rnninit.diagnose.horizon",
    "rnninit.diagnose.layer_timescales",
    "rnninit.diagnose.checks",
    "rnninit.diagnose.check_calibration",
    "rnninit.diagnose.description",
)

_CODE = re.compile(r"``.*?``|`[^`\n]*`")  # code spans: a `$` in them is not math
_INLINE = re.compile(r"(?<!\\)\$(.*?)(?<!\\)\$")
_ITEM = re.compile(r"^( *)(\d+)\.( +)\S")


def _source(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    return Path(spec.origin)


def _texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string statement (docstrings) and every block of ``#:`` comments."""
    source = path.read_text(encoding="utf-8")
    found = [
        (node.lineno, node.value.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]
    block: list[str] = []
    for number, line in enumerate([*source.splitlines(), ""], start=1):
        if line.lstrip().startswith("#:"):
            block.append(line.lstrip()[2:])
        elif block:
            found.append((number - len(block), "\n".join(block)))
            block = []
    return found


def _prose(text: str) -> list[str]:
    """The lines of ``text`` that Markdown reads as prose: doctest blocks and code spans removed."""
    lines: list[str] = []
    in_doctest = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(">>>"):
            in_doctest = True
        elif not stripped:
            in_doctest = False
        lines.append("" if in_doctest else _CODE.sub("", line))
    return lines


def math_problems(text: str) -> list[str]:
    """What is wrong with the math of one docstring (empty when it is well-formed)."""
    problems = []
    if any(c in text for c in "\t\f\b\v\a\r"):
        problems.append("a control character: a LaTeX command in a docstring that is not r'''")
    display_open = False
    for i, line in enumerate(_prose(text), start=1):
        if "$$" in line:
            if line.strip() != "$$":
                problems.append(f"line {i}: '$$' must stand on a line of its own: {line.strip()!r}")
            display_open = not display_open
            continue
        if display_open:
            if "%" in line.replace(r"\%", ""):
                problems.append(f"line {i}: unescaped % (a KaTeX comment) in a display formula")
            continue
        unescaped = re.findall(r"(?<!\\)\$", line)
        if len(unescaped) % 2:
            problems.append(f"line {i}: an odd number of '$' (inline math must close on its line)")
            continue
        for formula in _INLINE.findall(line):
            if not formula.strip() or formula != formula.strip():
                problems.append(f"line {i}: '${formula}$': no space just inside the '$'")
            if "%" in formula.replace(r"\%", ""):
                problems.append(f"line {i}: '${formula}$': unescaped % (a KaTeX comment)")
    if display_open:
        problems.append("a '$$' display formula is not closed")
    return problems


def list_problems(text: str) -> list[str]:
    """What breaks the auto module's numbered list 1-3 with the display formula inside item 2.

    Python-Markdown keeps a block in a list item only when it is indented by 4 spaces, and reads
    a numbered line right after a paragraph line as that paragraph's continuation.
    """
    lines = text.split("\n")
    items = [(i, m) for i, line in enumerate(lines) if (m := _ITEM.match(line))]
    if [m.group(2) for _, m in items] != ["1", "2", "3"]:
        return [f"numbered items {[m.group(2) for _, m in items]}, expected ['1', '2', '3']"]
    problems = []
    if {m.group(1) for _, m in items} != {""}:
        problems.append("the numbered items are not all at the docstring's indentation")
    columns = {len(m.group(1)) + len(m.group(2)) + 1 + len(m.group(3)) for _, m in items}
    if columns != {4}:
        problems.append(f"item content starts at column(s) {sorted(columns)}, expected 4")
    starts = [i for i, _ in items]
    for start in starts[1:]:
        if lines[start - 1].strip():
            problems.append(f"no blank line before item {lines[start][:2]!r}")
    end = next((i for i in range(starts[2] + 1, len(lines)) if not lines[i].strip()), len(lines))
    for i in range(starts[0] + 1, end):
        line = lines[i]
        if line.strip() and len(line) - len(line.lstrip()) < 4 and i not in starts:
            problems.append(f"line {i + 1} is not indented under its item: {line.strip()[:40]!r}")
    display = [i for i, line in enumerate(lines) if line.strip() == "$$"]
    if len(display) < 2 or not starts[1] < display[0] < display[1] < starts[2]:
        problems.append("no $$ display formula between item 2 and item 3")
    elif any(not lines[i].startswith("    $$") for i in display[:2]):
        problems.append("the display formula of item 2 is not indented to the item's content")
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_docstring_math_is_well_formed(module: str) -> None:
    path = _source(module)
    bad = [f"{path.name}:{line}: {p}" for line, text in _texts(path) for p in math_problems(text)]
    assert bad == []


@pytest.mark.parametrize("module", MODULES)
def test_the_module_writes_math(module: str) -> None:
    """Every listed module uses the notation (a module that lost it should leave the list)."""
    assert any("$" in "".join(_prose(text)) for _, text in _texts(_source(module)))


def test_auto_module_docstring_is_one_numbered_list() -> None:
    text = ast.get_docstring(ast.parse(_source("rnninit.auto").read_text()), clean=False)
    assert text is not None
    assert list_problems(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$\\tau$ and $T_{\\max}$ and ``$HOME``", []),
        ("$\\tau = 1", ["line 1: an odd number of '$' (inline math must close on its line)"]),
        ("a\n\n$$\nx\n", ["a '$$' display formula is not closed"]),
        ("\tau = 2", ["a control character: a LaTeX command in a docstring that is not r'''"]),
        ("$ x$", ["line 1: '$ x$': no space just inside the '$'"]),
        ("about $72%$", ["line 1: '$72%$': unescaped % (a KaTeX comment)"]),
        (">>> print('$')\n$\n\nok", []),
    ],
)
def test_math_problems_sees_the_mistakes(text: str, expected: list[str]) -> None:
    assert math_problems(text) == expected


def test_list_problems_sees_a_broken_list() -> None:
    broken = "1. a\n   b:\n\n       $$\n       x\n       $$\n\n   c\n3. d\n"
    assert list_problems(broken) != []
    good = "1.  a\n    b\n\n2.  c:\n\n    $$\n    x\n    $$\n\n    d\n\n3.  e\n"
    assert list_problems(good) == []
