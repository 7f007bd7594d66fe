"""Old import paths, kept working for one release with a ``DeprecationWarning``.

The package was flat until issue 30 moved its modules into subpackages along the layers
(:mod:`rnninit.layouts`, :mod:`rnninit.initializers`, :mod:`rnninit.schemes`,
:mod:`rnninit.auto`, ...) and the benchmark into its own distribution (``rnninit-bench``,
package ``rnninit_bench``). Each old module path (``rnninit.recipes``, ``rnninit.registry``,
``rnninit.bench.runner``, ...) still imports: a finder on ``sys.meta_path`` answers it with
an alias of the module's new home that warns on import and on every attribute read. Old
top-level names (``rnninit.Recipe``, ``rnninit.register``, ...) are answered by
``rnninit.__getattr__`` from :data:`MOVED_NAMES`.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     from rnninit.recipes import Recipe
>>> Recipe.__module__, caught[-1].category.__name__
('rnninit.schemes._recipes', 'DeprecationWarning')
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

#: old module -> (the module that holds its code now, the public path to name in the warning)
MOVED_MODULES: dict[str, tuple[str, str]] = {
    "rnninit.declaration": ("rnninit.layouts._declaration", "rnninit.layouts"),
    "rnninit.torch_layouts": ("rnninit.layouts._torch", "rnninit.layouts"),
    "rnninit.layout_registry": ("rnninit.layouts._registry", "rnninit.layouts"),
    "rnninit.selection": ("rnninit.layouts._selection", "rnninit.layouts"),
    "rnninit.binding": ("rnninit.layouts._binding", "rnninit.layouts"),
    "rnninit._draw": ("rnninit.initializers._draw", "rnninit.initializers"),
    "rnninit.gate_biases": ("rnninit.initializers._gate_biases", "rnninit.initializers"),
    "rnninit.registry": ("rnninit.initializers._registry", "rnninit.initializers"),
    "rnninit.catalog": ("rnninit.initializers._catalog", "rnninit.initializers"),
    "rnninit.overrides": ("rnninit.schemes._overrides", "rnninit.schemes"),
    "rnninit.recipes": ("rnninit.schemes._recipes", "rnninit.schemes"),
    "rnninit.parametrized": ("rnninit.schemes._parametrized", "rnninit.schemes"),
    "rnninit.plan": ("rnninit.schemes._plan", "rnninit.schemes"),
    "rnninit.validation": ("rnninit.schemes._validation", "rnninit.schemes"),
    "rnninit.transaction": ("rnninit.schemes._transaction", "rnninit.schemes"),
    "rnninit.apply": ("rnninit.schemes._apply", "rnninit.schemes"),
    "rnninit.calibration": ("rnninit.auto._calibration", "rnninit.auto"),
    "rnninit.keras_io": ("rnninit.interop", "rnninit.interop"),
}
#: the benchmark's old package; its modules keep their names under ``rnninit_bench``
BENCH_OLD, BENCH_NEW = "rnninit.bench", "rnninit_bench"
#: how to get the benchmark, named in the error when it is not installed
BENCH_INSTALL = "pip install rnninit-bench  (in this repository: pip install -e bench)"

#: old top-level name -> (its module now, the public spelling to name in the warning)
MOVED_NAMES: dict[str, tuple[str, str]] = {
    "INITIALIZERS": ("rnninit.initializers", "rnninit.initializers.INITIALIZERS"),
    "Init": ("rnninit.initializers", "rnninit.initializers.Init"),
    "register": ("rnninit.initializers", "rnninit.initializers.register"),
    "SCHEMES": ("rnninit.schemes", "rnninit.schemes.SCHEMES"),
    "Recipe": ("rnninit.schemes", "rnninit.schemes.Recipe"),
    "from_keras_": ("rnninit.interop", "rnninit.interop.from_keras_"),
    "to_keras": ("rnninit.interop", "rnninit.interop.to_keras"),
    "timescales": ("rnninit.diagnose", "rnninit.diagnose.timescales"),
    "gradient_horizon": ("rnninit.diagnose", "rnninit.diagnose.gradient_horizon"),
}


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


def moved_name(name: str) -> Any:
    """The object an old top-level name refers to, with a ``DeprecationWarning``.

    Raises ``AttributeError`` for a name that never was at the top level.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     moved_name("Recipe").__name__
    'Recipe'
    """
    if name not in MOVED_NAMES:
        raise AttributeError(f"module 'rnninit' has no attribute {name!r}")
    module, public = MOVED_NAMES[name]
    _warn(f"rnninit.{name}", public)
    return getattr(importlib.import_module(module), name)


class _Alias(types.ModuleType):
    """An old module path: every attribute read is forwarded to the new module, with a warning."""

    def __init__(self, name: str, target: str, public: str) -> None:
        super().__init__(name)
        self._rnninit_target = target
        self._rnninit_public = public

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        _warn(f"{self.__name__}.{attr}", self._rnninit_public)
        return getattr(importlib.import_module(self._rnninit_target), attr)


class _Loader(importlib.abc.Loader):
    def __init__(self, target: str, public: str) -> None:
        self.target, self.public = target, public

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.target.startswith(BENCH_NEW):
            try:
                importlib.import_module(self.target)
            except ModuleNotFoundError as exc:
                if exc.name is None or exc.name.split(".")[0] != BENCH_NEW:
                    raise
                raise ModuleNotFoundError(
                    f"{spec.name} moved to the rnninit-bench distribution (package "
                    f"{BENCH_NEW}), which is not installed: {BENCH_INSTALL}",
                    name=spec.name,
                ) from exc
        _warn(spec.name, self.public)
        module = _Alias(spec.name, self.target, self.public)
        if self.target.startswith(BENCH_NEW):
            module.__path__ = []  # a package, so that its old submodule paths resolve too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the alias reads its attributes from the new module."""


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in MOVED_MODULES:
            new, public = MOVED_MODULES[fullname]
        elif fullname == BENCH_OLD or fullname.startswith(BENCH_OLD + "."):
            new = BENCH_NEW + fullname[len(BENCH_OLD) :]
            public = new
        else:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(new, public))


def install() -> None:
    """Put the finder of old module paths on ``sys.meta_path`` (once).

    >>> install()
    >>> sum(isinstance(f, _Finder) for f in sys.meta_path)
    1
    """
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
