r"""Initial-state initializers: the weights' registry, plus three learned kinds.

The ``init`` of :func:`rnninit.initial_state`, :class:`rnninit.InitialState` and
:class:`rnninit.Recurrent` takes the forms of a weight initializer (Flax: ``carry_init`` is an
``Initializer`` like ``kernel_init``): a registered name, a number, ``(name, kwargs)``, a dict
``{"name": ..., **kwargs}`` or a callable on a tensor. The parameter-free names are the SAME
registry entries as the weights' (:data:`rnninit.initializers.INITIALIZERS` with
``for_states=True``), with one meaning each:

* ``zeros``: PyTorch's and Keras' default (``hx=None``);
* ``constant`` (``value``); a number ``v`` is ``("constant", {"value": v})``;
* ``uniform(low=-0.5, high=0.5)``: $\mathcal{U}(a, b)$, $a$ = ``low``, $b$ = ``high``;
* ``normal(mean=0, std=0.1)``: the "noisy zero state" of S. Pitis, *Non-zero initial states
  for recurrent neural networks* (r2rt.com, 2016);
* ``xavier_uniform(gain=1)`` / ``xavier_normal(gain=1)``: Glorot & Bengio (2010). A state
  tensor is ``N`` vectors of width ``W`` (``h``: ``H_out``, ``c``: ``H``), each the output of a
  ``W x W`` map, so the state builder supplies ``fans = (W, W)`` as registry *context* (as
  ``init_`` supplies ``hidden_size`` to ``pytorch_default``): $\sigma = g / \sqrt{W}$, $g$ =
  ``gain`` (uniform bound $g \sqrt{3 / W}$), independent of the batch size, unlike the folk
  ``xavier_uniform_(torch.empty(1, N, H))`` whose fan-in is $N H$.

In eval mode a random entry gives its mean, the entry's ``eval_value`` (uniform
$(a + b) / 2$, normal ``mean``, xavier 0), unless ``eval_random=True``. A callable is
called in every mode.

The learned kinds hold trainable parameters and live in :class:`rnninit.InitialState`; each is
a :class:`LearnedKind` entry (parameters, a check, how to make and build), no branch on names:

* ``learned``: a trainable state per layer and direction, broadcast over the batch (Sonnet 2's
  ``TrainableState``; Pitis 2016);
* ``learned_noisy(noise_std=0.1)``: learned plus Gaussian noise in training (Pitis 2016);
* ``conditional(context_size, activation="tanh")``: $h_0 = \phi(W c + b)$ from a context
  vector $c$ ($\phi$ = ``activation``), as in Xu et al. (2015), *Show, Attend and Tell*.

>>> STATE_KINDS[:4], STATE_KINDS[-3:]
(('zeros', 'constant', 'uniform', 'normal'), ('learned', 'learned_noisy', 'conditional'))
>>> resolve_init(("normal", {"std": 0.5}))
Init('normal', std=0.5)
>>> resolve_init(("learned_noisy", {"noise_std": 0.2}))
Learned('learned_noisy', noise_std=0.2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..errors import (
    ArgumentTypeError,
    ArgumentValueError,
    InitializerError,
    UnknownNameError,
    nearest,
)
from ..initializers._registry import INITIALIZERS, REQUIRED, Init, as_init, call_init
from .shapes import StateSpec

__all__ = [
    "LEARNED_KINDS",
    "STATE_KINDS",
    "Learned",
    "LearnedKind",
    "StateInit",
    "StateInitLike",
    "draw",
    "learned_name",
    "resolve_init",
]


@dataclass(frozen=True)
class Part:
    """One state tensor to build: ``name`` (``h0``/``c0``), ``width``, batch ``n`` (``None``:
    unbatched), and what the call gives (context, generator, random, dtype)."""

    name: str
    width: int
    n: int | None
    context: torch.Tensor | None
    generator: torch.Generator | None
    random: bool
    dtype: torch.dtype


Make = Callable[[nn.Module, StateSpec, Mapping[str, Any], torch.dtype, torch.device], None]
Build = Callable[[nn.Module, StateSpec, Mapping[str, Any], Part], torch.Tensor]
Check = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class LearnedKind:
    """A learned initial state: its parameters (defaults), how to check them, how to make its
    trainable tensors on the owning module and how to build a state from them.

    >>> LEARNED_KINDS["learned_noisy"].params
    {'noise_std': 0.1}
    """

    name: str
    params: Mapping[str, Any]
    check: Check
    make: Make
    build: Build
    takes_context: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Learned:
    """A resolved learned kind with its complete parameters.

    >>> Learned(LEARNED_KINDS["learned"], {}).name
    'learned'
    """

    kind: LearnedKind
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The kind's name."""
        return self.kind.name

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Learned({self.name!r}{args})"


StateInit = Init | Learned
StateInitLike = Init | str | float | int | tuple[str, Mapping[str, Any]] | Mapping[str, Any]


