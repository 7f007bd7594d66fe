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
import os
import sys
import warnings
from collections.abc import Iterable

__all__ = [
    "ArgumentTypeError",
    "ArgumentValueError",
    "CalibrationError",
    "CheckpointError",
    "ExportError",
    "InitializerError",
    "KerasConversionError",
    "KerasConversionWarning",
    "LayoutError",
    "NoRecurrentModuleError",
    "NonFiniteError",
    "NotAModuleError",
    "RnnInitError",
    "SchemeError",
    "SchemeWarning",
    "StateShapeError",
    "UnknownNameError",
    "UnsupportedModuleError",
    "a_kind",
    "check_int",
    "nearest",
    "shown",
    "warn_caller",
]


_UNSET = object()


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


class _ArgumentError(RnnInitError):
    """A bad argument: a whole message, or ``(argument, given, expected)`` made into one."""

    def __init__(self, argument: str, given: object = _UNSET, expected: str = "") -> None:
        if given is _UNSET:  # a whole message, written where the context says more
            super().__init__(argument)
            self.argument, self.given, self.expected = "", None, ""
            return
        wanted = f"; expected {expected}" if expected else ""
        super().__init__(f"{argument}={self._given(given)} is not valid{wanted}")
        self.argument = argument
        self.given = given
        self.expected = expected

    @staticmethod
    def _given(given: object) -> str:
        return shown(given)


class ArgumentTypeError(_ArgumentError, TypeError):
    """An argument of the wrong type: names the argument, the value given and what is accepted.

    >>> import rnninit
    >>> try:
    ...     rnninit.init_("lstm", "orthogonal")
    ... except ArgumentTypeError as e:
    ...     print(e)
    module='lstm' (str) is not valid; expected a torch.nn.Module
    """

    @staticmethod
    def _given(given: object) -> str:
        text = shown(given)  # a long repr (a tensor, a model) becomes its kind
        return text if text == a_kind(given) else f"{text} ({type(given).__name__})"


class NonFiniteError(RnnInitError, ValueError):
    """A value that would put NaN or inf into a parameter (nothing was written).

    >>> import math, torch, rnninit
    >>> try:
    ...     rnninit.init_(torch.nn.LSTM(2, 3), "orthogonal", forget_bias=math.nan)
    ... except NonFiniteError as e:
    ...     print(str(e)[:58])
    forget_bias=Init('constant', value=nan) would write NaN or
    """


class CalibrationError(RnnInitError, ValueError):
    """The data given to the ``auto`` scheme cannot calibrate the model (the model is unchanged).

    >>> import torch
    >>> from rnninit.auto import auto_init_
    >>> try:
    ...     auto_init_(torch.nn.LSTM(3, 4), torch.zeros(5, 2, 3))
    ... except CalibrationError as e:
    ...     print(str(e)[:60])
    the input of the module (layer 0) carries no signal (every f
    """


class CheckpointError(RnnInitError, ValueError):
    """A file that is not a usable checkpoint of recurrent layers (the message says why).

    >>> import torch
    >>> from rnninit.diagnose import infer_modules
    >>> infer_modules({"head.weight": torch.zeros(2, 2)})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rnninit.errors.CheckpointError: no recurrent weights ... (head.weight)
    """


class KerasConversionError(RnnInitError, ValueError):
    """Keras weights or settings that the PyTorch module cannot represent or does not match.

    Raised before anything is written: the module is left exactly as it was. ``setting`` names
    the Keras setting (or PyTorch attribute, or array) at fault, ``given`` its value, ``reason``
    why it cannot be brought over and what to do instead.

    >>> import torch
    >>> from rnninit.interop import from_keras_
    >>> try:
    ...     from_keras_(torch.nn.GRU(3, 2), [torch.zeros(3, 6), torch.zeros(2, 6), torch.zeros(6)])
    ... except KerasConversionError as err:
    ...     print(err.setting, err.given)
    reset_after False
    """

    def __init__(self, where: str, setting: str, given: object, reason: str) -> None:
        super().__init__(f"{where}: {setting}={given!r}: {reason}")
        self.where = where
        self.setting = setting
        self.given = given
        self.reason = reason


