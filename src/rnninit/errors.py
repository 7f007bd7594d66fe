"""Typed errors raised by rnninit, and the helper that suggests the nearest valid name.

Every error names the argument, what was given and what is valid, so the user knows exactly
what to change. All of them subclass both :class:`RnnInitError` and the matching builtin
(``ValueError``, ``TypeError``, ``KeyError``), so existing ``except ValueError`` code works.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "InitializerError",
    "NoRecurrentModuleError",
    "RnnInitError",
    "SchemeError",
    "StateShapeError",
    "UnknownNameError",
    "nearest",
]


class RnnInitError(Exception):
    """Base class of every error rnninit raises on bad input."""


class UnknownNameError(RnnInitError, KeyError):
    """A name (scheme, initializer, gate, matrix kind, ...) that rnninit does not know.

    The message lists the valid names and suggests the nearest one.
    """

    def __init__(self, argument: str, given: object, valid: Iterable[str]) -> None:
        valid_list = sorted(set(valid))
        hint = nearest(str(given), valid_list)
        msg = f"{argument}={given!r} is not known; valid: {', '.join(valid_list)}"
        if hint is not None:
            msg += f". Did you mean {hint!r}?"
        super().__init__(msg)
        self.argument = argument
        self.given = given
        self.valid = valid_list
        self.suggestion = hint

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0])


class NoRecurrentModuleError(RnnInitError, ValueError):
    """The module (after include/exclude filtering) contains no recurrent layer."""


class SchemeError(RnnInitError, ValueError):
    """A scheme, recipe or override that cannot be applied to the given module."""


class InitializerError(RnnInitError, ValueError):
    """An initializer specification that is malformed or cannot fit its target tensor."""


class StateShapeError(RnnInitError, ValueError):
    """An initial state whose shape does not match what the recurrent module expects."""


def nearest(given: str, valid: Iterable[str]) -> str | None:
    """Return the valid name closest to ``given`` (difflib ratio >= 0.5), or ``None``."""
    matches = difflib.get_close_matches(given, list(valid), n=1, cutoff=0.5)
    return matches[0] if matches else None
