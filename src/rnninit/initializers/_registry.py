"""The registry of named initializers and the serializable :class:`Init` specification.

An initializer can be given as (Keras-style, so a recipe can live in a config file):

* a registered name: ``"orthogonal"``, ``"xavier_uniform"``, ``"zeros"``, ...;
* a number: a constant (``1.0`` -> ``Init("constant", {"value": 1.0})``);
* a pair ``(name, kwargs)``: ``("normal", {"std": 0.02})``;
* a dict: ``{"name": "normal", "std": 0.02}`` (what :meth:`Init.to_dict` writes);
* a callable on a tensor: ``fn(tensor)`` fills it in place (or returns the values); it is given
  ``generator=`` too if its signature accepts it. Callables cannot be serialized.

:func:`register` adds a name. :data:`INITIALIZERS` lists them.

>>> import torch
>>> as_init(("normal", {"std": 0.02})), as_init(1.0), as_init({"name": "orthogonal"})
(Init('normal', std=0.02), Init('constant', value=1.0), Init('orthogonal'))
>>> INITIALIZERS["chrono"].doc
'log U(1, T_max - 1) (Tallec & Ollivier 2018)'
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch

from ..errors import InitializerError, UnknownNameError, nearest

__all__ = [
    "INITIALIZERS",
    "NUMBER",
    "REQUIRED",
    "Init",
    "InitLike",
    "WholeScheme",
    "as_init",
    "call_init",
    "dry_run",
    "register",
    "unregister",
]

InitFn = Callable[..., Any]


#: ``eval_value(params)``: the value a random initial state takes in eval mode (its mean).
StateMean = Callable[[Mapping[str, Any]], float]


@dataclass(frozen=True)
class Registered:
    """A named initializer: the function, its keyword parameters and what it needs.

    ``params`` maps each accepted keyword to its default (:data:`REQUIRED` or :data:`NUMBER`
    if it has none). ``context`` names values the caller supplies when it knows them:
    ``hidden_size`` (weights, for ``pytorch_default``) and ``fans`` (initial states:
    ``(W, W)`` for a state of width ``W``). ``random``: called with ``generator=``.
    ``needs_matrix`` / ``needs_square`` are checked on the target shape before anything is
    written. ``for_states``: usable as an initial state (listed in
    :data:`rnninit.states.STATE_KINDS`);
    ``eval_value`` gives the mean a random state takes in eval mode (``None``: 0).

    >>> INITIALIZERS["uniform"].params
    {'low': -0.5, 'high': 0.5}
    >>> INITIALIZERS["uniform"].eval_value({"low": 0.0, "high": 1.0})
    0.5
    """

    name: str
    fn: InitFn
    params: Mapping[str, Any]
    context: tuple[str, ...] = ()
    random: bool = True
    needs_matrix: bool = False
    needs_square: bool = False
    for_states: bool = False
    eval_value: StateMean | None = None
    doc: str = ""

    def call(
        self,
        target: torch.Tensor,
        kwargs: Mapping[str, Any],
        *,
        generator: torch.Generator | None,
        context: Mapping[str, Any],
    ) -> None:
        """``fn(target, **defaults, **kwargs, **context)`` (+ ``generator=`` if random)."""
        full = {k: v for k, v in self.params.items() if not isinstance(v, _Required)}
        full.update(kwargs)
        full.update({k: context[k] for k in self.context if k in context})
        if self.random:
            self.fn(target, generator=generator, **full)
        else:
            self.fn(target, **full)


class _Required:
    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


#: Default of a mandatory parameter (any value).
REQUIRED: Any = _Required("REQUIRED")
#: Default of a mandatory numeric parameter (a finite int or float, not a bool).
NUMBER: Any = _Required("NUMBER")

#: The registry itself, written only by :func:`register` and :func:`unregister`.
_REGISTERED: dict[str, Registered] = {}
#: Every registered initializer by name (weights and parameter-free initial states alike): a
#: read-only view; :func:`register` is the way in, with its checks.
INITIALIZERS: Mapping[str, Registered] = MappingProxyType(_REGISTERED)


def _accepts(fn: InitFn, names: tuple[str, ...]) -> list[str]:
    """The names of ``names`` that ``fn`` cannot take as keywords (``[]`` if unknowable)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    kinds = [p.kind for p in sig.parameters.values()]
    if inspect.Parameter.VAR_KEYWORD in kinds:
        return []
    takes = {
        n
        for n, p in sig.parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return [n for n in names if n not in takes]


def register(
    name: str,
    fn: InitFn,
    params: Mapping[str, Any] | None = None,
    *,
    context: tuple[str, ...] = (),
    random: bool = True,
    needs_matrix: bool = False,
    needs_square: bool = False,
    for_states: bool = False,
    eval_value: StateMean | None = None,
    doc: str = "",
) -> None:
    """Register ``fn(tensor, **params)`` under ``name``; it fills ``tensor`` in place.

    ``params`` gives the accepted keywords with defaults (:data:`REQUIRED` for mandatory ones);
    ``context`` names values the caller supplies (``hidden_size`` for weights, ``fans`` for a
    state: ``(W, W)`` for a state of width ``W``). A random ``fn`` (``random=True``, the
    default) is called with ``generator=`` and must accept it; a deterministic one
    (``random=False``) is called without it.
    ``for_states=True`` makes it an initial-state initializer too; ``eval_value(params)``
    gives the value such a random state takes in eval mode (its mean; ``None``: 0). The
    signature is checked here, so a mistake shows at registration.

    >>> def halves_(t, *, generator=None):
    ...     return t.fill_(0.5)
    >>> register("halves", halves_)
    >>> init = as_init("halves")
    >>> def no_generator_(t):
    ...     return t.fill_(0.5)
    >>> register("bad", no_generator_)
    Traceback (most recent call last):
    ...
    rnninit.errors.InitializerError: register('bad'): no_generator_ takes no generator= keyword, ...
    >>> register("halves_det", no_generator_, random=False)
    >>> unregister("halves"), unregister("halves_det")
    (None, None)
    """
    if not isinstance(name, str) or not name:
        raise InitializerError(f"register: name must be a non-empty str, got {name!r}")
    if not callable(fn):
        raise InitializerError(f"register({name!r}): fn must be callable, got {fn!r}")
    label = getattr(fn, "__name__", repr(fn))
    params = dict(params or {})
    if random and _accepts(fn, ("generator",)):
        raise InitializerError(
            f"register({name!r}): {label} takes no generator= keyword, but random=True means "
            "every draw must be reproducible with a torch.Generator; add a generator=None "
            "keyword and draw with it, or pass random=False for a deterministic initializer"
        )
    missing = _accepts(fn, (*params, *context))
    if missing:
        raise InitializerError(
            f"register({name!r}): {label} takes no keyword {', '.join(map(repr, missing))}, "
            f"but params/context declare it"
        )
    _REGISTERED[name] = Registered(
        name, fn, params, context, random, needs_matrix, needs_square, for_states, eval_value, doc
    )


def unregister(name: str) -> None:
    """Remove the initializer registered as ``name`` (what :func:`register` added).

    Raises:
        UnknownNameError: ``name`` is not registered (the nearest name suggested).

    >>> register("tmp", lambda t, generator=None: t.zero_())
    >>> unregister("tmp")
    >>> "tmp" in INITIALIZERS
    False
    """
    if name not in _REGISTERED:
        raise UnknownNameError("initializer", name, sorted(_REGISTERED))
    del _REGISTERED[name]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Init:
    """A serializable initializer specification: a registered ``name`` and its ``kwargs``.

    ``Init("normal", {"std": 0.02})``. For a user callable, ``name == "callable"`` and
    :attr:`fn` holds it (such an ``Init`` cannot be written by :meth:`to_dict`).

    >>> spec = Init("normal", {"std": 0.02})
    >>> spec.to_dict()
    {'name': 'normal', 'std': 0.02}
    >>> Init.from_dict(spec.to_dict()) == spec, spec.registered.random
    (True, True)
    """

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    fn: InitFn | None = field(default=None, compare=False)
    #: Where the specification came from (the argument :func:`as_init` was given it for, e.g.
    #: ``"forget_bias"``), for error messages; not part of the value.
    origin: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., **kwargs}``: plain data for a config file."""
        if self.fn is not None:
            raise TypeError(
                f"initializer {getattr(self.fn, '__name__', self.fn)!r} is a Python callable and "
                "cannot be serialized; register it with rnninit.initializers.register(name, fn) "
                "and use the name"
            )
        return {"name": self.name, **dict(self.kwargs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Init:
        """Inverse of :meth:`to_dict` (validated)."""
        return as_init(dict(data), "initializer")

    @property
    def registered(self) -> Registered | None:
        """The registry entry (``None`` for a callable)."""
        return None if self.fn is not None else INITIALIZERS[self.name]

    def __repr__(self) -> str:
        if self.fn is not None:
            return f"Init(callable {getattr(self.fn, '__name__', self.fn)!r})"
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"Init({self.name!r}{', ' if args else ''}{args})"


class WholeScheme:
    """Base class of a whole initialization scheme (:class:`rnninit.schemes.Recipe`).

    A scheme is callable on a module (for ``model.apply``), but it is not an initializer of one
    tensor: :func:`as_init` refuses it with a message that says where it belongs.

    >>> class Mine(WholeScheme):
    ...     name = "mine"
    >>> as_init(Mine(), "recurrent")
    Traceback (most recent call last):
    ...
    rnninit.errors.InitializerError: recurrent= got Mine 'mine', a whole scheme; ...
    """

    name: str


InitLike = Init | str | float | int | tuple[str, Mapping[str, Any]] | Mapping[str, Any] | InitFn


def _checked(name: str, kwargs: Mapping[str, Any], argument: str) -> Init:
    if name not in INITIALIZERS:
        raise UnknownNameError(argument, name, INITIALIZERS)
    reg = INITIALIZERS[name]
    for key in kwargs:
        if key not in reg.params:
            valid = ", ".join(reg.params) or "none"
            hint = nearest(str(key), reg.params)
            raise InitializerError(
                f"{argument}: initializer {name!r} takes no parameter {key!r}; "
                f"its parameters: {valid}" + (f". Did you mean {hint!r}?" if hint else "")
            )
    missing = [k for k, v in reg.params.items() if isinstance(v, _Required) and k not in kwargs]
    if missing:
        raise InitializerError(
            f"{argument}: initializer {name!r} needs {', '.join(repr(m) for m in missing)}, "
            f"e.g. ({name!r}, {{{', '.join(repr(m) + ': ...' for m in missing)}}})"
        )
    for key, value in kwargs.items():
        default = reg.params[key]
        if _is_number(default) or default is NUMBER:
            if not _is_number(value):
                raise InitializerError(
                    f"{argument}: parameter {key!r} of {name!r} must be a number, got {value!r}"
                )
            if not math.isfinite(value):
                raise InitializerError(
                    f"{argument}: parameter {key!r} of {name!r} must be finite, got {value!r}"
                )
    return Init(name, dict(kwargs), origin=argument)


def as_init(value: object, argument: str = "initializer") -> Init:
    """Coerce any accepted initializer form to a validated :class:`Init`.

    ``argument`` names where the value came from, for error messages.

    >>> as_init("orthogonal", "recurrent")
    Init('orthogonal')
    >>> as_init("orthogonl", "recurrent")
    Traceback (most recent call last):
    ...
    rnninit.errors.UnknownNameError: recurrent='orthogonl' is not known; valid: ...
    """
    if isinstance(value, Init):
        if value.fn is not None:
            return value
        return _checked(value.name, value.kwargs, argument)
    if _is_number(value):
        return Init("constant", {"value": float(value)}, origin=argument)  # type: ignore[arg-type]
    if isinstance(value, str):
        return _checked(value, {}, argument)
    if isinstance(value, tuple | list) and len(value) == 2 and isinstance(value[0], str):
        if not isinstance(value[1], Mapping):
            raise InitializerError(
                f"{argument}: a (name, kwargs) pair needs a dict of kwargs, got {value[1]!r}"
            )
        return _checked(value[0], value[1], argument)
    if isinstance(value, Mapping):
        data = dict(value)
        name = data.pop("name", None)
        if not isinstance(name, str):
            raise InitializerError(f"{argument}: a dict initializer needs a 'name', got {value!r}")
        kwargs = data.pop("kwargs", None)
        if kwargs is not None:
            if data or not isinstance(kwargs, Mapping):
                raise InitializerError(f"{argument}: malformed initializer dict {value!r}")
            data = dict(kwargs)
        return _checked(name, data, argument)
    if isinstance(value, WholeScheme):
        raise InitializerError(
            f"{argument}= got {type(value).__name__} {value.name!r}, a whole scheme; give an "
            "initializer here, and the recipe as the scheme: init_(module, recipe)"
        )
    if callable(value):
        return Init("callable", {}, fn=value, origin=argument)
    raise InitializerError(
        f"{argument}={value!r} ({type(value).__name__}) is not an initializer; give a name "
        f"(e.g. 'orthogonal'), a number, a (name, kwargs) pair, a dict or a callable"
    )


def _call_callable(fn: InitFn, target: torch.Tensor, generator: torch.Generator | None) -> None:
    try:
        accepts_gen = "generator" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepts_gen = False
    out = fn(target, generator=generator) if accepts_gen else fn(target)
    if isinstance(out, torch.Tensor) and out is not target:
        if out.shape != target.shape:
            raise InitializerError(
                f"callable initializer returned shape {tuple(out.shape)} for a target of "
                f"shape {tuple(target.shape)}"
            )
        target.copy_(out)


def call_init(
    spec: Init,
    target: torch.Tensor,
    *,
    generator: torch.Generator | None,
    context: Mapping[str, Any],
) -> None:
    """Fill ``target`` (a view into a Parameter, or a state tensor) according to ``spec``.

    In place, under ``torch.no_grad()``. ``context`` supplies the values a registered
    initializer declares (``hidden_size``, ``fans``); a callable is given ``generator=`` if
    its signature accepts it.

    >>> t = torch.empty(2, 3)
    >>> call_init(Init("constant", {"value": 0.5}), t, generator=None, context={})
    >>> t.tolist()
    [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    """
    with torch.no_grad():
        if spec.fn is not None:
            _call_callable(spec.fn, target, generator)
            return
        INITIALIZERS[spec.name].call(target, spec.kwargs, generator=generator, context=context)


def dry_run(spec: Init, shape: tuple[int, ...], context: Mapping[str, Any]) -> None:
    """Run a registered initializer on a ``meta`` tensor of ``shape``: every check the real
    call makes (shape, parameter ranges) runs, nothing is drawn or written, no RNG is touched.
    Callables are skipped (they are guarded by a backup instead).

    >>> dry_run(Init("orthogonal"), (4, 3), {})
    >>> dry_run(Init("uniform", {"low": 1.0, "high": 0.0}), (4,), {})
    Traceback (most recent call last):
    ...
    rnninit.errors.InitializerError: uniform needs low <= high, got low=1.0, high=0.0
    """
    reg = spec.registered
    if reg is not None:
        reg.call(torch.empty(shape, device="meta"), spec.kwargs, generator=None, context=context)
