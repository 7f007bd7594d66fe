"""Scheme specs of the benchmark: a scheme name with overrides, as one string.

``NAME[+KEY=VALUE]...`` so that any cell of an ablation can be re-run from the command line::

    chrono+input=lecun_normal                    # chrono, LeCun-normal input blocks
    flax+forget_bias=1                           # flax with an effective forget bias of 1
    chrono+recurrent=orthogonal+whole=recurrent  # orthogonal over the whole stacked matrix
    chrono+recurrent=orthogonal:gain=1.2         # an initializer with parameters
    auto+target=0.3                              # the data-calibrated scheme, another target
    auto+timescales=uniform                      # auto with chrono's uniform timescales
    auto+targets=every_step                      # auto for a target at every step (LM)

``KEY`` is an override keyword of :func:`rnninit.init_` (``input``, ``recurrent``,
``projection``, ``bias``, ``bias_hn``, ``forget_bias``, ``whole``) or, for ``auto``, one of
``target``, ``gain``, ``horizon``, ``reach``, ``per_feature``, ``targets`` (``end`` or
``every_step``), ``timescales`` (``log`` or
``uniform``).
``VALUE`` is a number, an initializer name, ``name:k=v:k=v`` for an initializer with
parameters, or ``a|b`` for the list ``whole``. The initializer ``chrono``
takes the task's ``T_max`` by itself (``forget_bias=chrono``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnninit.auto import TARGETS, TIMESCALES
from rnninit.errors import RnnInitError, SchemeError, UnknownNameError
from rnninit.schemes import AUTO, AUTO_PARAMS, OVERRIDE_KEYS, recipe

__all__ = ["SPEC_AUTO_KEYS", "SPEC_OVERRIDE_KEYS", "SchemeSpec", "parse_scheme"]

#: The override keywords a spec string can hold: every one but the nested dicts.
SPEC_OVERRIDE_KEYS = tuple(k for k in OVERRIDE_KEYS if k not in ("gates", "layers"))
#: The ``auto`` keywords a spec string can hold: the benchmark itself gives the data (and so
#: the lengths and batches).
SPEC_AUTO_KEYS = tuple(
    k for k in AUTO_PARAMS if k not in ("data", "lengths", "max_batches", "inputs")
)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _value(text: str) -> Any:
    """A number, an initializer name, or ``name:k=v:k=v`` as ``(name, {k: v})``."""
    number = _number(text)
    if number is not None:
        return number
    name, *pairs = text.split(":")
    if not pairs:
        return name
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise SchemeError(f"initializer parameters look like name:key=value, got {text!r}")
        num = _number(raw)
        kwargs[key] = raw if num is None else num
    return (name, kwargs)


@dataclass(frozen=True)
class SchemeSpec:
    """A parsed scheme spec: the base scheme and its overrides (see the module docstring).

    >>> spec = parse_scheme("chrono+input=lecun_normal", ("chrono",))
    >>> spec.base, spec.kwargs(t_max=200.0)
    ('chrono', {'input': 'lecun_normal', 'max_timescale': 200.0})
    """

    text: str
    base: str
    overrides: tuple[tuple[str, Any], ...]

    @property
    def is_auto(self) -> bool:
        """True for the data-calibrated ``auto`` scheme."""
        return self.base == AUTO

    def kwargs(self, t_max: float) -> dict[str, Any]:
        """Keyword arguments for :func:`rnninit.init_` (or ``auto_init_``) on a task whose
        chrono ``T_max`` is ``t_max``."""
        out: dict[str, Any] = {}
        for key, value in self.overrides:
            if value == "chrono":
                value = ("chrono", {"max_timescale": t_max})
            out[key] = value
        if self.base == "chrono":
            out["max_timescale"] = t_max
        return out


def parse_scheme(text: str, valid: tuple[str, ...]) -> SchemeSpec:
    """Parse and validate ``text`` against the base schemes ``valid`` (and ``auto``).

    Raises :class:`~rnninit.errors.UnknownNameError` for an unknown scheme or keyword and
    :class:`~rnninit.errors.SchemeError` for a malformed or inapplicable override.

    >>> parse_scheme("flax+forget_bias=1+recurrent=orthogonal:gain=0.9", ("flax",)).overrides
    (('forget_bias', 1.0), ('recurrent', ('orthogonal', {'gain': 0.9})))
    >>> parse_scheme("auto+target=0.3", ("flax",)).is_auto
    True
    """
    if not isinstance(text, str) or not text:
        raise SchemeError(f"a scheme spec is a non-empty string, got {text!r}")
    base, *items = text.split("+")
    if base not in (*valid, AUTO):
        raise UnknownNameError("scheme", base, (*valid, AUTO))
    keys = SPEC_AUTO_KEYS if base == AUTO else SPEC_OVERRIDE_KEYS
    overrides: list[tuple[str, Any]] = []
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise SchemeError(f"scheme spec items look like key=value, got {item!r} in {text!r}")
        if key not in keys:
            raise UnknownNameError(f"keyword in scheme spec {text!r}", key, keys)
        if any(k == key for k, _ in overrides):
            raise SchemeError(f"{key!r} is given twice in scheme spec {text!r}")
        value: Any = tuple(raw.split("|")) if key == "whole" else _value(raw)
        if key in ("timescales", "targets"):
            names = TIMESCALES if key == "timescales" else TARGETS
            if raw not in names:
                raise UnknownNameError(key, raw, names)
            value = raw
        elif base == AUTO and not isinstance(value, float):
            raise SchemeError(f"auto's {key}= takes a number, got {raw!r} in {text!r}")
        overrides.append((key, value))
    spec = SchemeSpec(text, base, tuple(overrides))
    if base != AUTO:  # build the recipe once, so that a bad override fails here, not in a worker
        try:
            recipe(base, **spec.kwargs(t_max=100.0))
        except RnnInitError as exc:
            raise SchemeError(f"scheme spec {text!r}: {exc}") from None
    return spec
