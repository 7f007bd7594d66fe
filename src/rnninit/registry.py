"""The registry of named initializers and the serializable :class:`Init` specification.

An initializer can be given as (Keras-style, so a recipe can live in a config file):

* a registered name: ``"orthogonal"``, ``"xavier_uniform"``, ``"zeros"``, ...;
* a number: a constant (``1.0`` -> ``Init("constant", {"value": 1.0})``);
* a pair ``(name, kwargs)``: ``("normal", {"std": 0.02})``;
* a dict: ``{"name": "normal", "std": 0.02}`` (what :meth:`Init.to_dict` writes);
* a callable on a tensor: ``fn(tensor)`` fills it in place (or returns the values); it is given
  ``generator=`` too if its signature accepts it. Callables cannot be serialized.

:func:`register` adds a name. :data:`INITIALIZERS` lists them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from . import initializers as I
from .errors import InitializerError, UnknownNameError

__all__ = ["INITIALIZERS", "Init", "InitLike", "Registered", "as_init", "register"]

InitFn = Callable[..., Any]


@dataclass(frozen=True)
class Registered:
    """A named initializer: the function, its keyword parameters and what it needs.

    ``params`` maps each accepted keyword to its default (``REQUIRED`` if it has none).
    ``context`` names values the applier supplies from the module (e.g. ``hidden_size``).
    ``needs_matrix`` / ``needs_square`` are checked on the target shape before anything is
    written.
    """

    name: str
    fn: InitFn
    params: Mapping[str, Any]
    context: tuple[str, ...] = ()
    random: bool = True
    needs_matrix: bool = False
    needs_square: bool = False
    doc: str = ""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

INITIALIZERS: dict[str, Registered] = {}


def register(
    name: str,
    fn: InitFn,
    params: Mapping[str, Any] | None = None,
    *,
    context: tuple[str, ...] = (),
    random: bool = True,
    needs_matrix: bool = False,
    needs_square: bool = False,
    doc: str = "",
) -> None:
    """Register ``fn(tensor, *, generator=None, **params)`` under ``name``.

    ``fn`` must fill ``tensor`` in place. ``params`` gives the accepted keywords with defaults
    (use :data:`REQUIRED` for mandatory ones).
    """
    INITIALIZERS[name] = Registered(
        name, fn, dict(params or {}), context, random, needs_matrix, needs_square, doc
    )


def _gen(fn: Callable[..., torch.Tensor]) -> InitFn:
    def call(tensor: torch.Tensor, *, generator: torch.Generator | None = None, **kw: Any) -> Any:
        return fn(tensor, generator=generator, **kw)

    return call


def _nogen(fn: Callable[..., torch.Tensor]) -> InitFn:
    def call(tensor: torch.Tensor, *, generator: torch.Generator | None = None, **kw: Any) -> Any:
        return fn(tensor, **kw)

    return call


register("zeros", _nogen(I.zeros_), random=False, doc="0")
register("ones", _nogen(lambda t: I.constant_(t, 1.0)), random=False, doc="1")
register("constant", _nogen(I.constant_), {"value": REQUIRED}, random=False, doc="value")
register("uniform", _gen(I.uniform_), {"low": REQUIRED, "high": REQUIRED}, doc="U(low, high)")
register("normal", _gen(I.normal_), {"mean": 0.0, "std": REQUIRED}, doc="N(mean, std^2)")
register(
    "truncated_normal",
    _gen(I.truncated_normal_),
    {"mean": 0.0, "std": REQUIRED, "a": -2.0, "b": 2.0},
    doc="N(mean, std^2) truncated to [mean + a std, mean + b std]",
)
register(
    "xavier_uniform",
    _gen(I.xavier_uniform_),
    {"gain": 1.0},
    needs_matrix=True,
    doc="U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)",
)
register(
    "xavier_normal",
    _gen(I.xavier_normal_),
    {"gain": 1.0},
    needs_matrix=True,
    doc="N(0, 2 gain^2 / (fan_in + fan_out)) (Glorot & Bengio 2010)",
)
INITIALIZERS["glorot_uniform"] = INITIALIZERS["xavier_uniform"]
INITIALIZERS["glorot_normal"] = INITIALIZERS["xavier_normal"]
register(
    "kaiming_uniform",
    _gen(I.kaiming_uniform_),
    {"nonlinearity": "relu", "mode": "fan_in"},
    needs_matrix=True,
    doc="U(-a, a), a = gain sqrt(3 / fan) (He et al. 2015)",
)
register(
    "kaiming_normal",
    _gen(I.kaiming_normal_),
    {"nonlinearity": "relu", "mode": "fan_in"},
    needs_matrix=True,
    doc="N(0, gain^2 / fan) (He et al. 2015)",
)
register(
    "lecun_normal",
    _gen(I.lecun_normal_),
    needs_matrix=True,
    doc="truncated N with variance 1/fan_in (Flax/Keras lecun_normal)",
)
register(
    "fan_in_truncated_normal",
    _gen(I.fan_in_truncated_normal_),
    {"scale": 1.0},
    needs_matrix=True,
    doc="TruncatedNormal(stddev = scale / sqrt(fan_in)) (Sonnet 2)",
)
register(
    "orthogonal",
    _gen(I.orthogonal_),
    {"gain": 1.0},
    needs_matrix=True,
    doc="(semi-)orthogonal, Haar via QR (Saxe et al. 2014)",
)
register(
    "identity",
    _nogen(I.identity_),
    {"gain": 1.0},
    random=False,
    needs_matrix=True,
    needs_square=True,
    doc="gain * I (IRNN, Le et al. 2015)",
)
register(
    "pytorch_default",
    _gen(I.pytorch_default_),
    context=("hidden_size",),
    doc="U(-1/sqrt(H), 1/sqrt(H)) (torch.nn.RNNBase.reset_parameters)",
)
register(
    "chrono",
    _gen(I.chrono_),
    {"max_timescale": REQUIRED},
    doc="log U(1, T_max - 1) (Tallec & Ollivier 2018)",
)
register(
    "uniform_gate",
    _gen(I.uniform_gate_),
    doc="logit U(1/d, 1 - 1/d) (Gu et al. 2020)",
)
register(
    "negative_of",
    _nogen(lambda t, gate: t),
    {"gate": REQUIRED},
    random=False,
    doc="minus the effective bias of another gate of the same layer (chrono's b_i = -b_f)",
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Init:
    """A serializable initializer specification: a registered ``name`` and its ``kwargs``.

    ``Init("normal", {"std": 0.02})``. For a user callable, ``name == "callable"`` and
    :attr:`fn` holds it (such an ``Init`` cannot be written by :meth:`to_dict`).
    """

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    fn: InitFn | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., **kwargs}``: plain data for a config file."""
        if self.fn is not None:
            raise TypeError(
                f"initializer {getattr(self.fn, '__name__', self.fn)!r} is a Python callable and "
                "cannot be serialized; register it with rnninit.register(name, fn) and use the name"
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


InitLike = Init | str | float | int | tuple[str, Mapping[str, Any]] | Mapping[str, Any] | InitFn


def _checked(name: str, kwargs: Mapping[str, Any], argument: str) -> Init:
    if name not in INITIALIZERS:
        raise UnknownNameError(argument, name, INITIALIZERS)
    reg = INITIALIZERS[name]
    for key in kwargs:
        if key not in reg.params:
            valid = ", ".join(reg.params) or "none"
            raise InitializerError(
                f"{argument}: initializer {name!r} takes no parameter {key!r}; "
                f"its parameters: {valid}"
            )
    missing = [k for k, v in reg.params.items() if v is REQUIRED and k not in kwargs]
    if missing:
        raise InitializerError(
            f"{argument}: initializer {name!r} needs {', '.join(repr(m) for m in missing)}, "
            f"e.g. ({name!r}, {{{', '.join(repr(m) + ': ...' for m in missing)}}})"
        )
    for key, value in kwargs.items():
        default = reg.params[key]
        if _is_number(default) and not _is_number(value):
            raise InitializerError(
                f"{argument}: parameter {key!r} of {name!r} must be a number, got {value!r}"
            )
    return Init(name, dict(kwargs))


def as_init(value: object, argument: str = "initializer") -> Init:
    """Coerce any accepted initializer form to a validated :class:`Init`.

    ``argument`` names where the value came from, for error messages.
    """
    if isinstance(value, Init):
        return value if value.fn is not None else _checked(value.name, value.kwargs, argument)
    if _is_number(value):
        return Init("constant", {"value": float(value)})  # type: ignore[arg-type]
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
    if callable(value):
        return Init("callable", {}, fn=value)
    raise InitializerError(
        f"{argument}={value!r} ({type(value).__name__}) is not an initializer; give a name "
        f"(e.g. 'orthogonal'), a number, a (name, kwargs) pair, a dict or a callable"
    )


def call_init(
    spec: Init,
    target: torch.Tensor,
    *,
    generator: torch.Generator | None,
    context: Mapping[str, Any],
) -> None:
    """Fill ``target`` (a view into a Parameter) according to ``spec``, in place."""
    with torch.no_grad():
        if spec.fn is not None:
            fn = spec.fn
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
            return
        reg = INITIALIZERS[spec.name]
        kwargs = {k: v for k, v in reg.params.items() if v is not REQUIRED}
        kwargs.update(spec.kwargs)
        for key in reg.context:
            kwargs[key] = context[key]
        reg.fn(target, generator=generator, **kwargs)
