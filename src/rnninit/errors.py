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
    "ArgumentTypeError",
    "ArgumentValueError",
    "ExportError",
    "InitializerError",
    "NoRecurrentModuleError",
    "RnnInitError",
    "SchemeError",
    "StateShapeError",
    "UnknownNameError",
    "check_int",
    "nearest",
    "shown",
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
    ...     print(e)
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


def nearest(given: str, valid: Iterable[str]) -> str | None:
    """Return the valid name closest to ``given`` (difflib ratio >= 0.5), or ``None``.

    >>> nearest("xavier_unifrom", ["xavier_uniform", "orthogonal"])
    'xavier_uniform'
    >>> nearest("zzz", ["orthogonal"]) is None
    True
    """
    matches = difflib.get_close_matches(given, list(valid), n=1, cutoff=0.5)
    return matches[0] if matches else None


class ArgumentTypeError(RnnInitError, TypeError):
    """An argument of the wrong type: a string where a size is needed, an int where a
    ``torch.Generator`` is needed, a string where a module is needed.

    The message names the argument, what was given and what is accepted.

    >>> from rnninit.states import initial_state
    >>> import torch
    >>> try:
    ...     initial_state(torch.nn.GRU(2, 3), "zeros", batch_size="4")
    ... except ArgumentTypeError as e:
    ...     print(e)
    batch_size must be an int >= 1 or None, got '4' (str)
    """


class ArgumentValueError(RnnInitError, ValueError):
    """An argument of the right type whose value is out of range: a negative size or length,
    a non-finite number, a mask of the wrong length.

    >>> from rnninit.diagnose import gradient_horizon
    >>> import torch
    >>> try:
    ...     gradient_horizon(torch.nn.LSTM(2, 3), -5)
    ... except ArgumentValueError as e:
    ...     print(e)
    seq_len must be an int >= 2 or None, got -5
    """


class ExportError(RnnInitError, RuntimeError):
    """An export or compilation path that cannot handle an rnninit object, raised at the call
    (e.g. ``torch.jit.script``), with what to use instead (see "Export and compilation" in
    ``docs/states.md``).

    >>> import torch
    >>> from rnninit.states import attach_initial_state
    >>> try:
    ...     torch.jit.script(attach_initial_state(torch.nn.GRU(2, 3), "learned"))
    ... except ExportError as e:
    ...     print(str(e)[:54])
    torch.jit.script cannot compile an rnninit InitialState
    """


def shown(value: object) -> str:
    """``repr(value)`` when short (40 characters at most), else its type name, for messages.

    >>> shown("4"), shown(list(range(30)))
    ("'4'", 'a list')
    """
    text = repr(value)
    if len(text) <= 40:
        return text
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def check_int(argument: str, value: object, minimum: int = 1, *, none_ok: bool = False) -> None:
    """Raise unless ``value`` is an int ``>= minimum`` (or ``None`` when ``none_ok``).

    A ``bool``, a ``float`` or a string is an :class:`ArgumentTypeError` (even ``2.0``: sizes
    are counts), an int below ``minimum`` an :class:`ArgumentValueError`; both name the
    argument, the value and what is accepted.

    >>> check_int("batch_size", 3)
    >>> check_int("batch_size", -2)
    Traceback (most recent call last):
    ...
    rnninit.errors.ArgumentValueError: batch_size must be an int >= 1, got -2
    """
    if value is None and none_ok:
        return
    valid = f"an int >= {minimum}" + (" or None" if none_ok else "")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(
            f"{argument} must be {valid}, got {shown(value)} ({type(value).__name__})"
        )
    if value < minimum:
        raise ArgumentValueError(f"{argument} must be {valid}, got {value!r}")
