"""The built-in schemes: each a function that returns a :class:`~rnninit.schemes.Recipe`.

The catalogue: :mod:`rnninit.schemes` and ``docs/recipes.md``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from typing_extensions import TypedDict, Unpack

from ..errors import SchemeError, UnknownNameError
from ..initializers._registry import Init, as_init
from ..layouts import KEEP_GATE
from ._overrides import OVERRIDE_KEYS, Overrides, split_overrides
from ._recipes import Recipe

__all__ = [
    "AUTO",
    "AUTO_PARAMS",
    "KEEP",
    "SCHEMES",
    "SCHEME_NAMES",
    "AutoParams",
    "InitKwargs",
    "SchemeParams",
    "build_recipe",
    "recipe",
]

#: The scheme that leaves every parameter as it is and applies only the overrides.
KEEP = "keep"

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
            "z": {"bias": chrono},
        },
        tied={"i": {"bias": "-f"}},
        families=tuple(KEEP_GATE),
        designed_for=tuple(KEEP_GATE),
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
        families=tuple(KEEP_GATE),
        designed_for=tuple(KEEP_GATE),
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
    return Recipe(KEEP, source="leave every parameter as it is; only overrides are applied")


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
    KEEP: _keep,
}
#: Each scheme's parameters, read from its factory's signature.
_PARAMS: dict[str, tuple[str, ...]] = {
    name: tuple(inspect.signature(f).parameters) for name, f in _FACTORIES.items()
}


class SchemeParams(TypedDict, total=False):
    """The parameters of the parametrized schemes (typing for ``init_``/``recipe`` keywords).

    >>> sorted(SchemeParams.__annotations__)
    ['gain', 'input_std', 'max_timescale', 'std']
    """

    max_timescale: float
    r"""``chrono``: $T_{\max}$, the longest dependency in steps."""
    std: float
    """``folk_normal``: the std of every weight."""
    input_std: float
    """``irnn``: the std of the input weights."""
    gain: float
    """``irnn``: the gain of the identity recurrent matrix."""


class AutoParams(TypedDict, total=False):
    """The parameters of the data-calibrated ``"auto"`` scheme (:func:`rnninit.auto.auto_init_`):
    the one list of its keywords (a test compares it with ``auto_init_``'s signature, which
    states the defaults: :data:`rnninit.auto.AUTO_DEFAULTS`).

    >>> sorted(AutoParams.__annotations__)[:3]
    ['data', 'gain', 'horizon']
    """

    data: object
    """``auto``: what ``model(data)`` accepts, or an iterable of such batches."""
    horizon: float
    """``auto``: the longest dependency in steps (default: the longest sequence in ``data``)."""
    reach: float
    r"""``auto``: the chrono $T_{\max}$ as a multiple of ``horizon``."""
    lengths: object
    """``auto``: valid lengths of a single padded batch (padding left out of the statistics)."""
    target: float
    """``auto``: the mean square of each gate block's input contribution."""
    gain: float
    """``auto``: the gain of the orthogonal recurrent blocks (``irnn``: of the identity)."""
    per_feature: bool
    """``auto``: standardize each input feature before the per-block scale."""
    max_batches: int
    """``auto``: how many batches of an iterable ``data`` to calibrate on."""
    timescales: str
    r"""``auto``: how the keep-gate timescales spread over $[2, T_{\max}]$: ``"log"`` or
    ``"uniform"``."""
    targets: str
    """``auto``: where the task's targets are: ``"end"`` or ``"every_step"`` (every
    gate bias 0)."""
    inputs: object
    """``auto``: a function from one batch of ``data`` to the model's arguments."""


class InitKwargs(Overrides, SchemeParams, AutoParams, total=False):
    """Every keyword ``init_`` and ``recipe`` take besides the scheme: overrides and scheme
    parameters.

    >>> "layers" in InitKwargs.__annotations__ and "max_timescale" in InitKwargs.__annotations__
    True
    """


#: The registered scheme names (each has a fixed :class:`Recipe`).
SCHEMES: tuple[str, ...] = tuple(_FACTORIES)

#: The data-calibrated scheme, accepted by :func:`rnninit.init_` besides :data:`SCHEMES`.
AUTO = "auto"

#: Every scheme name :func:`rnninit.init_` accepts: :data:`SCHEMES` and :data:`AUTO`.
SCHEME_NAMES: tuple[str, ...] = (*SCHEMES, AUTO)

#: The keywords of the ``auto`` scheme (the keys of :class:`AutoParams`), which
#: ``init_(model, "auto", ...)`` passes on to :func:`rnninit.auto.auto_init_`.
AUTO_PARAMS: tuple[str, ...] = tuple(AutoParams.__annotations__)


def recipe(name: str | Recipe | Mapping[str, Any], **overrides: Unpack[InitKwargs]) -> Recipe:
    """Return the recipe of a named scheme (or copy a recipe / dict), with overrides.

    ``overrides`` are the scheme's parameters (``max_timescale`` for chrono; ``std`` for
    folk_normal; ``input_std``, ``gain`` for irnn) and the override keywords of
    :class:`~rnninit.schemes._overrides.Overrides`. ``print(recipe(name))`` shows what the
    scheme writes, gate by gate (:meth:`~rnninit.schemes.Recipe.table`); ``docs/recipes.md``
    has every scheme's formulas and sources.

    >>> r = recipe("chrono", max_timescale=100)
    >>> r.gates["f"]["bias"], r.tied["i"]
    (Init('chrono', max_timescale=100), {'bias': '-f'})
    >>> recipe("orthogonal", forget_bias=2.0).gates["z"]["bias"]
    Init('constant', value=2.0)
    """
    given, params = split_overrides(overrides)
    return build_recipe(name, given, params)


def build_recipe(
    name: str | Recipe | Mapping[str, Any], given: Overrides, params: Mapping[str, Any]
) -> Recipe:
    """:func:`recipe` for keywords already split into overrides and scheme parameters
    (:func:`rnninit.schemes._overrides.split_overrides`): the scheme's recipe, then the overrides.

    >>> build_recipe("chrono", {"forget_bias": 1.0}, {"max_timescale": 9}).gates["f"]["bias"]
    Init('constant', value=1.0)
    """
    if isinstance(name, Recipe):
        base = name
    elif isinstance(name, Mapping):
        base = Recipe.from_dict(name)
    elif isinstance(name, str):
        if name == AUTO:
            raise SchemeError(
                "scheme 'auto' is calibrated on data, so it has no fixed recipe: call "
                "rnninit.init_(model, 'auto', data=batch) (or horizon= without data)"
            )
        if name not in _FACTORIES:
            raise UnknownNameError("scheme", name, SCHEME_NAMES)
        valid = _PARAMS.get(name, ())
        for key in params:
            if key not in valid:
                raise UnknownNameError(
                    f"keyword for scheme {name!r}", key, (*valid, *OVERRIDE_KEYS)
                )
        base = _FACTORIES[name](**params)
        params = {}
    else:
        raise SchemeError(
            f"scheme must be a name ({', '.join(SCHEMES)}), a Recipe or a dict, got {name!r}"
        )
    if params:
        raise UnknownNameError("keyword", next(iter(params)), OVERRIDE_KEYS)
    return base.overridden(given) if given else base
