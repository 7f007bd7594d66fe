"""Shapes of the initial states of PyTorch recurrent modules, and their validation.

PyTorch's conventions (``torch/nn/modules/rnn.py``), with ``L`` layers, ``D`` directions,
``H = hidden_size`` and ``H_out = proj_size`` when set (else ``H``):

* ``nn.RNN`` / ``nn.GRU``: ``h0`` is ``(L*D, N, H_out)``, or ``(L*D, H_out)`` for an unbatched
  input;
* ``nn.LSTM``: ``(h0, c0)`` with ``h0`` as above and ``c0`` of shape ``(L*D, N, H)``;
* the Cell classes: ``h`` (and ``c`` for ``nn.LSTMCell``) of shape ``(N, H)``, or ``(H,)``.

The batch dimension of a state is dimension 1 *whatever* ``batch_first`` says: ``batch_first``
only changes the layout of the input and output sequences. Passing ``h0`` in a batch-first
layout is the most common mistake; :func:`check_state` names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ..errors import ArgumentTypeError, StateShapeError, check_int
from ..layouts import Layout, layout_of

__all__ = ["BatchInfo", "StateSpec", "batch_of", "check_state", "spec_of", "state_shapes"]

Shape = tuple[int, ...]


@dataclass(frozen=True)
class StateSpec:
    """What the initial state of one recurrent module looks like: its :class:`Layout` and name.

    Every size is read from ``layout`` (one definition of a recurrent module's structure,
    :mod:`rnninit.layouts`); ``module_name`` (``"nn.LSTM"``) is used in messages. With
    ``L = num_layers``, ``D = num_directions``:

    * ``layers_dirs = L * D`` (1 for cells), the first dimension of every state tensor;
    * ``hidden_out = H_out`` (``proj_size`` if set, else ``hidden_size``), the width of ``h``;
    * ``hidden_size = H``, the width of ``c`` (LSTM only).

    >>> from torch import nn
    >>> spec = spec_of(nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=4))
    >>> spec.names, spec.widths, spec.layers_dirs
    (('h0', 'c0'), (4, 8), 4)
    >>> spec.shapes(5)
    ((4, 5, 4), (4, 5, 8))
    """

    layout: Layout
    module_name: str

    @property
    def family(self) -> str:
        """``"LSTM"``, ``"GRU"`` or ``"RNN"``."""
        return self.layout.family

    @property
    def is_cell(self) -> bool:
        """True for ``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell``."""
        return self.layout.is_cell

    @property
    def num_layers(self) -> int:
        """``L`` (1 for cells)."""
        return self.layout.num_layers

    @property
    def num_directions(self) -> int:
        """``D``: 2 for a bidirectional module, else 1."""
        return self.layout.num_directions

    @property
    def layers_dirs(self) -> int:
        """``L * D``: the first dimension of a state tensor (1 for cells, which have none)."""
        return self.layout.num_layers * self.layout.num_directions

    @property
    def hidden_out(self) -> int:
        """``H_out``: the width of ``h`` (``proj_size`` when set)."""
        return self.layout.hidden_out

    @property
    def hidden_size(self) -> int:
        """``H``: the width of ``c``."""
        return self.layout.hidden_size

    @property
    def input_size(self) -> int:
        """The module's ``input_size``."""
        return self.layout.input_size

    @property
    def batch_first(self) -> bool:
        """The module's ``batch_first`` (it does not change the layout of a state)."""
        return self.layout.batch_first

    @property
    def has_cell_state(self) -> bool:
        """True for LSTM and LSTMCell: the state is a pair ``(h, c)``."""
        return self.family == "LSTM"

    @property
    def names(self) -> tuple[str, ...]:
        """``("h0", "c0")`` for LSTMs, ``("h0",)`` otherwise."""
        return ("h0", "c0") if self.has_cell_state else ("h0",)

    @property
    def widths(self) -> tuple[int, ...]:
        """The width of each state tensor: ``H_out`` for ``h``, ``H`` for ``c``."""
        return (self.hidden_out, self.hidden_size) if self.has_cell_state else (self.hidden_out,)

    def shapes(self, batch_size: int | None) -> tuple[Shape, ...]:
        """The shape of each state tensor for ``batch_size`` (``None``: unbatched)."""
        return tuple(state_shape(self, w, batch_size) for w in self.widths)

    def compatible(self, other: StateSpec) -> bool:
        """True when both modules take states of the same shapes."""
        return (self.family, self.is_cell, self.layers_dirs, self.widths) == (
            other.family,
            other.is_cell,
            other.layers_dirs,
            other.widths,
        )

    def describe(self) -> str:
        """A short description of the module for error messages."""
        if self.is_cell:
            return f"{self.module_name}(hidden_size={self.hidden_size})"
        proj = f", proj_size={self.hidden_out}" if self.hidden_out != self.hidden_size else ""
        return (
            f"{self.module_name}(hidden_size={self.hidden_size}{proj}, "
            f"num_layers={self.num_layers}, bidirectional={self.num_directions == 2}, "
            f"batch_first={self.batch_first})"
        )


