"""A scheme as data: the :class:`Recipe` (the named schemes that build one: :mod:`rnninit.schemes`).

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
gate name to per-kind overrides, applied per block after any whole-matrix draw; ``layers`` maps
a layer index to per-kind overrides; ``tied`` derives a gate's effective bias from another
gate's, after every draw (chrono's ``b_i = -b_f``). Gate names, rows and the equations:
:mod:`rnninit.layouts`.

>>> import json
>>> r = Recipe("mine", recurrent=Init("orthogonal"), bias=Init("zeros"),
...            gates={"f": {"bias": Init("constant", {"value": 1.0})}})
>>> Recipe.from_dict(json.loads(json.dumps(r.to_dict()))) == r
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from torch import nn
from typing_extensions import Unpack

from ..errors import ArgumentTypeError, SchemeError, UnknownNameError
from ..initializers._registry import Init, WholeScheme, as_init
from ..layouts import FAMILIES, GATES, KEEP_GATE, is_recurrent
from ._overrides import (
    GATE_KINDS,
    OVERRIDE_KEYS,
    RAW_BIAS_KINDS,
    RECIPE_KINDS,
    WEIGHT_KINDS,
    WHOLE_KINDS,
    Overrides,
    split_overrides,
)

__all__ = ["Recipe", "install_applier"]

_ALL_GATES = tuple(sorted({g for names in GATES.values() for g in names}))


def parse_tie(text: str) -> tuple[str, float]:
    """``(source gate, sign)`` of a tie: ``"-f"`` is ``("f", -1.0)``, ``"f"`` is ``("f", 1.0)``
    (the one place a tie is read).

    >>> parse_tie("-f"), parse_tie("z")
    (('f', -1.0), ('z', 1.0))
    """
    return (text[1:], -1.0) if text.startswith("-") else (text, 1.0)


#: How a recipe initializes one recurrent module when called (``model.apply(recipe)``). The
#: recipe-application layer above (:mod:`rnninit.schemes`) installs it with
#: :func:`install_applier` when it is imported, which ``import rnninit`` always does: this
#: module never imports the layers that use it.
_APPLIER: list[Callable[[nn.Module, Recipe], object]] = []


def install_applier(fn: Callable[[nn.Module, Recipe], object]) -> None:
    """Install the function :meth:`Recipe.__call__` applies a recipe with (one, replaced).

    >>> install_applier(_APPLIER[0])  # what rnninit.schemes does on import
    """
    _APPLIER[:] = [fn]


@dataclass(frozen=True)
class Recipe(WholeScheme):
    """An initialization scheme as data. See the module docstring for the kinds.

    ``None`` for a kind means "leave it as it is". ``gates`` maps a gate to per-kind overrides;
    ``layers`` a layer index to per-kind overrides (precedence: ``gates`` > ``layers`` > the
    recipe-level kind). ``tied`` derives a gate's effective bias from another gate of the same
    layer, ``{"i": {"bias": "-f"}}`` meaning ``b_i = -(b_ih[f] + b_hh[f])`` (chrono, Tallec &
    Ollivier 2018), written after every draw. ``families`` lists the layer families the
    scheme can apply to (others are an error); ``designed_for`` the ones it was published for
    (others get a warning), as ``"LSTM"``, ``"GRU"``, ``"RNN"``, or ``"RNN:relu"``.
    ``params`` records the scheme parameters it was built with; ``source`` cites the origin.
    Gate names and rows: see :mod:`rnninit.layouts`.

    >>> r = Recipe("mine", recurrent=Init("orthogonal"), tied={"i": {"bias": "-f"}})
    >>> Recipe.from_dict(r.to_dict()) == r
    True
    >>> r.to_dict()["tied"]
    {'i': {'bias': '-f'}}
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
    tied: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    families: tuple[str, ...] = FAMILIES
    designed_for: tuple[str, ...] = FAMILIES
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def __call__(self, module: nn.Module) -> None:
        """Initialize ``module`` if it is a recurrent layer, skip it otherwise: the form
        ``model.apply(recipe)`` calls (``nn.Module.apply`` visits every submodule).

        Draws use PyTorch's global RNG (seed it with ``torch.manual_seed``); for a
        ``torch.Generator``, ``include=``/``exclude=`` or a typed error on a model without
        recurrent layers, use :func:`rnninit.init_`. Other errors are those of ``init_``.

        >>> import torch, rnninit
        >>> _ = torch.manual_seed(0)
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GRU(3, 4))
        >>> _ = model.apply(rnninit.recipe("orthogonal", forget_bias=1.0))
        >>> (model[1].bias_ih_l0[4:8] + model[1].bias_hh_l0[4:8]).tolist()  # z: rows H:2H
        [1.0, 1.0, 1.0, 1.0]
        """
        if is_recurrent(module):
            _APPLIER[0](module, self)

    def kind(self, kind: str) -> Init | None:
        """The recipe-level initializer of a matrix kind.

        >>> Recipe("r", bias=Init("zeros")).kind("bias")
        Init('zeros')
        """
        value: Init | None = getattr(self, kind)
        return value

    def at(self, kind: str, layer: int) -> Init | None:
        """The initializer of a matrix kind in ``layer``: a ``layers`` override, else the
        recipe-level one.

        >>> r = Recipe("r", recurrent=Init("orthogonal"), layers={1: {"recurrent": Init("zeros")}})
        >>> r.at("recurrent", 0), r.at("recurrent", 1)
        (Init('orthogonal'), Init('zeros'))
        """
        return self.layers.get(layer, {}).get(kind) or self.kind(kind)

    def tie(self, gate: str, kind: str = "bias") -> tuple[str, float] | None:
        """``(source gate, sign)`` when ``kind`` of ``gate`` is derived, else ``None``.

        >>> Recipe("r", tied={"i": {"bias": "-f"}}).tie("i")
        ('f', -1.0)
        """
        text = self.tied.get(gate, {}).get(kind)
        if text is None:
            return None
        return parse_tie(text)

    def table(self) -> str:
        """What the recipe writes, gate by gate, for each family it applies to (layer 0; the
        per-layer overrides listed below): the one place to read a scheme. ``print(recipe)``
        shows it; ``repr`` shows the fields.

        Columns: ``W_x`` (the gate's block of ``weight_ih``), ``W_h`` (of ``weight_hh``) and the
        effective bias ``b = b_ih + b_hh`` (written into ``b_ih``, ``b_hh`` zeroed); GRU's
        ``n`` has ``b_in`` and ``b_hn`` apart (``b_hn`` sits inside ``r * (...)``). ``(whole)``:
        drawn over the stacked matrix, not per gate; ``-b_f``: derived from that gate after
        every draw; ``kept``: left as it is. The equations: :mod:`rnninit.layouts`.

        >>> print(Recipe("mine", input=Init("lecun_normal"), bias=Init("zeros"),
        ...              gates={"f": {"bias": Init("constant", {"value": 1.0})}},
        ...              families=("LSTM",), designed_for=("LSTM",)).table())
        mine
        LSTM  W_x           W_h   b = b_ih + b_hh
          i   lecun_normal  kept  zeros
          f   lecun_normal  kept  constant(value=1.0)
          g   lecun_normal  kept  zeros
          o   lecun_normal  kept  zeros
        W_hr (projection): kept
        """
        lines = [self.name + (f": {self.source}" if self.source else "")]
        for family in self.families:
            rows = [[family, "W_x", "W_h", "b = b_ih + b_hh"]]
            rows += [
                ["  " + g, self._cell(g, "input"), self._cell(g, "recurrent"), self._bias(g)]
                for g in GATES[family]
            ]
            widths = [max(len(row[c]) for row in rows) for c in range(3)]
            lines += [
                "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
                + "  "
                + row[3]
                for row in rows
            ]
            hn = self._gru_hn()
            if family == "GRU" and hn is not None:  # else b_hn is drawn with the raw b_hh
                lines[-1] = lines[-1] + f"; b_hn {hn}"
        lines.append(f"W_hr (projection): {self._short(self.at('projection', 0))}")
        for n, kinds in sorted(self.layers.items()):
            shown = ", ".join(f"{k}={self._short(v)}" for k, v in kinds.items())
            lines.append(f"layer {n}: {shown}")
        if tuple(self.designed_for) != tuple(self.families):
            lines.append(f"designed for: {', '.join(self.designed_for)}")
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self) -> str:
        return self.table()

    @staticmethod
    def _short(spec: Init | None) -> str:
        if spec is None:
            return "kept"
        if spec.fn is not None:
            return repr(spec)
        args = ", ".join(f"{k}={v!r}" for k, v in spec.kwargs.items())
        return f"{spec.name}({args})" if args else spec.name

    def _cell(self, gate: str, kind: str) -> str:
        spec = self.gates.get(gate, {}).get(kind)
        if spec is not None:
            return self._short(spec)
        base = self.at(kind, 0)
        whole = kind in self.whole and kind not in self.layers.get(0, {})
        return self._short(base) + (" (whole)" if whole and base is not None else "")

    def _bias(self, gate: str) -> str:
        tie = self.tie(gate, "bias")
        if tie is not None:
            return f"{'-' if tie[1] < 0 else ''}b_{tie[0]}"
        eff = self.gates.get(gate, {}).get("bias") or self.at("bias", 0)
        if eff is not None:
            return self._short(eff)
        raw = [f"{k[5:]} {self._cell(gate, k)}" for k in RAW_BIAS_KINDS]
        return "b_" + ", b_".join(raw)

    def _gru_hn(self) -> str | None:
        """GRU's ``b_hn`` when the effective bias of ``n`` is set (else the raw ``b_hh``'s)."""
        if self.tie("n") is None and (self.gates.get("n", {}).get("bias") or self.at("bias", 0)):
            hn = self.gates.get("n", {}).get("bias_hn") or self.at("bias_hn", 0)
            return self._short(hn if hn is not None else Init("zeros"))  # as the plan does
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON/YAML-ready) that :meth:`from_dict` reads back to an equal recipe.

        Every field is written (layer keys become strings in JSON; :meth:`from_dict` reads
        them back as ints).

        >>> sorted(Recipe("r").to_dict())[:5]
        ['designed_for', 'families', 'gates', 'layers', 'name']
        """
        out: dict[str, Any] = {"name": self.name}
        for k in RECIPE_KINDS:
            spec = self.kind(k)
            if spec is not None:
                out[k] = spec.to_dict()
        out["whole"] = list(self.whole)
        out["gates"] = {
            g: {k: s.to_dict() for k, s in kinds.items()} for g, kinds in self.gates.items()
        }
        out["layers"] = {
            n: {k: s.to_dict() for k, s in kinds.items()} for n, kinds in self.layers.items()
        }
        out["tied"] = {g: dict(kinds) for g, kinds in self.tied.items()}
        out["families"] = list(self.families)
        out["designed_for"] = list(self.designed_for)
        out["params"] = dict(self.params)
        out["source"] = self.source
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """Build (and validate) a recipe from :meth:`to_dict` output.

        >>> Recipe.from_dict({"name": "r", "layers": {"1": {"recurrent": "identity"}}}).layers
        {1: {'recurrent': Init('identity')}}
        """
        if not isinstance(data, Mapping):
            raise SchemeError(f"a recipe dict is needed, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
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
            tied=_tied(data.get("tied", {}) or {}),
            families=tuple(data.get("families", FAMILIES)),
            designed_for=tuple(data.get("designed_for", FAMILIES)),
            params=dict(data.get("params", {}) or {}),
            source=str(data.get("source", "")),
            **kinds,
        )
        r.validate()
        return r

    def validate(self) -> None:
        """Check names: kinds, gates, whole kinds, ties, families. Raises on the first problem.

        >>> Recipe("r", tied={"f": {"bias": "-f"}}).validate()
        Traceback (most recent call last):
        ...
        rnninit.errors.SchemeError: tied['f']['bias']='-f': a gate cannot be derived from itself
        """
        for w in self.whole:
            if w not in WHOLE_KINDS:
                raise UnknownNameError("whole", w, WHOLE_KINDS)
            if self.kind(w) is None:
                raise SchemeError(f"whole={w!r} names a kind the recipe does not set")
        for g, gate_kinds in self.gates.items():
            if g not in _ALL_GATES:
                raise UnknownNameError("gates", g, _ALL_GATES)
            for k in gate_kinds:
                if k not in GATE_KINDS:
                    raise UnknownNameError(f"gates[{g!r}]", k, GATE_KINDS)
        _tied(self.tied)
        for g, tied_kinds in self.tied.items():
            for k, text in tied_kinds.items():
                source, _ = parse_tie(text)
                if self.tie(source, k) is not None:
                    raise SchemeError(
                        f"tied[{g!r}][{k!r}]={text!r}: gate {source!r} is itself derived; "
                        "derive from a drawn gate"
                    )
                if k in self.gates.get(g, {}):
                    raise SchemeError(
                        f"gate {g!r} {k} is both set by gates= and derived by tied=; keep one"
                    )
        for fam in (*self.families, *(d.split(":")[0] for d in self.designed_for)):
            if fam not in FAMILIES:
                raise UnknownNameError("families", fam, FAMILIES)

    def with_overrides(self, **overrides: Unpack[Overrides]) -> Recipe:
        """A copy with user overrides (the keywords of
        :class:`~rnninit.schemes._overrides.Overrides`).

        A kind given here is applied per gate block (it leaves ``whole``) unless ``whole`` says
        otherwise; ``bias`` replaces raw ``bias_ih``/``bias_hh``; ``gates`` merge per gate and
        kind (a gate bias given here replaces a ``tied`` one); ``forget_bias`` sets the
        effective bias of LSTM ``f`` and GRU ``z``; ``layers`` merge per layer index and kind.

        >>> r = Recipe("r", recurrent=Init("orthogonal"), whole=("recurrent",))
        >>> r.with_overrides(recurrent="identity", forget_bias=1.0).whole
        ()
        """
        given, unknown = split_overrides(overrides)
        if unknown:
            raise UnknownNameError("keyword", next(iter(unknown)), OVERRIDE_KEYS)
        return self.overridden(given)

    def overridden(self, given: Overrides) -> Recipe:
        """:meth:`with_overrides` for keywords already split
        (:func:`rnninit.schemes._overrides.split_overrides`).

        >>> Recipe("r").overridden({"bias": 0.0}).bias
        Init('constant', value=0.0)
        """
        changes: dict[str, Any] = {}
        new_whole = list(self.whole)
        for k in WEIGHT_KINDS:
            v = given.get(k)
            if v is not None:
                changes[k] = as_init(v, k)
                if k in new_whole:
                    new_whole.remove(k)
        if "bias" in given:
            changes["bias"] = as_init(given["bias"], "bias")
            changes["bias_ih"] = changes["bias_hh"] = None
            new_whole = [w for w in new_whole if w not in RAW_BIAS_KINDS]
        if "bias_hn" in given:
            changes["bias_hn"] = as_init(given["bias_hn"], "bias_hn")
        merged: dict[str, dict[str, Init]] = {g: dict(k) for g, k in self.gates.items()}
        gates = given.get("gates")
        if gates is not None:
            if not isinstance(gates, Mapping):
                raise SchemeError(
                    f"gates= takes a dict like {{'f': {{'bias': 1.0}}}}, got {type(gates).__name__}"
                )
            for g, kinds in _gates(gates).items():
                merged.setdefault(g, {}).update(kinds)
        if "forget_bias" in given:
            fb = as_init(given["forget_bias"], "forget_bias")
            for g in KEEP_GATE.values():
                merged.setdefault(g, {})["bias"] = fb
        changes["gates"] = merged
        tied = {
            g: {k: t for k, t in kinds.items() if k not in merged.get(g, {})}
            for g, kinds in self.tied.items()
        }
        changes["tied"] = {g: kinds for g, kinds in tied.items() if kinds}
        layers = given.get("layers")
        if layers is not None:
            per_layer: dict[int, dict[str, Init]] = {n: dict(k) for n, k in self.layers.items()}
            for n, kinds in _layers(layers).items():
                per_layer.setdefault(n, {}).update(kinds)
            changes["layers"] = per_layer
        whole = given.get("whole")
        if whole is not None and (isinstance(whole, str) or not isinstance(whole, Iterable)):
            raise ArgumentTypeError(
                "whole",
                whole,
                "a list of matrix kinds, e.g. whole=['recurrent'], from: " + ", ".join(WHOLE_KINDS),
            )
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
        out[g] = _kind_map(kinds, GATE_KINDS, f"gates[{g!r}]", "{'bias': 1.0}")
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


#: Kinds a ``tied`` entry may derive (the effective gate bias).
TIED_KINDS: tuple[str, ...] = ("bias",)


def _tied(data: object) -> dict[str, dict[str, str]]:
    """Validate ``{gate: {"bias": "-source"}}``: both gates of one family, not GRU's ``n``."""
    if not isinstance(data, Mapping):
        raise SchemeError(f"tied takes a dict like {{'i': {{'bias': '-f'}}}}, got {data!r}")
    out: dict[str, dict[str, str]] = {}
    for g, kinds in data.items():
        if g not in _ALL_GATES:
            raise UnknownNameError("tied", g, _ALL_GATES)
        if not isinstance(kinds, Mapping):
            raise SchemeError(f"tied[{g!r}] takes a dict like {{'bias': '-f'}}, got {kinds!r}")
        for k, text in kinds.items():
            if k not in TIED_KINDS:
                raise UnknownNameError(f"tied[{g!r}]", k, TIED_KINDS)
            label = f"tied[{g!r}][{k!r}]={text!r}"
            if not isinstance(text, str):
                raise SchemeError(f"{label}: give a gate name, '-' for its negative, e.g. '-f'")
            source, _ = parse_tie(text)
            if source not in _ALL_GATES:
                raise UnknownNameError(f"tied[{g!r}][{k!r}] source gate", source, _ALL_GATES)
            if source == g:
                raise SchemeError(f"{label}: a gate cannot be derived from itself")
            if not any(g in names and source in names for names in GATES.values()):
                raise SchemeError(f"{label}: gates {g!r} and {source!r} are not of one family")
            if "n" in (g, source) and g in GATES["GRU"]:
                raise SchemeError(
                    f"{label}: GRU's n bias is split by the reset gate (b_in + r * b_hn) and "
                    "cannot be tied"
                )
            out.setdefault(g, {})[k] = text
    return out
