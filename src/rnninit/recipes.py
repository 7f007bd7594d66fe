"""Named initialization schemes, as plain data.

A :class:`Recipe` says, for each matrix kind, which initializer to use, and per gate what to
override. Nothing is hidden in code branches: ``recipe("chrono", max_timescale=100).to_dict()``
shows every choice, and :meth:`Recipe.from_dict` reads it back from a config file.

Matrix kinds:

* ``input`` (``weight_ih``), ``recurrent`` (``weight_hh``), ``projection`` (``weight_hr``);
* ``bias``: the **effective** gate bias ``b_ih + b_hh``. It is written into ``b_ih`` and the
  matching ``b_hh`` rows are zeroed, so ``bias=1.0`` really means a gate pre-activation offset of 1
  (a forget bias of 1 written into both PyTorch biases is 2: ``sigmoid(2) = 0.88``, not 0.73).
  GRU's ``b_hn`` sits inside ``r * (W_hn h + b_hn)`` and cannot be merged with ``b_in``: it is
  set by ``bias_hn`` (default zeros) and kept apart;
* ``bias_ih`` / ``bias_hh``: raw per-parameter biases, used where no effective ``bias`` is set
  (PyTorch's default draws both) and, at gate level, written after the effective bias.

``whole`` lists the kinds initialized over the whole stacked ``(G*H, ...)`` matrix (Keras,
PyTorch, folk code); all other kinds are initialized gate block by gate block. ``gates`` maps a
gate name to per-kind overrides, applied per block after any whole-matrix draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import SchemeError, UnknownNameError
from .layouts import GATES
from .registry import Init, as_init

__all__ = ["RECIPE_KINDS", "Recipe"]

#: Keys a recipe (and a per-gate override) may set.
RECIPE_KINDS: tuple[str, ...] = (
    "input",
    "recurrent",
    "projection",
    "bias",
    "bias_hn",
    "bias_ih",
    "bias_hh",
)
_GATE_KINDS = ("input", "recurrent", "bias", "bias_hn", "bias_ih", "bias_hh")
_WHOLE_KINDS = ("input", "recurrent", "projection", "bias_ih", "bias_hh")
_ALL_GATES = tuple(sorted({g for names in GATES.values() for g in names}))
_FAMILIES = ("LSTM", "GRU", "RNN")


@dataclass(frozen=True)
class Recipe:
    """An initialization scheme as data. See the module docstring for the kinds.

    ``None`` for a kind means "leave it as it is". ``families`` lists the layer families the
    scheme can apply to (others are an error); ``designed_for`` the ones it was published for
    (others get a warning), as ``"LSTM"``, ``"GRU"``, ``"RNN"``, or ``"RNN:relu"``.
    ``params`` records the scheme parameters it was built with; ``source`` cites the origin.
    """

    name: str
    input: Init | None = None
    recurrent: Init | None = None
    projection: Init | None = None
    bias: Init | None = None
    bias_hn: Init | None = None
    bias_ih: Init | None = None
    bias_hh: Init | None = None
    whole: tuple[str, ...] = ()
    gates: Mapping[str, Mapping[str, Init]] = field(default_factory=dict)
    layers: Mapping[int, Mapping[str, Init]] = field(default_factory=dict)
    families: tuple[str, ...] = _FAMILIES
    designed_for: tuple[str, ...] = _FAMILIES
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def kind(self, kind: str) -> Init | None:
        """The recipe-level initializer of a matrix kind."""
        value: Init | None = getattr(self, kind)
        return value

    def at(self, kind: str, layer: int) -> Init | None:
        """The initializer of a matrix kind in ``layer``: a ``layers`` override, else the
        recipe-level one."""
        return self.layers.get(layer, {}).get(kind) or self.kind(kind)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that :meth:`from_dict` reads back to an equal recipe."""
        out: dict[str, Any] = {"name": self.name}
        for k in RECIPE_KINDS:
            spec = self.kind(k)
            if spec is not None:
                out[k] = spec.to_dict()
        out["whole"] = list(self.whole)
        out["gates"] = {
            g: {k: s.to_dict() for k, s in kinds.items()} for g, kinds in self.gates.items()
        }
        out["families"] = list(self.families)
        out["designed_for"] = list(self.designed_for)
        out["params"] = dict(self.params)
        out["source"] = self.source
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """Build (and validate) a recipe from :meth:`to_dict` output."""
        if not isinstance(data, Mapping):
            raise SchemeError(f"a recipe dict is needed, got {type(data).__name__}")
        known = {
            *RECIPE_KINDS,
            "name",
            "whole",
            "gates",
            "families",
            "designed_for",
            "params",
            "source",
        }
        for key in data:
            if key not in known:
                raise UnknownNameError("recipe key", key, known)
        name = data.get("name", "custom")
        kinds = {k: as_init(data[k], f"{k}") for k in RECIPE_KINDS if data.get(k) is not None}
        r = cls(
            name=str(name),
            whole=tuple(data.get("whole", ())),
            gates=_gates(data.get("gates", {}) or {}),
            layers=_layers(data.get("layers", {}) or {}),
            families=tuple(data.get("families", _FAMILIES)),
            designed_for=tuple(data.get("designed_for", _FAMILIES)),
            params=dict(data.get("params", {}) or {}),
            source=str(data.get("source", "")),
            **kinds,
        )
        r.validate()
        return r

    def validate(self) -> None:
        """Check names: kinds, gates, whole kinds, families. Raises on the first problem."""
        for w in self.whole:
            if w not in _WHOLE_KINDS:
                raise UnknownNameError("whole", w, _WHOLE_KINDS)
            if self.kind(w) is None:
                raise SchemeError(f"whole={w!r} names a kind the recipe does not set")
        for g, kinds in self.gates.items():
            if g not in _ALL_GATES:
                raise UnknownNameError("gates", g, _ALL_GATES)
            for k in kinds:
                if k not in _GATE_KINDS:
                    raise UnknownNameError(f"gates[{g!r}]", k, _GATE_KINDS)
        for fam in (*self.families, *(d.split(":")[0] for d in self.designed_for)):
            if fam not in _FAMILIES:
                raise UnknownNameError("families", fam, _FAMILIES)

    def with_overrides(
        self,
        *,
        input: object = None,
        recurrent: object = None,
        projection: object = None,
        bias: object = None,
        bias_hn: object = None,
        gates: Mapping[str, Mapping[str, object]] | None = None,
        forget_bias: object = None,
        whole: tuple[str, ...] | list[str] | None = None,
        layers: Mapping[int, Mapping[str, object]] | None = None,
    ) -> Recipe:
        """A copy with user overrides (see :func:`rnninit.init_`).

        A kind given here is applied per gate block (it leaves ``whole``) unless ``whole`` says
        otherwise; ``bias`` replaces raw ``bias_ih``/``bias_hh``; ``gates`` merge per gate and
        kind; ``forget_bias`` sets the effective bias of LSTM ``f`` and GRU ``z``; ``layers``
        merge per layer index and kind (``{1: {"recurrent": "identity"}}``).
        """
        changes: dict[str, Any] = {}
        new_whole = list(self.whole)
        for k, v in (("input", input), ("recurrent", recurrent), ("projection", projection)):
            if v is not None:
                changes[k] = as_init(v, k)
                if k in new_whole:
                    new_whole.remove(k)
        if bias is not None:
            changes["bias"] = as_init(bias, "bias")
            changes["bias_ih"] = changes["bias_hh"] = None
            new_whole = [w for w in new_whole if w not in ("bias_ih", "bias_hh")]
        if bias_hn is not None:
            changes["bias_hn"] = as_init(bias_hn, "bias_hn")
        merged: dict[str, dict[str, Init]] = {g: dict(k) for g, k in self.gates.items()}
        if gates is not None:
            if not isinstance(gates, Mapping):
                raise SchemeError(
                    f"gates= takes a dict like {{'f': {{'bias': 1.0}}}}, got {type(gates).__name__}"
                )
            for g, kinds in _gates(gates).items():
                merged.setdefault(g, {}).update(kinds)
        if forget_bias is not None:
            fb = as_init(forget_bias, "forget_bias")
            for g in ("f", "z"):
                merged.setdefault(g, {})["bias"] = fb
        changes["gates"] = merged
        if layers is not None:
            per_layer: dict[int, dict[str, Init]] = {n: dict(k) for n, k in self.layers.items()}
            for n, kinds in _layers(layers).items():
                per_layer.setdefault(n, {}).update(kinds)
            changes["layers"] = per_layer
        changes["whole"] = tuple(whole) if whole is not None else tuple(new_whole)
        out = replace(self, **changes)
        out.validate()
        return out


