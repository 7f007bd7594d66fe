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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import SchemeError, UnknownNameError
from .layouts import GATES
from .registry import Init, as_init

__all__ = ["RECIPE_KINDS", "SCHEMES", "Recipe", "recipe"]

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
    families: tuple[str, ...] = _FAMILIES
    designed_for: tuple[str, ...] = _FAMILIES
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    def kind(self, kind: str) -> Init | None:
        """The recipe-level initializer of a matrix kind."""
        value: Init | None = getattr(self, kind)
        return value

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
    ) -> Recipe:
        """A copy with user overrides (see :func:`rnninit.init_`).

        A kind given here is applied per gate block (it leaves ``whole``) unless ``whole`` says
        otherwise; ``bias`` replaces raw ``bias_ih``/``bias_hh``; ``gates`` merge per gate and
        kind; ``forget_bias`` sets the effective bias of LSTM ``f`` and GRU ``z``.
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
        changes["whole"] = tuple(whole) if whole is not None else tuple(new_whole)
        out = replace(self, **changes)
        out.validate()
        return out


def _gates(data: Mapping[str, Any]) -> dict[str, dict[str, Init]]:
    out: dict[str, dict[str, Init]] = {}
    for g, kinds in data.items():
        if g not in _ALL_GATES:
            raise UnknownNameError("gates", g, _ALL_GATES)
        if not isinstance(kinds, Mapping):
            raise SchemeError(
                f"gates[{g!r}] takes a dict of matrix kind -> initializer, e.g. "
                f"{{'bias': 1.0}}, got {kinds!r}"
            )
        out[g] = {}
        for k, v in kinds.items():
            if k not in _GATE_KINDS:
                raise UnknownNameError(f"gates[{g!r}]", k, _GATE_KINDS)
            out[g][k] = as_init(v, f"gates[{g!r}][{k!r}]")
    return out


# --- the schemes ------------------------------------------------------------------------------

_ZERO = Init("zeros")
_ONE = Init("constant", {"value": 1.0})


def _pytorch() -> Recipe:
    u = Init("pytorch_default")
    return Recipe(
        "pytorch",
        input=u,
        recurrent=u,
        projection=u,
        bias_ih=u,
        bias_hh=u,
        whole=("input", "recurrent", "bias_ih", "bias_hh", "projection"),
        source="torch.nn.RNNBase.reset_parameters: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))",
    )


def _keras() -> Recipe:
    return Recipe(
        "keras",
        input=Init("xavier_uniform"),
        recurrent=Init("orthogonal"),
        projection=Init("xavier_uniform"),
        bias=_ZERO,
        bias_hn=_ZERO,
        whole=("input", "recurrent", "projection"),
        gates={"f": {"bias": _ONE}},
        source="Keras 3 LSTM/GRU/SimpleRNN defaults: glorot_uniform kernel over (in, G*H), "
        "orthogonal recurrent_kernel over (H, G*H), zero bias, unit_forget_bias=True (LSTM), "
        "GRU reset_after=True",
    )


def _flax() -> Recipe:
    return Recipe(
        "flax",
        input=Init("lecun_normal"),
        recurrent=Init("orthogonal"),
        projection=Init("lecun_normal"),
        bias=_ZERO,
        bias_hn=_ZERO,
        source="flax.linen.recurrent LSTMCell/GRUCell/SimpleCell: kernel_init lecun_normal, "
        "recurrent_kernel_init orthogonal per gate (H x H), bias_init zeros",
    )


def _sonnet() -> Recipe:
    return Recipe(
        "sonnet",
        input=Init("fan_in_truncated_normal"),
        recurrent=Init("fan_in_truncated_normal"),
        projection=Init("fan_in_truncated_normal"),
        bias=_ZERO,
        bias_hn=_ZERO,
        gates={"f": {"bias": _ONE}},
        source="sonnet.LSTM/GRU: w_i ~ TruncatedNormal(1/sqrt(input_size)), "
        "w_h ~ TruncatedNormal(1/sqrt(hidden_size)), b = 0, LSTM forget_bias = 1.0",
    )


def _orthogonal() -> Recipe:
    return Recipe(
        "orthogonal",
        input=Init("xavier_uniform"),
        recurrent=Init("orthogonal"),
        projection=Init("orthogonal"),
        bias=_ZERO,
        bias_hn=_ZERO,
        gates={"f": {"bias": _ONE}},
        source="Saxe et al. 2014 (orthogonal per gate block); Glorot & Bengio 2010 (input); "
        "Gers et al. 2000 / Jozefowicz et al. 2015 (forget bias 1)",
    )


def _chrono(max_timescale: float | None = None) -> Recipe:
    if max_timescale is None:
        raise SchemeError(
            "scheme 'chrono' needs max_timescale= (T_max, the longest dependency in steps: "
            "e.g. the sequence length; 3T/2 for the copy task), e.g. "
            "init_(model, 'chrono', max_timescale=200)"
        )
    chrono = as_init(("chrono", {"max_timescale": max_timescale}), "max_timescale")
    base = _orthogonal()
    return replace(
        base,
        name="chrono",
        gates={
            "f": {"bias": chrono},
            "i": {"bias": Init("negative_of", {"gate": "f"})},
            "z": {"bias": chrono},
        },
        families=("LSTM", "GRU"),
        designed_for=("LSTM", "GRU"),
        params={"max_timescale": max_timescale},
        source="Tallec & Ollivier, ICLR 2018: b_f ~ log U(1, T_max - 1), b_i = -b_f, other "
        "biases 0 (GRU: b_z = +log U(1, T_max - 1)); weights as the 'orthogonal' scheme",
    )


def _irnn(input_std: float = 0.001, gain: float = 1.0) -> Recipe:
    return Recipe(
        "irnn",
        input=as_init(("normal", {"std": input_std}), "input_std"),
        recurrent=as_init(("identity", {"gain": gain}), "gain"),
        projection=Init("identity"),
        bias=_ZERO,
        bias_hn=_ZERO,
        designed_for=("RNN:relu",),
        params={"input_std": input_std, "gain": gain},
        source="Le, Jaitly & Hinton 2015: W_hh = I, b = 0, small input weights (Keras example "
        "N(0, 0.001)); relu RNNs; the learning rate must shrink with T",
    )


def _uniform_gate() -> Recipe:
    ugi = Init("uniform_gate")
    return replace(
        _orthogonal(),
        name="uniform_gate",
        gates={"f": {"bias": ugi}, "z": {"bias": ugi}},
        families=("LSTM", "GRU"),
        designed_for=("LSTM", "GRU"),
        source="Gu et al. 2020: u ~ U(1/d, 1 - 1/d), b_f = -log(1/u - 1) (GRU: b_z); "
        "weights as the 'orthogonal' scheme",
    )


def _folk_normal(std: float = 0.02) -> Recipe:
    n = as_init(("normal", {"std": std}), "std")
    return Recipe(
        "folk_normal",
        input=n,
        recurrent=n,
        projection=n,
        bias_ih=_ZERO,
        bias_hh=_ZERO,
        whole=("input", "recurrent", "projection", "bias_ih", "bias_hh"),
        params={"std": std},
        source="common forum recipe: normal_(p, 0, 0.02) on every weight, zero biases",
    )


def _folk_xavier() -> Recipe:
    return Recipe(
        "folk_xavier",
        input=Init("xavier_uniform"),
        recurrent=Init("orthogonal"),
        projection=Init("xavier_uniform"),
        bias_ih=_ZERO,
        bias_hh=_ZERO,
        whole=("input", "recurrent", "projection", "bias_ih", "bias_hh"),
        source="common forum recipe: xavier_uniform_(weight_ih), orthogonal_(weight_hh) on the "
        "whole stacked matrix (not per gate), zero biases",
    )


def _keep() -> Recipe:
    return Recipe("keep", source="leave every parameter as it is; only overrides are applied")


_FACTORIES: dict[str, Callable[..., Recipe]] = {
    "pytorch": _pytorch,
    "keras": _keras,
    "flax": _flax,
    "sonnet": _sonnet,
    "orthogonal": _orthogonal,
    "chrono": _chrono,
    "irnn": _irnn,
    "uniform_gate": _uniform_gate,
    "folk_normal": _folk_normal,
    "folk_xavier": _folk_xavier,
    "keep": _keep,
}
_PARAMS: dict[str, tuple[str, ...]] = {
    "chrono": ("max_timescale",),
    "irnn": ("input_std", "gain"),
    "folk_normal": ("std",),
}

#: The registered scheme names.
SCHEMES: tuple[str, ...] = tuple(_FACTORIES)

_OVERRIDES = (
    "input",
    "recurrent",
    "projection",
    "bias",
    "bias_hn",
    "gates",
    "forget_bias",
    "whole",
)


def recipe(name: str | Recipe | Mapping[str, Any], **overrides: Any) -> Recipe:
    """Return the recipe of a named scheme (or copy a recipe / dict), with overrides.

    ``overrides`` are the scheme's parameters (``max_timescale`` for chrono; ``std`` for
    folk_normal; ``input_std``, ``gain`` for irnn) and the override keywords of
    :meth:`Recipe.with_overrides`.
    """
    user = {k: v for k, v in overrides.items() if k in _OVERRIDES}
    params = {k: v for k, v in overrides.items() if k not in _OVERRIDES}
    if isinstance(name, Recipe):
        base = name
    elif isinstance(name, Mapping):
        base = Recipe.from_dict(name)
    elif isinstance(name, str):
        if name not in _FACTORIES:
            raise UnknownNameError("scheme", name, SCHEMES)
        valid = _PARAMS.get(name, ())
        for key in params:
            if key not in valid:
                raise UnknownNameError(f"keyword for scheme {name!r}", key, (*valid, *_OVERRIDES))
        base = _FACTORIES[name](**params)
        params = {}
    else:
        raise SchemeError(
            f"scheme must be a name ({', '.join(SCHEMES)}), a Recipe or a dict, got {name!r}"
        )
    if params:
        raise UnknownNameError("keyword", next(iter(params)), _OVERRIDES)
    return base.with_overrides(**user) if user else base
