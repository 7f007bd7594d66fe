"""Typed errors raised by rnninit, and the helper that suggests the nearest valid name.

Every error names the argument, what was given and what is valid, so the user knows exactly
what to change. All of them subclass both :class:`RnnInitError` and the matching builtin
(``ValueError``, ``TypeError``, ``KeyError``), so existing ``except ValueError`` code works.

>>> from rnninit.errors import UnknownNameError
>>> err = UnknownNameError("scheme", "orthogonl", ["orthogonal", "keras"])
>>> print(err)
scheme='orthogonl' is not known; valid: keras, orthogonal. Did you mean 'orthogonal'?
>>> isinstance(err, KeyError)
True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "InitializerError",
    "LayoutError",
    "NoRecurrentModuleError",
    "RnnInitError",
    "SchemeError",
    "StateShapeError",
    "UnknownNameError",
    "UnsupportedModuleError",
    "nearest",
]


class RnnInitError(Exception):
    """Base class of every error rnninit raises on bad input.

    >>> issubclass(SchemeError, RnnInitError)
    True
    """


class UnknownNameError(RnnInitError, KeyError):
    """A name (scheme, initializer, gate, matrix kind, ...) that rnninit does not know.

    The message lists the valid names and suggests the nearest one.

    >>> UnknownNameError("gate", "q", ["i", "f"]).valid
    ['f', 'i']
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
    """The module (after include/exclude filtering) contains no recurrent layer.

    >>> import torch, rnninit
    >>> try:
    ...     rnninit.init_(torch.nn.Linear(2, 2), "orthogonal")
    ... except NoRecurrentModuleError as e:
    ...     print(str(e).split(" (")[0])
    Linear contains no nn.RNN, nn.LSTM, nn.GRU or Cell module
    """


class SchemeError(RnnInitError, ValueError):
    """A scheme, recipe or override that cannot be applied to the given module.

    >>> import torch, rnninit
    >>> try:
    ...     rnninit.init_(torch.nn.RNN(2, 2), "chrono", max_timescale=10)
    ... except SchemeError as e:
    ...     print(str(e)[:40])
    scheme 'chrono' applies to LSTM, GRU lay
    """


class InitializerError(RnnInitError, ValueError):
    """An initializer specification that is malformed or cannot fit its target tensor.

    >>> import rnninit
    >>> try:
    ...     rnninit.recipe("orthogonal", recurrent=("orthogonal", {"gian": 2.0}))
    ... except InitializerError as e:
    ...     print(str(e).split(";")[0])
    recurrent: initializer 'orthogonal' takes no parameter 'gian'
    """


class StateShapeError(RnnInitError, ValueError):
    """An initial state whose shape does not match what the recurrent module expects.

    >>> issubclass(StateShapeError, ValueError)
    True
    """


class LayoutError(RnnInitError, ValueError):
    """A layout declaration that is malformed or does not fit its module (missing parameter,
    a shape that is not a multiple of the gate count, ...). Raised before anything is written.

    >>> import rnninit
    >>> try:
    ...     rnninit.Declaration("LSTM", "ifgq", input="w", recurrent="u")
    ... except RnnInitError as e:
    ...     print(e)
    gates of the LSTM family='q' is not known; valid: f, g, i, o
    """


class UnsupportedModuleError(RnnInitError, TypeError):
    """Not a module, or a module whose class has no declared layout
    (:func:`rnninit.register_layout` declares one).

    >>> import torch, rnninit
    >>> try:
    ...     rnninit.gates("lstm")
    ... except UnsupportedModuleError as e:
    ...     print(e)
    module must be a torch.nn.Module, got str ('lstm')
    """


def nearest(given: str, valid: Iterable[str]) -> str | None:
    """Return the valid name closest to ``given`` (difflib ratio >= 0.5), or ``None``.

    >>> nearest("xavier_unifrom", ["xavier_uniform", "orthogonal"])
    'xavier_uniform'
    >>> nearest("zzz", ["orthogonal"]) is None
    True
    """
    matches = difflib.get_close_matches(given, list(valid), n=1, cutoff=0.5)
    return matches[0] if matches else None