def _broadcast(p: torch.Tensor, n: int | None, is_cell: bool) -> torch.Tensor:
    """``p`` repeated over a batch of ``n`` (``None``: unbatched), as a contiguous tensor.

    ``expand`` then one copy of ``L*D*N*W`` numbers (small next to the recurrence): the ONNX
    exporter's loop form of ``nn.LSTM`` rejects a stride-0 state (its carried state must keep
    its strides). The gradient into ``p`` is still the sum over the batch.
    """
    if n is None:
        return p.view_as(p)
    if is_cell:
        return p.unsqueeze(0).expand(n, p.shape[0]).contiguous()
    return p.unsqueeze(1).expand(p.shape[0], n, p.shape[1]).contiguous()


def _make_learned(
    owner: nn.Module,
    spec: StateSpec,
    params: Mapping[str, Any],
    dtype: torch.dtype,
    device: torch.device,
) -> None:
    for name, width in zip(spec.names, spec.widths, strict=True):
        shape = (width,) if spec.is_cell else (spec.layers_dirs, width)
        owner.register_parameter(name, nn.Parameter(torch.zeros(shape, dtype=dtype, device=device)))


def _build_learned(
    owner: nn.Module, spec: StateSpec, params: Mapping[str, Any], part: Part
) -> torch.Tensor:
    return _broadcast(getattr(owner, part.name), part.n, spec.is_cell).to(part.dtype)


def _build_noisy(
    owner: nn.Module, spec: StateSpec, params: Mapping[str, Any], part: Part
) -> torch.Tensor:
    t = _build_learned(owner, spec, params, part)
    std = params["noise_std"]
    if not part.random or std == 0:
        return t
    noise = torch.empty(t.shape, dtype=t.dtype, device=t.device)
    return t + noise.normal_(0.0, std, generator=part.generator)


def _make_conditional(
    owner: nn.Module,
    spec: StateSpec,
    params: Mapping[str, Any],
    dtype: torch.dtype,
    device: torch.device,
) -> None:
    ld = 1 if spec.is_cell else spec.layers_dirs
    for name, width in zip(spec.names, spec.widths, strict=True):
        proj = nn.Linear(params["context_size"], ld * width, dtype=dtype, device=device)
        owner.add_module("proj_" + name[0], proj)


_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "identity": lambda y: y,
}


def _build_conditional(
    owner: nn.Module, spec: StateSpec, params: Mapping[str, Any], part: Part
) -> torch.Tensor:
    context = part.context
    if context is None:
        raise ArgumentTypeError("init='conditional' needs a context")
    proj = getattr(owner, "proj_" + part.name[0])
    assert isinstance(proj, nn.Linear)
    y: torch.Tensor = _ACTIVATIONS[params["activation"]](proj(context.to(proj.weight.dtype)))
    y = y.to(part.dtype)  # the state takes the input's dtype, like the learned kinds
    if spec.is_cell:
        return y
    ld = spec.layers_dirs
    if context.dim() == 1:
        return y.view(ld, part.width)
    return y.view(context.shape[0], ld, part.width).transpose(0, 1).contiguous()


def _number(kind: str, key: str, value: object, low: float = 0.0) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InitializerError(
            f"init: parameter {key!r} of {kind!r} must be a number, got {value!r}"
        )
    if not math.isfinite(value) or value < low:
        raise InitializerError(f"init: {kind!r} needs {key} >= {low:g}, got {value!r}")


def _no_check(params: Mapping[str, Any]) -> None:
    return None


def _check_noisy(params: Mapping[str, Any]) -> None:
    _number("learned_noisy", "noise_std", params["noise_std"])


def _check_conditional(params: Mapping[str, Any]) -> None:
    size = params["context_size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InitializerError(
            f"init: 'conditional' needs context_size = a positive int, got {size!r}"
        )
    if params["activation"] not in _ACTIVATIONS:
        raise UnknownNameError("activation", params["activation"], _ACTIVATIONS)


#: The learned kinds, by name.
LEARNED_KINDS: dict[str, LearnedKind] = {
    k.name: k
    for k in (
        LearnedKind(
            "learned", {}, _no_check, _make_learned, _build_learned,
            doc="trainable, per layer and direction",
        ),
        LearnedKind(
            "learned_noisy", {"noise_std": 0.1}, _check_noisy, _make_learned, _build_noisy,
            doc="learned + N(0, noise_std^2) in training",
        ),
        LearnedKind(
            "conditional", {"context_size": REQUIRED, "activation": "tanh"}, _check_conditional,
            _make_conditional, _build_conditional, takes_context=True,
            doc="act(W context + b), a learned projection",
        ),
    )
}  # fmt: skip


def _state_names() -> tuple[str, ...]:
    return (
        *(n for n, r in INITIALIZERS.items() if r.for_states and r.name == n),
        *LEARNED_KINDS,
    )


#: Names of every initial-state initializer: the registry's ``for_states`` entries, then the
#: learned kinds (an entry registered later with ``for_states=True`` is accepted too).
STATE_KINDS: tuple[str, ...] = _state_names()


