"""The override keywords of :func:`rnninit.init_`, defined once.

:class:`Overrides` is the one definition of the keywords a user may add to any scheme. It types
``init_(**overrides)``, ``recipe(name, **overrides)`` and :meth:`Recipe.with_overrides`, and
:data:`OVERRIDE_KEYS` (its keys) is what those functions accept; :class:`Explicit` derives from
an :class:`Overrides` the facts that :func:`~rnninit.schemes._validation.check_selection`
checks against the selected layers (a named gate must exist, a bias needs ``bias=True`` layers,
``forget_bias`` needs a keep gate). Gate names and row order: see :mod:`rnninit.layouts`.

>>> sorted(OVERRIDE_KEYS)[:4]
['bias', 'bias_hn', 'forget_bias', 'gates']
>>> Explicit.of({"gates": {"f": {"bias": 1.0}}})
Explicit(gates=('f',), bias=True, keep_bias=False, layers=())
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from typing_extensions import TypedDict

from ..initializers._registry import InitLike
from ..layouts._declaration import RAW_BIAS_KINDS, WEIGHT_KINDS

__all__ = [
    "GATE_KINDS",
    "OVERRIDE_KEYS",
    "RAW_BIAS_KINDS",
    "RECIPE_KINDS",
    "WEIGHT_KINDS",
    "WHOLE_KINDS",
    "Explicit",
    "Overrides",
    "split_overrides",
]


class Overrides(TypedDict, total=False):
    """The override keywords (all optional; ``None`` means "not given").

    An initializer (``InitLike``) is a registered name, a number, ``(name, kwargs)``, a dict or
    a callable on a tensor (see :mod:`rnninit.initializers`). Precedence: ``gates`` > ``layers`` >
    the scheme. Source: this library (the keywords mirror Keras' ``kernel_initializer``,
    ``recurrent_initializer``, ``bias_initializer``, ``unit_forget_bias``).

    >>> o: Overrides = {"recurrent": "identity", "forget_bias": 1.0}
    >>> sorted(o)
    ['forget_bias', 'recurrent']
    """

    input: InitLike
    """Initializer of ``weight_ih``, applied per gate block."""
    recurrent: InitLike
    """Initializer of ``weight_hh``, applied per gate block."""
    projection: InitLike
    """Initializer of ``weight_hr`` (LSTM with ``proj_size``), the whole matrix."""
    bias: InitLike
    """The effective gate bias ``b_ih + b_hh`` of every gate (written into ``b_ih``,
    ``b_hh`` zeroed); replaces a scheme's raw ``bias_ih``/``bias_hh``."""
    bias_hn: InitLike
    """GRU's ``b_hn``, inside ``r * (W_hn h + b_hn)`` (default 0 with an effective bias)."""
    gates: Mapping[str, Mapping[str, InitLike]]
    """Per-gate overrides, ``{"f": {"bias": 1.0, "recurrent": "orthogonal"}}``."""
    forget_bias: InitLike
    """Shortcut for the effective bias of the keep gate (LSTM ``f``, GRU ``z``)."""
    whole: Sequence[str]
    """Matrix kinds drawn over the whole stacked ``(G*H, ...)`` matrix, not per block."""
    layers: Mapping[int, Mapping[str, InitLike]]
    """Per-layer overrides by layer index, ``{1: {"recurrent": "identity"}}``."""


#: The override keywords, in definition order (the keys of :class:`Overrides`).
OVERRIDE_KEYS: tuple[str, ...] = tuple(Overrides.__annotations__)

#: The effective gate bias ``b_ih + b_hh`` and GRU's ``b_hn`` (see :mod:`rnninit.schemes`); the
#: weight and raw bias kinds are the parameter kinds of :mod:`rnninit.layouts` (defined there).
EFFECTIVE_BIAS_KINDS: tuple[str, ...] = ("bias", "bias_hn")
#: Every kind a recipe, a ``layers=`` entry or (but ``projection``) a ``gates=`` entry may set.
RECIPE_KINDS: tuple[str, ...] = (*WEIGHT_KINDS, *EFFECTIVE_BIAS_KINDS, *RAW_BIAS_KINDS)
#: The kinds a gate has (``weight_hr`` has no gates).
GATE_KINDS: tuple[str, ...] = tuple(k for k in RECIPE_KINDS if k != "projection")
#: The kinds that can be drawn over a whole stacked parameter (``whole=``).
WHOLE_KINDS: tuple[str, ...] = (*WEIGHT_KINDS, *RAW_BIAS_KINDS)
_BIAS_KEYS = (*EFFECTIVE_BIAS_KINDS, *RAW_BIAS_KINDS)


def split_overrides(kwargs: Mapping[str, Any]) -> tuple[Overrides, dict[str, Any]]:
    """Split keywords into the given (non-``None``) overrides and everything else.

    >>> split_overrides({"bias": 0.0, "input": None, "max_timescale": 9})
    ({'bias': 0.0}, {'max_timescale': 9})
    """
    given: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in OVERRIDE_KEYS:
            if value is not None:
                given[key] = value
        else:
            rest[key] = value
    return Overrides(**given), rest  # type: ignore[typeddict-item]


@dataclass(frozen=True)
class Explicit:
    """What the user asked for explicitly, checked against the selected layers.

    ``gates``: gate names given in ``gates=`` (each must exist in some selected layer);
    ``layers``: layer indices given in ``layers=`` (each must exist in some selected layer);
    ``bias``: a bias was given (``bias``, ``forget_bias`` or a bias kind in ``gates``/``layers``;
    some selected layer must have ``bias=True``); ``keep_bias``: ``forget_bias`` was given
    (some selected layer must have a keep gate).

    >>> Explicit.of({"forget_bias": 1.0})
    Explicit(gates=(), bias=True, keep_bias=True, layers=())
    """

    gates: tuple[str, ...] = ()
    bias: bool = False
    keep_bias: bool = False
    layers: tuple[int, ...] = ()

    @classmethod
    def of(cls, overrides: Overrides) -> Explicit:
        """Derive the facts from the given overrides."""
        gates = overrides.get("gates") or {}
        layers = overrides.get("layers") or {}
        gates = gates if isinstance(gates, Mapping) else {}
        layers = layers if isinstance(layers, Mapping) else {}
        nested = [*gates.values(), *layers.values()]
        bias = (
            overrides.get("bias") is not None
            or overrides.get("bias_hn") is not None
            or overrides.get("forget_bias") is not None
            or any(isinstance(k, Mapping) and any(b in k for b in _BIAS_KEYS) for k in nested)
        )
        indices = tuple(k for k in map(_index, layers) if k is not None)
        return cls(tuple(gates), bias, overrides.get("forget_bias") is not None, indices)


def _index(key: object) -> int | None:
    """A ``layers=`` key as a layer index (``None`` if it is none: the recipe rejects it)."""
    try:
        return int(key)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None
