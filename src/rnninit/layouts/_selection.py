"""Choosing the recurrent layers of a model: ``include=``/``exclude=`` globs, and names as the
user knows them (``torch.compile``'s ``_orig_mod`` segments removed). Re-exported by
:mod:`rnninit.layouts`.

>>> import torch
>>> from torch import nn
>>> model = torch.compile(nn.Sequential(nn.Linear(2, 3), nn.GRU(3, 4)))
>>> [name for name, _ in find_recurrent(model, include="1")]
['1']
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from torch import nn

from ..errors import ArgumentTypeError, NoRecurrentModuleError
from ._registry import declared, require_module

__all__ = ["as_patterns", "find_recurrent", "is_recurrent", "user_name"]


def is_recurrent(module: nn.Module) -> bool:
    """True for a module whose class (or the module itself) has a declared layout:
    ``nn.RNN``, ``nn.LSTM``, ``nn.GRU``, the Cell classes and their subclasses, and every class
    given to :func:`rnninit.register_layout`.

    >>> is_recurrent(nn.GRUCell(2, 3)), is_recurrent(nn.Linear(2, 3))
    (True, False)
    """
    return declared(module) is not None


#: What ``include=`` / ``exclude=`` accept (the end of an :class:`ArgumentTypeError`'s message).
PATTERNS_EXPECTED = "a glob pattern (str) on qualified module names or a list of them"


def as_patterns(value: object, argument: str) -> list[str] | None:
    """``include=`` / ``exclude=`` (named ``argument``) as a list of glob patterns; ``None`` stays
    ``None`` (no selection by this argument).

    Raises:
        ArgumentTypeError: ``value`` is neither a ``str``, a sequence of ``str`` nor ``None``
            (``bytes`` too: a pattern is text); the message names the argument and the value.

    >>> as_patterns("enc.*", "include"), as_patterns(("a", "b"), "exclude")
    (['enc.*'], ['a', 'b'])
    >>> as_patterns(5, "include")
    Traceback (most recent call last):
    ...
    rnninit.errors.ArgumentTypeError: include=5 (int) is not valid; expected a glob pattern ...
    """
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ArgumentTypeError(argument, value, PATTERNS_EXPECTED)


def _matches(name: str, patterns: list[str]) -> bool:
    user = user_name(name)
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(user, p) for p in patterns)


#: The attribute under which ``torch.compile`` keeps the original module.
_COMPILED = "_orig_mod"


def user_name(name: str) -> str:
    """A qualified module name as the user knows it: without ``torch.compile``'s
    ``_orig_mod`` segments (``"_orig_mod.encoder.lstm"`` -> ``"encoder.lstm"``).

    >>> user_name("_orig_mod.encoder.lstm"), user_name("_orig_mod")
    ('encoder.lstm', '')
    """
    return ".".join(part for part in name.split(".") if part != _COMPILED)


def find_recurrent(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> list[tuple[str, nn.Module]]:
    """Every recurrent submodule of ``module`` as ``(qualified_name, submodule)`` pairs.

    ``include`` / ``exclude`` are glob patterns (``fnmatch``, e.g. ``"encoder.*"``) on the
    qualified module name; the root module's own name is ``""``. A module is kept when it matches
    some ``include`` pattern (all modules if ``include`` is ``None``) and no ``exclude`` pattern.
    For a ``torch.compile``'d model, names are given and matched without the ``_orig_mod``
    segments (:func:`user_name`), as the user wrote the model (patterns with them match too).

    Raises :class:`~rnninit.errors.NoRecurrentModuleError` when nothing is left, naming the
    recurrent modules that exist, and :class:`~rnninit.errors.ArgumentTypeError` for an
    ``include`` / ``exclude`` that is not a pattern or a list of them (:func:`as_patterns`).

    >>> model = nn.ModuleDict({"enc": nn.GRU(2, 3), "dec": nn.LSTM(3, 3)})
    >>> [name for name, _ in find_recurrent(model, exclude="dec")]
    ['enc']
    """
    module = require_module(module)
    inc = as_patterns(include, "include")
    exc = as_patterns(exclude, "exclude")
    found = [(n, m) for n, m in module.named_modules() if is_recurrent(m)]
    if not found:
        raise NoRecurrentModuleError(
            f"{type(module).__name__} contains no nn.RNN, nn.LSTM, nn.GRU or Cell module (nor a "
            "module with a declared layout: rnninit.register_layout)"
        )
    kept = [
        (user_name(n), m)
        for n, m in found
        if (inc is None or _matches(n, inc)) and not (exc is not None and _matches(n, exc))
    ]
    if not kept:
        names = ", ".join(repr(user_name(n)) for n, _ in found)
        raise NoRecurrentModuleError(
            f"include={include!r} / exclude={exclude!r} leave no recurrent module; "
            f"the recurrent modules are: {names}"
        )
    return kept