def _learned_form(value: object) -> tuple[str, Mapping[str, Any]] | None:
    """``(name, kwargs)`` when ``value`` names a learned kind in any accepted form."""
    if isinstance(value, str) and value in LEARNED_KINDS:
        return value, {}
    if isinstance(value, tuple | list) and len(value) == 2 and value[0] in LEARNED_KINDS:
        if not isinstance(value[1], Mapping):
            raise InitializerError(f"init: a (name, kwargs) pair needs a dict, got {value[1]!r}")
        return str(value[0]), value[1]
    if isinstance(value, Mapping) and value.get("name") in LEARNED_KINDS:
        return str(value["name"]), {k: v for k, v in value.items() if k != "name"}
    return None


def learned_name(value: object) -> str | None:
    """The learned kind ``value`` names, in any accepted form, else ``None``.

    >>> learned_name(("conditional", {"context_size": 3})), learned_name("normal")
    ('conditional', None)
    """
    form = _learned_form(value)
    return form[0] if form is not None else None


def resolve_init(value: object, argument: str = "init") -> StateInit:
    """Validate an initial-state ``init`` and return it resolved (defaults filled in for the
    learned kinds). Raises :class:`~rnninit.errors.UnknownNameError` (nearest name) or
    :class:`~rnninit.errors.InitializerError`.

    >>> resolve_init(0.5)
    Init('constant', value=0.5)
    >>> resolve_init("orthogonal")
    Traceback (most recent call last):
    ...
    rnninit.errors.UnknownNameError: init='orthogonal' is not known; valid: ...
    """
    form = _learned_form(value)
    if form is not None:
        name, kwargs = form
        kind = LEARNED_KINDS[name]
        for key in kwargs:
            if key not in kind.params:
                hint = nearest(str(key), kind.params)
                raise InitializerError(
                    f"{argument}: {name!r} takes no parameter {key!r}; its parameters: "
                    f"{', '.join(kind.params) or 'none'}"
                    + (f". Did you mean {hint!r}?" if hint else "")
                )
        missing = [k for k, v in kind.params.items() if v is REQUIRED and k not in kwargs]
        if missing:
            raise InitializerError(
                f"{argument}: {name!r} needs {', '.join(map(repr, missing))}, e.g. "
                f"({name!r}, {{{missing[0]!r}: ...}})"
            )
        params = {**kind.params, **kwargs}
        kind.check(params)
        return Learned(kind, params)
    if isinstance(value, str) and value not in _state_names():
        raise UnknownNameError(argument, value, _state_names())
    spec = as_init(value, argument)
    if spec.fn is None:
        # a bare number becomes ("constant", {"value": v}) unchecked: run the registry's
        # parameter checks (finite numbers) on every form, so nan/inf never reach a state
        spec = as_init(spec, argument)
    reg = spec.registered
    if reg is not None and not reg.for_states:
        raise UnknownNameError(argument, spec.name, _state_names())
    return spec


def draw(
    spec: Init,
    shape: tuple[int, ...],
    width: int,
    *,
    dtype: torch.dtype,
    device: torch.device,
    generator: torch.Generator | None,
    random: bool,
) -> torch.Tensor:
    """Draw one state tensor of ``shape`` and vector width ``width`` from a registry entry or
    a callable, with ``fans = (width, width)`` as context.

    ``random=False`` gives a random entry's ``eval_value`` (its mean; 0 when it has none).
    A callable that writes ``nan``/``inf`` raises :class:`~rnninit.errors.ArgumentValueError`
    (the registry's entries are checked finite by :func:`resolve_init`); the check is skipped
    while tracing or compiling, where the values cannot be read.

    >>> t = draw(Init("uniform"), (1, 2, 3), 3, dtype=torch.float32, device=torch.device("cpu"),
    ...          generator=None, random=False)
    >>> t.tolist()
    [[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]
    """
    out = torch.empty(shape, dtype=dtype, device=device)
    reg = spec.registered
    if not random and reg is not None and reg.random:
        params = {**reg.params, **spec.kwargs}
        return out.fill_(reg.eval_value(params) if reg.eval_value is not None else 0.0)
    call_init(spec, out, generator=generator, context={"fans": (width, width)})
    if spec.fn is not None and _inspectable(out) and not bool(torch.isfinite(out).all()):
        raise ArgumentValueError(
            f"init={getattr(spec.fn, '__name__', 'callable')!r}: the callable initializer "
            f"wrote non-finite values (nan/inf) into a state of shape {shape}; a state must "
            "be finite"
        )
    return out


def _inspectable(t: torch.Tensor) -> bool:
    """True when ``t``'s values can be read: not on ``meta``, not while tracing or compiling
    (``torch.jit.trace``, ``torch.compile``, ``torch.export``), where a check on the data
    would bake or break the graph."""
    tracing = bool(torch.jit.is_tracing())  # type: ignore[attr-defined,no-untyped-call]
    return t.device.type != "meta" and not (tracing or torch.compiler.is_compiling())