def spec_of(module: nn.Module) -> StateSpec:
    """The :class:`StateSpec` of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` or a Cell.

    Raises ``TypeError`` for anything else (from :func:`rnninit.layouts.layout_of`).

    >>> from torch import nn
    >>> spec_of(nn.GRUCell(3, 8)).describe()
    'nn.GRUCell(hidden_size=8)'
    """
    return StateSpec(layout_of(module), f"nn.{type(module).__name__}")


def state_shape(spec: StateSpec, width: int, batch_size: int | None) -> Shape:
    """Shape of one state tensor of ``width`` for ``batch_size`` (``None``: unbatched)."""
    if spec.is_cell:
        return (width,) if batch_size is None else (batch_size, width)
    if batch_size is None:
        return (spec.layers_dirs, width)
    return (spec.layers_dirs, batch_size, width)


def state_shapes(module: nn.Module, batch_size: int | None) -> tuple[Shape, ...]:
    """The shape of each initial state tensor of ``module`` (``h0``, then ``c0`` for LSTMs).

    ``(L*D, N, H_out)`` for ``h`` and ``(L*D, N, H)`` for ``c`` (``torch/nn/modules/rnn.py``),
    without ``N`` when ``batch_size`` is ``None``; ``(N, H)`` / ``(H,)`` for cells.

    >>> from torch import nn
    >>> state_shapes(nn.LSTM(3, 8, num_layers=2, proj_size=4), 5)
    ((2, 5, 4), (2, 5, 8))
    >>> state_shapes(nn.GRU(3, 8, bidirectional=True), None)
    ((2, 8),)
    """
    return spec_of(module).shapes(batch_size)


@dataclass(frozen=True)
class BatchInfo:
    """What a state built for one input must match: batch size (``None``: unbatched), dtype
    and device, and where the batch size was read (for messages).

    >>> import torch
    >>> BatchInfo(5, torch.float32, torch.device("cpu"), "input.shape[1]").batch_size
    5
    """

    batch_size: int | None
    dtype: torch.dtype
    device: torch.device
    source: str


def batch_of(spec: StateSpec, input: torch.Tensor | PackedSequence) -> BatchInfo:
    """Read batch size, dtype and device from an input (tensor or ``PackedSequence``).

    Sequence modules: a 3-D input is batched with ``N = input.shape[0 if batch_first else 1]``,
    a 2-D input is unbatched; a ``PackedSequence`` has ``N = batch_sizes[0]``. Cells: a 2-D
    input ``(N, in)`` is batched, a 1-D input is unbatched.

    >>> import torch
    >>> from torch import nn
    >>> spec = spec_of(nn.GRU(3, 8, batch_first=True))
    >>> batch_of(spec, torch.randn(5, 7, 3)).batch_size, batch_of(spec, torch.randn(7, 3)).source
    (5, '2-D input (unbatched)')
    """
    if isinstance(input, PackedSequence):
        if spec.is_cell:
            raise ArgumentTypeError(f"{spec.module_name} takes one time step, not a PackedSequence")
        n = int(input.batch_sizes[0])
        return BatchInfo(n, input.data.dtype, input.data.device, "PackedSequence.batch_sizes[0]")
    if not isinstance(input, torch.Tensor):
        raise ArgumentTypeError(
            f"input must be a torch.Tensor or a PackedSequence, got {type(input).__name__}"
        )
    if spec.is_cell:
        if input.dim() == 2:
            return BatchInfo(input.shape[0], input.dtype, input.device, "input.shape[0]")
        if input.dim() == 1:
            return BatchInfo(None, input.dtype, input.device, "1-D input (unbatched)")
        raise StateShapeError(
            f"input of {spec.module_name} must be (N, input_size) or (input_size,), "
            f"got shape {tuple(input.shape)}"
        )
    if input.dim() == 3:
        dim = 0 if spec.batch_first else 1
        return BatchInfo(input.shape[dim], input.dtype, input.device, f"input.shape[{dim}]")
    if input.dim() == 2:
        return BatchInfo(None, input.dtype, input.device, "2-D input (unbatched)")
    layout = "(N, T, input_size)" if spec.batch_first else "(T, N, input_size)"
    raise StateShapeError(
        f"input of {spec.describe()} must be {layout} or unbatched (T, input_size), "
        f"got shape {tuple(input.shape)}"
    )