def _kind_map(kinds: object, allowed: tuple[str, ...], label: str, example: str) -> dict[str, Init]:
    """Validate one ``{matrix kind: initializer}`` mapping of a gate or layer override."""
    if not isinstance(kinds, Mapping):
        raise SchemeError(
            f"{label} takes a dict of matrix kind -> initializer, e.g. {example}, got {kinds!r}"
        )
    out: dict[str, Init] = {}
    for k, v in kinds.items():
        if k not in allowed:
            raise UnknownNameError(label, k, allowed)
        out[k] = as_init(v, f"{label}[{k!r}]")
    return out


def _gates(data: Mapping[str, Any]) -> dict[str, dict[str, Init]]:
    out: dict[str, dict[str, Init]] = {}
    for g, kinds in data.items():
        if g not in _ALL_GATES:
            raise UnknownNameError("gates", g, _ALL_GATES)
        out[g] = _kind_map(kinds, _GATE_KINDS, f"gates[{g!r}]", "{'bias': 1.0}")
    return out


def _layers(data: Mapping[Any, Any]) -> dict[int, dict[str, Init]]:
    if not isinstance(data, Mapping):
        raise SchemeError(
            f"layers= takes a dict like {{1: {{'recurrent': 'identity'}}}}, got {data!r}"
        )
    out: dict[int, dict[str, Init]] = {}
    for n, kinds in data.items():
        try:
            index = int(n)
        except (TypeError, ValueError):
            raise SchemeError(f"layers= keys are layer indices (0, 1, ...), got {n!r}") from None
        if index < 0:
            raise SchemeError(f"layers= keys are layer indices (0, 1, ...), got {n!r}")
        out[index] = _kind_map(kinds, RECIPE_KINDS, f"layers[{index}]", "{'recurrent': 'identity'}")
    return out
