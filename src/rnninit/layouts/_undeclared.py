r"""No silent skip: the modules of a model that look recurrent but have no declared layout.

rnninit never guesses a gate order (``docs/custom_cells.md``), so a recurrent module it has no
:class:`~rnninit.Declaration` for is not started by :func:`rnninit.init_`. Alone it is a
:class:`~rnninit.errors.NoRecurrentModuleError`; inside a model, beside an ``nn.LSTM`` that is
started, ``init_`` issues one :class:`UndeclaredModuleWarning` per call naming each such module:
its path in the model, its class, and how to declare it.

**The rule.** A submodule *looks recurrent* (:func:`undeclared_recurrent`) when

1. it has no declared layout, is not part of a declared module (a declared cell's own
   ``nn.Linear``) and holds no declared module (``torchrecurrent.JANET`` holding declared
   ``JANETCell``\ s, a user's model holding an ``nn.LSTM``: those are started);
2. it holds at least one parameter (a parameter-free wrapper has nothing to start);
3. its class name contains ``RNN``, ``LSTM`` or ``GRU`` or ends in ``Cell`` (case-sensitive:
   ``IndRNNCell``, ``ResLSTMLayer``, ``MGUCell``), **or** one of its parameters is named like a
   recurrent weight: a name part ``hh`` (``weight_hh``, ``bias_hh_l0``, ``hh.weight``,
   ``W_hh``) or the word ``recurrent`` (``recurrent_kernel``);
4. none of its submodules looks recurrent (the innermost is named: the class to declare).

Modules that ``include=`` / ``exclude=`` leave out are not named (``exclude=`` is how to skip
one knowingly); the warning is a ``UserWarning`` and can be filtered as any other.

>>> import warnings, torch
>>> from torch import nn
>>> class MyCell(nn.Module):  # a cell rnninit has no declaration for
...     def __init__(self):
...         super().__init__()
...         self.weight_ih = nn.Parameter(torch.zeros(8, 3))
...         self.weight_hh = nn.Parameter(torch.zeros(8, 4))
>>> model = nn.ModuleDict({"lstm": nn.LSTM(3, 4), "mine": MyCell()})
>>> [(path, type(m).__name__) for path, m in undeclared_recurrent(model)]
[('mine', 'MyCell')]
>>> undeclared_recurrent(model, exclude="mine")
[]
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

from torch import nn

from ..errors import warn_caller
from ._selection import as_patterns, is_recurrent, user_name

__all__ = ["UndeclaredModuleWarning", "looks_recurrent", "undeclared_recurrent", "warn_undeclared"]

#: A class name that says "recurrent" (rule 3): contains RNN, LSTM or GRU, or ends in Cell.
CLASS_NAME = re.compile(r"RNN|LSTM|GRU|Cell$")

#: A parameter name that says "recurrent weight" (rule 3): a name part ``hh`` or ``recurrent``.
PARAMETER_NAME = re.compile(r"(?:^|[._])hh(?:$|[._\d])|recurrent", re.IGNORECASE)

#: Where the warning sends the user.
DOCS = "docs/custom_cells.md (https://rnninit.github.io/rnninit/custom_cells/)"


class UndeclaredModuleWarning(UserWarning):
    """A module that looks recurrent (:func:`undeclared_recurrent`) was left as it is by ``init_``.

    >>> import warnings, torch, torchrecurrent, rnninit
    >>> model = torch.nn.ModuleDict({"lstm": torch.nn.LSTM(3, 4),
    ...                              "mgu": torchrecurrent.MGUCell(3, 4)})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = rnninit.init_(model, "orthogonal")
    >>> caught[0].category.__name__, "'mgu' (torchrecurrent" in str(caught[0].message)
    ('UndeclaredModuleWarning', True)
    """


def looks_recurrent(module: nn.Module) -> bool:
    """Rules 2 and 3 of the module docstring on ``module`` alone: it holds parameters, and its
    class name or a parameter name says recurrent (rules 1 and 4 need the model around it).

    >>> from torch import nn
    >>> looks_recurrent(nn.Linear(2, 2)), looks_recurrent(nn.RNNCell(2, 2))
    (False, True)
    """
    names = [name for name, _ in module.named_parameters()]
    if not names:
        return False
    if CLASS_NAME.search(type(module).__name__):
        return True
    return any(PARAMETER_NAME.search(name) for name in names)


def _selected(name: str, inc: list[str] | None, exc: list[str] | None) -> bool:
    def hit(patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)

    return (inc is None or hit(inc)) and not (exc is not None and hit(exc))


def undeclared_recurrent(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> list[tuple[str, nn.Module]]:
    """The submodules of ``module`` that look recurrent but have no declared layout (the rule
    of the module docstring), as ``(path, submodule)``, paths as the user knows them (without
    ``torch.compile``'s ``_orig_mod``); those ``include`` / ``exclude`` leave out are not listed.

    >>> from torch import nn
    >>> undeclared_recurrent(nn.Sequential(nn.LSTM(2, 3), nn.Linear(3, 1)))
    []
    """
    inc = as_patterns(include, "include")
    exc = as_patterns(exclude, "exclude")
    named = list(module.named_modules())
    declared = [name for name, m in named if is_recurrent(m)]

    def related(name: str, other: str) -> bool:  # one holds the other (or it is the same)
        return (
            name == other
            or not name
            or not other
            or other.startswith(name + ".")
            or name.startswith(other + ".")
        )

    candidates = [
        (name, m)
        for name, m in named
        if not any(related(name, d) for d in declared) and looks_recurrent(m)
    ]
    paths = [name for name, _ in candidates]
    innermost = [
        (name, m)
        for name, m in candidates
        if not any(other.startswith(name + ".") or (not name and other) for other in paths)
    ]
    return [(user_name(name), m) for name, m in innermost if _selected(user_name(name), inc, exc)]


def warn_undeclared(
    module: nn.Module,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
) -> None:
    """One :class:`UndeclaredModuleWarning` naming every module :func:`undeclared_recurrent`
    finds (nothing when there is none); called once by :func:`rnninit.init_` after it started
    the declared layers.

    >>> from torch import nn
    >>> warn_undeclared(nn.LSTM(2, 3))  # nothing to say
    """
    found = undeclared_recurrent(module, include, exclude)
    if not found:
        return
    listed = ", ".join(
        f"{path or '(the model itself)'!r} ({type(m).__module__.split('.')[0]} {type(m).__name__})"
        for path, m in found
    )
    first = type(found[0][1]).__name__
    one = len(found) == 1
    warn_caller(
        f"init_ left unchanged {len(found)} module{'' if one else 's'} that "
        f"{'looks' if one else 'look'} recurrent but {'has' if one else 'have'} no declared "
        f"layout (rnninit never guesses a gate order): {listed}. Declare the class once, "
        f"rnninit.register_layout({first}, rnninit.Declaration(family, gates, input=..., "
        f"recurrent=..., bias_ih=..., bias_hh=...)), and every scheme applies to it "
        f"(see {DOCS}); or pass exclude= to leave it out knowingly",
        UndeclaredModuleWarning,
    )