def _why(spec: StateSpec, name: str, width: int, given: Shape, info: BatchInfo) -> str:
    """The likely cause of a wrong state shape, in words."""
    n, ld = info.batch_size, spec.layers_dirs
    if spec.is_cell:
        if n is not None and given == (width,):
            return f"the input is batched ({info.source} = {n}): the state needs a batch dim"
        if n is None and len(given) == 2:
            return "the input is unbatched (1-D), so the state has no batch dimension either"
        if len(given) == 3 and given[0] == 1:
            return (
                "Cell states have no layers*directions dimension (that is for nn.RNN/LSTM/GRU): "
                f"use {name}.squeeze(0)"
            )
    elif n is not None:
        expected = (ld, n, width)
        if len(given) == 3 and given == (n, ld, width):
            return (
                "looks like batch_first layout (N, L*D, H); initial states are (L*D, N, H) "
                f"whatever batch_first says: pass {name}.transpose(0, 1).contiguous()"
            )
        if given == (n, width):
            fix = f"{name}.unsqueeze(0)" if ld == 1 else f"a ({ld}, {n}, {width}) tensor"
            return f"missing the num_layers*num_directions dimension (= {ld}): use {fix}"
        if given == (ld, width):
            return (
                f"the input is batched ({info.source} = {n}) but the state has no batch "
                f"dimension: use {name}.unsqueeze(1).expand({ld}, {n}, {width})"
            )
        if len(given) == 3 and given[0] == ld and given[2] == width:
            return f"batch size {given[1]} of {name} differs from the input's ({info.source} = {n})"
        if len(given) == 3 and given[1:] == expected[1:]:
            return (
                f"dim 0 must be num_layers * num_directions = {spec.num_layers} * "
                f"{spec.num_directions} = {ld}"
            )
    else:
        if len(given) == 3 and given[0] == ld and given[2] == width:
            return (
                "the input is unbatched (2-D), so the state is (L*D, H_out) without a batch "
                f"dimension: use {name}.squeeze(1)"
            )
        if len(given) == 2 and given[1] == width:
            return f"dim 0 must be num_layers * num_directions = {ld}"
    if given and given[-1] != width:
        if spec.hidden_out != spec.hidden_size:
            return (
                f"the last dim is the state width: h has proj_size = {spec.hidden_out}, "
                f"c has hidden_size = {spec.hidden_size}"
            )
        return f"the last dim must be hidden_size = {width}"
    return "see the shape conventions in docs/states.md"


def _check_tensor(spec: StateSpec, name: str, width: int, value: object, info: BatchInfo) -> None:
    expected = state_shape(spec, width, info.batch_size)
    if not isinstance(value, torch.Tensor):
        raise StateShapeError(
            f"{name} must be a torch.Tensor of shape {expected}, got {type(value).__name__}"
        )
    given = tuple(value.shape)
    if given != expected:
        n = info.batch_size
        batch = "an unbatched input" if n is None else f"an input with batch size {n}"
        raise StateShapeError(
            f"{name} of {spec.describe()} for {batch}: expected shape "
            f"{expected}, got {given}; {_why(spec, name, width, given, info)}"
        )
    if value.dtype != info.dtype:
        raise StateShapeError(
            f"{name} has dtype {value.dtype} but the input has dtype {info.dtype}; "
            f"use {name}.to(input.dtype)"
        )
    if value.device != info.device:
        raise StateShapeError(
            f"{name} is on {value.device} but the input is on {info.device}; "
            f"use {name}.to(input.device)"
        )


