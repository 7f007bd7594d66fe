"""Every documented import path keeps working for one release (issue 30): the flat module paths
and the old top-level names answer with the object at its new home and a DeprecationWarning
that names it; a name that never existed is still an error."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings

import pytest

import rnninit
from rnninit import _compat

OLD_MODULES = sorted(_compat.MOVED_MODULES)


@pytest.mark.parametrize("old", OLD_MODULES)
def test_an_old_module_path_imports_with_a_warning_naming_the_new_one(old: str) -> None:
    new, public = _compat.MOVED_MODULES[old]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated .* use {public}"):
        module = importlib.import_module(old)
    target = importlib.import_module(new)
    names = getattr(target, "__all__", None) or dir(target)
    name = next(n for n in names if not n.startswith("__"))
    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} is deprecated .* use {public}"):
        assert getattr(module, name) is getattr(target, name)


def test_from_imports_of_old_paths_give_the_same_objects() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from rnninit.apply import apply_recipe
        from rnninit.keras_io import from_keras_
        from rnninit.recipes import Recipe
        from rnninit.registry import INITIALIZERS, register
    assert Recipe is rnninit.schemes.Recipe
    assert register is rnninit.initializers.register
    assert INITIALIZERS is rnninit.initializers.INITIALIZERS
    assert from_keras_ is rnninit.interop.from_keras_
    assert apply_recipe is rnninit.schemes._apply.apply_recipe


def test_an_unknown_name_on_an_old_path_is_still_an_attribute_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import rnninit.recipes as old

        with pytest.raises(AttributeError):
            old.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", sorted(_compat.MOVED_NAMES))
def test_an_old_top_level_name_warns_and_returns_the_object(name: str) -> None:
    module, public = _compat.MOVED_NAMES[name]
    with pytest.warns(DeprecationWarning, match=rf"rnninit\.{name} is deprecated .* {public}"):
        value = getattr(rnninit, name)
    assert value is getattr(importlib.import_module(module), name)
    assert name not in rnninit.__all__


def test_the_top_level_is_small_and_unknown_names_fail() -> None:
    assert len(rnninit.__all__) <= 16
    with pytest.raises(AttributeError, match="no_such"):
        rnninit.no_such  # noqa: B018


def test_the_integrations_imports_still_resolve() -> None:
    """Other branches import these inside rnninit/integrations/."""
    from rnninit.errors import ArgumentTypeError, UnknownNameError
    from rnninit.facade import init_
    from rnninit.states import InitialState

    assert init_ is rnninit.init_ and InitialState is rnninit.InitialState
    assert issubclass(ArgumentTypeError, rnninit.RnnInitError)
    assert issubclass(UnknownNameError, rnninit.RnnInitError)


def test_old_benchmark_paths_lead_to_rnninit_bench() -> None:
    pytest.importorskip("rnninit_bench")
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "import rnninit\n"
        "try:\n    import rnninit.bench.spec\nexcept DeprecationWarning as w:\n    print(w)\n"
        "warnings.simplefilter('ignore')\n"
        "from rnninit.bench.spec import parse_scheme\n"
        "import rnninit_bench.spec\n"
        "assert parse_scheme is rnninit_bench.spec.parse_scheme\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "rnninit.bench is deprecated" in out.stdout and "rnninit_bench" in out.stdout
