"""Schemes: a recipe per named scheme, planned, validated, then written atomically.

A scheme is data: a :class:`Recipe` (which initializer for each parameter kind, gate, layer),
built by name with :func:`recipe` (``print(recipe("chrono"))`` shows what it writes, gate by
gate). :func:`rnninit.init_` plans it on every selected layer, validates the plan (a dry run
before any write), draws, then writes every parameter at once or none (the parts, bottom to
top: ``_overrides``, ``_recipes``, ``_builtin``, ``_parametrized``, ``_plan``, ``_validation``,
``_transaction``, ``_apply``). See
``docs/recipes.md`` for the catalogue with formulas and sources; gate names and the equations:
:mod:`rnninit.layouts`.

>>> SCHEMES[:4]
('pytorch', 'keras', 'flax', 'sonnet')
>>> recipe("keras").whole
('input', 'recurrent', 'projection')
"""

from __future__ import annotations

from ._builtin import (
    AUTO,
    AUTO_PARAMS,
    KEEP,
    SCHEME_NAMES,
    SCHEMES,
    AutoParams,
    InitKwargs,
    SchemeParams,
    build_recipe,
    recipe,
)
from ._overrides import OVERRIDE_KEYS
from ._recipes import Recipe
from ._validation import check_arguments

__all__ = [
    "AUTO",
    "AUTO_PARAMS",
    "KEEP",
    "OVERRIDE_KEYS",
    "SCHEMES",
    "SCHEME_NAMES",
    "AutoParams",
    "InitKwargs",
    "Recipe",
    "SchemeParams",
    "build_recipe",
    "check_arguments",
    "recipe",
]