def check_state_for(spec: StateSpec, state: object, info: BatchInfo) -> None:
    """Validate ``state`` against ``spec`` and the input described by ``info``."""
    shapes = spec.shapes(info.batch_size)
    if spec.has_cell_state:
        if not isinstance(state, Sequence) or isinstance(state, str) or len(state) != 2:
            raise StateShapeError(
                f"{spec.module_name} expected its state as a tuple (h0, c0) of shapes "
                f"{shapes[0]} and {shapes[1]}, got {_describe(state)}"
            )
        parts: Sequence[object] = state
    else:
        if not isinstance(state, torch.Tensor):
            pairs = isinstance(state, Sequence) and not isinstance(state, str)
            raise StateShapeError(
                f"{spec.module_name} expected a single tensor h0 of shape {shapes[0]}, "
                f"got {_describe(state)}" + ("; (h0, c0) pairs are for LSTMs" if pairs else "")
            )
        parts = (state,)
    for name, width, value in zip(spec.names, spec.widths, parts, strict=True):
        _check_tensor(spec, name, width, value, info)


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        inner = ", ".join(
            str(tuple(v.shape)) if isinstance(v, torch.Tensor) else type(v).__name__ for v in value
        )
        return f"a {type(value).__name__} of {len(value)} ({inner})"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def check_state(module: nn.Module, state: object, input: torch.Tensor | PackedSequence) -> None:
    """Raise :class:`~rnninit.errors.StateShapeError` unless ``module(input, state)`` fits.

    Checks the structure (a tuple ``(h0, c0)`` for LSTMs, one tensor otherwise), every shape
    against PyTorch's convention (``(L*D, N, H_out)`` for ``h``, ``(L*D, N, H)`` for ``c``,
    whatever ``batch_first`` says; no batch dim for unbatched inputs; ``(N, H)`` for cells),
    dtype and device. The message gives expected and given shapes and the likely cause (a
    batch-first layout, a missing layer dimension, a wrong batch size, ``proj_size`` ...).

    >>> import torch
    >>> from torch import nn
    >>> lstm = nn.LSTM(3, 8, num_layers=2, batch_first=True)
    >>> x = torch.randn(5, 7, 3)
    >>> check_state(lstm, (torch.zeros(2, 5, 8), torch.zeros(2, 5, 8)), x)  # fits: no error
    >>> check_state(lstm, (torch.zeros(5, 2, 8), torch.zeros(5, 2, 8)), x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rnninit.errors.StateShapeError: h0 of ... expected shape (2, 5, 8), got (5, 2, 8); looks ...
    """
    spec = spec_of(module)
    check_state_for(spec, state, batch_of(spec, input))


def resolve_target(
    spec: StateSpec,
    batch_size: object,
    like: object,
    dtype: torch.dtype,
    device: torch.device,
) -> BatchInfo:
    """Batch size, dtype and device for a new state: from ``like`` if given, else from
    ``batch_size`` (``None``: unbatched) and the given defaults. Both given must agree.

    A ``batch_size`` that is not an int (``"4"``, ``2.0``, ``True``) raises
    :class:`~rnninit.errors.ArgumentTypeError`, one below 1
    :class:`~rnninit.errors.ArgumentValueError`."""
    check_int("batch_size", batch_size, none_ok=True)
    assert batch_size is None or isinstance(batch_size, int)  # what check_int guarantees
    if like is None:
        src = "batch_size" if batch_size is not None else "batch_size=None (unbatched)"
        return BatchInfo(batch_size, dtype, device, src)
    if not isinstance(like, torch.Tensor | PackedSequence):
        raise ArgumentTypeError(
            f"like= must be the input tensor or PackedSequence, got {type(like).__name__}"
        )
    info = batch_of(spec, like)
    if batch_size is not None and batch_size != info.batch_size:
        got = "unbatched" if info.batch_size is None else f"batch size {info.batch_size}"
        raise StateShapeError(
            f"batch_size={batch_size} disagrees with like= ({info.source}: {got}); give one of them"
        )
    return info