class SchemeWarning(UserWarning):
    """A scheme applied to a layer type it was not designed for (e.g. ``irnn`` on an LSTM).

    >>> import warnings, torch, rnninit
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = rnninit.init_(torch.nn.LSTM(3, 3), "irnn")
    >>> caught[0].category.__name__
    'SchemeWarning'
    """


class KerasConversionWarning(UserWarning):
    """The weights were copied, but some Keras behaviour is not carried over.

    Issued for a ``stateful=True`` layer (its carried state stays in Keras: PyTorch takes the
    initial state as an argument) and for ``dropout`` / ``recurrent_dropout`` (PyTorch's
    ``dropout`` acts only between stacked layers and has no recurrent dropout; in evaluation
    mode both frameworks compute the same outputs). Silence it as any warning:

    >>> import warnings
    >>> warnings.filterwarnings("ignore", category=KerasConversionWarning)
    >>> warnings.resetwarnings()
    """


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn_caller(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the first frame outside rnninit (the user's call).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_caller("careful", SchemeWarning)
    >>> caught[0].filename.startswith(_PACKAGE_DIR)
    False
    """
    level = 1
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE_DIR + os.sep
    ):
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level + 1)


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
    module='lstm' (str) is not valid; expected a torch.nn.Module
    """


class NotAModuleError(ArgumentTypeError, UnsupportedModuleError):
    """``module`` is not a ``torch.nn.Module``: the one error every entry point raises for it
    (:func:`rnninit.layouts.require_module`), both an :class:`ArgumentTypeError` (it names the
    argument, the value and what is expected) and an :class:`UnsupportedModuleError` (what a
    layout lookup raises).

    >>> import torch, rnninit
    >>> try:
    ...     rnninit.init_(torch.zeros(100, 3), "orthogonal")
    ... except NotAModuleError as e:
    ...     print(e)
    module=a Tensor is not valid; expected a torch.nn.Module
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


class ArgumentValueError(_ArgumentError, ValueError):
    """An argument of the right type whose value is out of range: a negative size or length,
    a non-finite number, a mask of the wrong length.

    >>> from rnninit.diagnose import gradient_horizon
    >>> import torch
    >>> try:
    ...     gradient_horizon(torch.nn.LSTM(2, 3), -5)
    ... except ArgumentValueError as e:
    ...     print(e)
    seq_len must be an int >= 2 or None, got -5

    Like :class:`ArgumentTypeError` it also takes ``(argument, given, expected)``:

    >>> print(ArgumentValueError("steps", 0, "a positive int"))
    steps=0 is not valid; expected a positive int
    """


class ExportError(RnnInitError, RuntimeError):
    """An export or compilation path that cannot handle an rnninit object, raised at the call,
    with what to use instead: ``torch.jit.script`` of an ``InitialState`` (attached or inside
    ``Recurrent``), ``torch.jit.trace`` or ``torch.export`` of a stateful ``Recurrent`` (see
    "Export and compilation" in ``docs/states.md``).

    >>> import torch
    >>> from rnninit.states import attach_initial_state
    >>> try:
    ...     torch.jit.script(attach_initial_state(torch.nn.GRU(2, 3), "learned"))
    ... except ExportError as e:
    ...     print(str(e)[:55])
    torch.jit.script cannot compile an rnninit InitialState
    """


def shown(value: object) -> str:
    """``repr(value)`` when short (40 characters at most), else its type name, for messages.

    >>> shown("4"), shown(list(range(30)))
    ("'4'", 'a list')
    """
    text = repr(value)
    return text if len(text) <= 40 else a_kind(value)


def a_kind(value: object) -> str:
    """The type of ``value`` with its article, for messages.

    >>> a_kind(3), a_kind([])
    ('an int', 'a list')
    """
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
