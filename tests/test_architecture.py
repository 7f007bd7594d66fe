"""The layered package (issues 22, 30): rules the import-linter contracts in pyproject.toml do not
state.

* No rnninit module is imported inside a function (such an import hides a cycle) except by the
  command line's lazy subcommands; optional third-party packages may be imported late.
* Every top-level module and subpackage of rnninit sits in a layer of the contract, and every
  module of a subpackage that has its own contract sits in one of its layers, so a new module
  cannot escape them. The tree is the map: at most ten top-level modules beside the subpackages.
* One definition per concept: the keyword lists other modules use are derived from it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "rnninit"
#: Where an import of an rnninit module inside a function is allowed: the command line's lazy
#: subcommands (they load a feature only when it runs).
LAZY_SUBCOMMANDS = {"diagnose/cli.py"}


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _target(node: ast.ImportFrom | ast.Import, path: Path) -> list[str]:
    """The absolute module names an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level == 0:
        return [node.module or ""]
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return [".".join([*base, node.module] if node.module else base)]


def _is_rnninit(module: str) -> bool:
    """``rnninit`` or one of its modules (not ``rnninit_bench``, a distribution of its own)."""
    return module == "rnninit" or module.startswith("rnninit.")


def _local_imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """``(line, module)`` of every rnninit import inside a function or method of ``path``."""
    tree = ast.parse(path.read_text() if source is None else source, str(path))
    found: list[tuple[int, str]] = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [(node.lineno, t) for t in _target(node, path) if _is_rnninit(t)]
    return found


def test_the_scan_finds_imports_inside_functions_and_methods() -> None:
    fake = PACKAGE / "schemes" / "x.py"  # relative imports resolve against this path
    code = (
        "import rnninit.layouts\n"
        "def f():\n    from ..facade import init_\n    import os\n"
        "class C:\n    def m(self):\n        import rnninit.auto\n"
        "        from . import _plan\n        import rnninit_bench.cli\n"
    )
    assert _local_imports(fake, code) == [
        (3, "rnninit.facade"),
        (7, "rnninit.auto"),
        (8, "rnninit.schemes"),
    ]


def test_no_rnninit_module_is_imported_inside_a_function() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() not in LAZY_SUBCOMMANDS
        for line, target in _local_imports(path)
    ]
    assert offenders == []


def _layered(contract: dict[str, object]) -> set[str]:
    layers = contract["layers"]
    assert isinstance(layers, list)
    return {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}


def test_every_module_is_in_a_layer_of_the_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {tuple(c["containers"]): c for c in config["contracts"] if "containers" in c}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert modules | packages == _layered(contracts[("rnninit",)])
    inner = [c for c in contracts if c != ("rnninit",) and c[0].startswith("rnninit.")]
    assert {c[0] for c in inner} >= {f"rnninit.{p}" for p in ("layouts", "schemes", "auto")}
    for (container,) in inner:
        folder = PACKAGE / container.split(".", 1)[1]
        own = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        assert own == _layered(contracts[(container,)]), container


def test_the_tree_is_the_map() -> None:
    """At most ten top-level modules beside the subpackages; the private ones start with _."""
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 10, modules
    assert not (PACKAGE / "bench").exists()  # the benchmark is a distribution of its own


def test_the_keyword_lists_are_derived_from_their_one_definition() -> None:
    from rnninit import schemes
    from rnninit.schemes._overrides import OVERRIDE_KEYS, Overrides

    assert tuple(Overrides.__annotations__) == OVERRIDE_KEYS
    assert tuple(schemes.AutoParams.__annotations__) == schemes.AUTO_PARAMS
    assert "timescales" in schemes.AUTO_PARAMS


def test_auto_keywords_are_those_of_the_real_auto_init_() -> None:
    """``AutoParams`` (the one list ``init_(model, "auto", ...)`` checks its keywords against)
    against :func:`rnninit.auto.auto_init_`'s own signature, not against itself."""
    import inspect

    from rnninit import schemes
    from rnninit.auto import auto_init_

    params = inspect.signature(auto_init_).parameters
    own = [n for n in params if n not in ("module", "include", "exclude", "generator")]
    assert own == list(schemes.AutoParams.__annotations__)
    # the defaults are stated there once; AUTO_DEFAULTS (what init_(model, "auto") uses) reads them
    from rnninit.auto import AUTO_DEFAULTS

    assert {n: params[n].default for n in own} == AUTO_DEFAULTS
    assert params["reach"].default == 3.0 and params["timescales"].default == "log"
    assert (*schemes.SCHEMES, "auto") == schemes.SCHEME_NAMES
