"""How a module class holds its gates: the :class:`Declaration` a user writes once per class.

A declaration names the module's parameters by role (``input`` ``W_x``, ``recurrent`` ``W_h``,
one or two biases, an optional ``projection``), the gate blocks they stack and in which order,
whether the blocks are row blocks (PyTorch: ``W`` is ``(G*H, in)``) or column blocks
(transposed kernels ``(in, G*H)``, as in Keras and haste), and the *family* whose equations the
gates follow. The families, their gate names and their equations are those of
:mod:`rnninit.layouts` (stated there, once):

* ``"LSTM"``: gates among ``i, f, g, o``; the keep gate is ``f`` (``keep="forget"``): a large
  ``b_f`` keeps ``c``.
* ``"GRU"``: gates among ``r, z, n``; the keep gate is ``z`` (``keep="update"``): a large
  ``b_z`` keeps ``h``.
* ``"RNN"``: the one block ``h``; no keep gate.

A cell may use a subset of its family's gates in any order (JANET: ``f, g``; a minimal GRU:
``z, n``): every scheme's per-gate rule (the forget bias, chrono's ``b_i = -b_f``, ...) then
applies to the gates that exist. For the gate ``j`` (0-based in ``gates``), the block is rows
``j*H:(j+1)*H`` of every row-stacked parameter, columns ``j*H:(j+1)*H`` of a column-stacked
matrix and entries ``j*H:(j+1)*H`` of a bias.

Parameter names are full names inside the module, dotted for a submodule's parameter
(``"ln_ih.bias"``), or patterns with ``{layer}`` (a layer index) and ``{direction}`` (one of
``directions``: ``""`` forward, ``"_reverse"`` backward by default) for multi-layer modules:
PyTorch's ``nn.LSTM`` is ``input="weight_ih_l{layer}{direction}"``.

``step`` says how the module is called: ``"cell"`` (one step per call, PyTorch's Cell
convention ``cell(x, hx) -> h`` or ``(h, c)``, ``x`` of shape ``(N, input_size)``, ``hx``
optional) or ``"sequence"`` (``module(x) -> (output, state)`` on ``(T, N, in)``, or
``(N, T, in)`` when the module's ``batch_first`` attribute is True). ``auto`` and
:func:`rnninit.diagnose.gradient_horizon` run the module that way.

>>> decl = Declaration("LSTM", "igfo", input="kernel", recurrent="recurrent_kernel",
...                    bias_ih="bias", stacking="columns")
>>> decl.gates, decl.keep_gate, decl.keep
(('i', 'g', 'f', 'o'), 'f', 'forget')
>>> Declaration.from_dict(decl.to_dict()) == decl
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import LayoutError, UnknownNameError

__all__ = [
    "FAMILIES",
    "FAMILY_DEFAULT",
    "GATES",
    "KEEP_GATE",
    "KINDS",
    "RAW_BIAS_KINDS",
    "WEIGHT_KINDS",
    "Declaration",
    "keep_gate_of",
]

#: Gate names per family, in PyTorch's row-block order (the vocabulary of a declaration).
GATES: dict[str, tuple[str, ...]] = {
    "LSTM": ("i", "f", "g", "o"),
    "GRU": ("r", "z", "n"),
    "RNN": ("h",),
}

#: The families a declaration can follow.
FAMILIES: tuple[str, ...] = tuple(GATES)

#: The gate whose bias sets the memory timescale: LSTM forget gate, GRU update (keep) gate.
KEEP_GATE: dict[str, str] = {"LSTM": "f", "GRU": "z"}

#: How the keep gate keeps memory: ``"forget"`` (``c' = f * c + ...``) or ``"update"``
#: (``h' = (1 - z) * n + z * h``).
KEEP_MODE: dict[str, str] = {"LSTM": "forget", "GRU": "update"}

#: The default of a declaration's ``keep_gate`` and ``keep`` (and of a ``Layout``'s
#: ``keep_gate``): take the family's, resolved by :func:`keep_gate_of` (the one place).
FAMILY_DEFAULT = "family"


def keep_gate_of(family: str, gates: Sequence[str]) -> str | None:
    """The family's keep gate (:data:`KEEP_GATE`) when ``gates`` has it, else ``None``.

    >>> keep_gate_of("LSTM", "ifgo"), keep_gate_of("GRU", "rn"), keep_gate_of("RNN", "h")
    ('f', None, None)
    """
    keep = KEEP_GATE.get(family)
    return keep if keep is not None and keep in gates else None


#: The parameter roles of a declaration (its name fields), in PyTorch's registration order.
KINDS: tuple[str, ...] = ("input", "recurrent", "bias_ih", "bias_hh", "projection")
#: The matrix kinds among them (``weight_ih``, ``weight_hh``, ``weight_hr``) ...
WEIGHT_KINDS: tuple[str, ...] = tuple(k for k in KINDS if not k.startswith("bias"))
#: ... and the raw per-parameter biases ``bias_ih``, ``bias_hh``.
RAW_BIAS_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k.startswith("bias"))

_STACKINGS = ("rows", "columns")
_STEPS = ("cell", "sequence")
_NONLINEARITIES = ("tanh", "relu")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDERS = ("layer", "direction")


def _placeholders(kind: str, pattern: str) -> frozenset[str]:
    found = _PLACEHOLDER.findall(pattern)
    for name in found:
        if name not in _PLACEHOLDERS:
            raise UnknownNameError(f"{kind}={pattern!r} placeholder", name, _PLACEHOLDERS)
    if len(found) != len(set(found)):
        raise LayoutError(f"{kind}={pattern!r}: a placeholder appears twice")
    if "{" in _PLACEHOLDER.sub("", pattern) or "}" in _PLACEHOLDER.sub("", pattern):
        raise LayoutError(f"{kind}={pattern!r}: unbalanced braces")
    return frozenset(found)


@dataclass(frozen=True)
class Declaration:
    """How one module class holds its gates (see the module docstring for every field).

    Args:
        family: ``"LSTM"``, ``"GRU"`` or ``"RNN"``: whose equations the gates follow.
        gates: the gate blocks in stacking order, names of the family (a string of one-letter
            names is split: ``"igfo"``).
        input: name (or pattern) of the input weight ``W_x``.
        recurrent: name (or pattern) of the recurrent weight ``W_h``.
        bias_ih: the input bias, or the one bias of a one-bias cell; ``None``: no bias.
        bias_hh: the recurrent bias of a two-bias cell (the gate sees ``b_ih + b_hh``).
        projection: the output projection ``W_hr`` (``(P, H)``), if any.
        stacking: ``"rows"`` (``(G*H, in)``, PyTorch) or ``"columns"`` (``(in, G*H)``).
        keep_gate: the gate that keeps memory; default the family's (``f`` / ``z``) when the
            cell has it. ``None``: no keep gate.
        keep: how it keeps memory, ``"forget"`` or ``"update"``; default the family's.
        nonlinearity: the ``RNN`` family's ``"tanh"`` or ``"relu"`` (default ``"tanh"``).
        step: ``"cell"`` or ``"sequence"``: how the module is called.
        directions: the values of ``{direction}``: forward first, then backward.
        switches: ``{kind: attribute}``: a parameter of that kind may be absent when the
            module's boolean attribute is False (PyTorch: ``{"bias_ih": "bias", ...}``).
            Any other declared parameter that is missing is an error.

    Raises:
        LayoutError: a malformed declaration (unknown family or gate name, a gate twice, a keep
            gate not among the gates, a wrong keep mode, a bad pattern); ``UnknownNameError``
            (a :class:`LayoutError`'s sibling under ``RnnInitError``) names the nearest name.

    >>> Declaration("GRU", "zn", input="w_x", recurrent="w_h").keep_gate
    'z'
    >>> try:
    ...     Declaration("LSTM", "ifgo", input="w", recurrent="u", keep_gate="i")
    ... except LayoutError as e:
    ...     print(str(e).split(";")[0])
    keep_gate='i': the LSTM family keeps memory in 'f' (keep='forget')
    """

    family: str
    gates: tuple[str, ...] | str
    input: str
    recurrent: str
    bias_ih: str | None = None
    bias_hh: str | None = None
    projection: str | None = None
    stacking: str = "rows"
    keep_gate: str | None = FAMILY_DEFAULT
    keep: str | None = FAMILY_DEFAULT
    nonlinearity: str | None = None
    step: str = "cell"
    directions: tuple[str, ...] = ("", "_reverse")
    switches: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.family, str) or self.family not in GATES:
            raise UnknownNameError("family", self.family, FAMILIES)
        vocab = GATES[self.family]
        gates = tuple(self.gates) if isinstance(self.gates, str | Sequence) else None
        if not gates or not all(isinstance(g, str) for g in gates):
            raise LayoutError(
                f"gates={self.gates!r}: give the gate names in stacking order, e.g. "
                f"{''.join(vocab)!r} or {vocab!r}"
            )
        for g in gates:
            if g not in vocab:
                raise UnknownNameError(f"gates of the {self.family} family", g, vocab)
        if len(set(gates)) != len(gates):
            raise LayoutError(f"gates={self.gates!r}: a gate appears twice")
        set_(self, "gates", gates)
        self._check_keep(gates)
        self._check_names()
        for name, value, valid in (
            ("stacking", self.stacking, _STACKINGS),
            ("step", self.step, _STEPS),
        ):
            if value not in valid:
                raise UnknownNameError(name, value, valid)
        if self.family == "RNN":
            set_(self, "nonlinearity", self.nonlinearity or "tanh")
            if self.nonlinearity not in _NONLINEARITIES:
                raise UnknownNameError("nonlinearity", self.nonlinearity, _NONLINEARITIES)
        elif self.nonlinearity is not None:
            raise LayoutError(
                f"nonlinearity={self.nonlinearity!r}: only the RNN family takes one "
                f"(the {self.family} family's activations are fixed by its equations)"
            )
        dirs = tuple(self.directions)
        if len(dirs) not in (1, 2) or not all(isinstance(d, str) for d in dirs):
            raise LayoutError(
                f"directions={self.directions!r}: one or two suffixes (forward, backward)"
            )
        if len(set(dirs)) != len(dirs):
            raise LayoutError(f"directions={self.directions!r}: the two suffixes are equal")
        set_(self, "directions", dirs)
        switches = dict(self.switches)
        for kind, attr in switches.items():
            if kind not in KINDS:
                raise UnknownNameError("switches", kind, KINDS)
            if not isinstance(attr, str):
                raise LayoutError(f"switches[{kind!r}]={attr!r}: the name of an attribute")
        set_(self, "switches", switches)

    def _check_keep(self, gates: tuple[str, ...]) -> None:
        set_ = object.__setattr__
        family_keep = KEEP_GATE.get(self.family)
        if self.keep_gate == FAMILY_DEFAULT:
            set_(self, "keep_gate", keep_gate_of(self.family, gates))
        elif self.keep_gate is not None:
            if self.keep_gate not in gates:
                raise UnknownNameError(
                    "keep_gate (one of the declared gates)", self.keep_gate, gates
                )
            if self.keep_gate != family_keep:
                mode = KEEP_MODE.get(self.family)
                raise LayoutError(
                    f"keep_gate={self.keep_gate!r}: the {self.family} family "
                    + (
                        f"keeps memory in {family_keep!r} (keep={mode!r}); "
                        if family_keep
                        else "has no keep gate; "
                    )
                    + f"{self.keep_gate!r} cannot be its keep gate"
                )
        if self.keep == FAMILY_DEFAULT:
            set_(self, "keep", KEEP_MODE[self.family] if self.keep_gate else None)
        elif self.keep_gate is None and self.keep is not None:
            raise LayoutError(f"keep={self.keep!r} without a keep gate: set keep_gate= too")
        elif self.keep_gate is not None and self.keep != KEEP_MODE[self.family]:
            raise LayoutError(
                f"keep={self.keep!r}: the {self.family} family's keep gate "
                f"{self.keep_gate!r} keeps memory the {KEEP_MODE[self.family]!r} way "
                "(forget: c' = f * c + ...; update: h' = (1 - z) * n + z * h)"
            )

    def _check_names(self) -> None:
        seen: dict[str, str] = {}
        expected: frozenset[str] | None = None
        for kind in KINDS:
            pattern = getattr(self, kind)
            if pattern is None:
                if kind in ("input", "recurrent"):
                    raise LayoutError(f"{kind}= is required: the name of the {kind} weight")
                continue
            if not isinstance(pattern, str) or not pattern:
                raise LayoutError(f"{kind}={pattern!r}: a parameter name (or pattern)")
            holes = _placeholders(kind, pattern)
            if expected is None:
                expected = holes
            elif holes != expected:
                raise LayoutError(
                    f"{kind}={pattern!r} has placeholders {sorted(holes)} but input="
                    f"{self.input!r} has {sorted(expected)}: every name takes the same ones"
                )
            if pattern in seen:
                raise LayoutError(
                    f"{kind}= and {seen[pattern]}= name the same parameter {pattern!r}"
                )
            seen[pattern] = kind
        if self.bias_hh is not None and self.bias_ih is None:
            raise LayoutError("bias_hh= without bias_ih=: a one-bias cell declares bias_ih=")
        if self.projection is not None and self.family != "LSTM":
            raise LayoutError(f"projection= is an LSTM's W_hr; the {self.family} family has none")

    @property
    def names(self) -> dict[str, str]:
        """The declared parameter names (or patterns) by kind, in :data:`KINDS` order.

        >>> Declaration("RNN", "h", input="w", recurrent="u", bias_ih="b").names
        {'input': 'w', 'recurrent': 'u', 'bias_ih': 'b'}
        """
        return {k: getattr(self, k) for k in KINDS if getattr(self, k) is not None}

    @property
    def per_layer(self) -> bool:
        """True when the names carry ``{layer}``: a multi-layer module."""
        return "{layer}" in self.input

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-able) that :meth:`from_dict` turns back into this declaration.

        >>> Declaration("RNN", "h", input="w", recurrent="u").to_dict()["gates"]
        ['h']
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Declaration:
        """Build a declaration from :meth:`to_dict`'s dict (unknown keys are an error).

        >>> data = {"family": "GRU", "gates": "rzn", "input": "a", "recurrent": "b"}
        >>> Declaration.from_dict(data).gates
        ('r', 'z', 'n')
        """
        if not isinstance(data, Mapping):
            raise LayoutError(f"a declaration dict is a mapping, got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise UnknownNameError("declaration key", key, known)
        kwargs = dict(data)
        for key in ("gates", "directions"):
            if isinstance(kwargs.get(key), list):
                kwargs[key] = tuple(kwargs[key])
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a required key missing
            raise LayoutError(f"declaration dict {dict(data)!r}: {exc}") from None
