"""Export and compilation (issue 23, item 5): every row of the table in docs/states.md
("Export and compilation") against every path, compared with eager.

Rows: a plain module after ``init_`` (orthogonal, auto), an attached state (zeros, learned,
learned_noisy in eval), ``Recurrent`` with a learned and with a conditional state, and a
stateful ``Recurrent``. Paths: ``torch.compile``, ``torch.export.export``, ``torch.jit.trace``,
``torch.jit.script``, ``torch.onnx.export`` (``dynamo=True`` and the legacy TorchScript-based
exporter) run by onnxruntime. Each path is captured at batch 3 with a dynamic batch axis and
run at batches 3 and 5 (sequence length 4, ``L*D`` 2): the state must be expanded to
the batch inside the graph, not baked at the capture's batch size. Learned states are set to
non-zero values first and every row checks that its state changes the output, so a state
dropped on the way fails the comparison. A path that cannot work raises a typed
:class:`~rnninit.errors.ExportError` saying what to use instead.

torch.compile uses the ``aot_eager`` backend (dynamo and AOTAutograd, no C++ code generation);
one test runs inductor.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import ExportError, RnnInitError
from rnninit.states import Recurrent, attach_initial_state, remove_initial_state

SEQ, IN, HIDDEN, CONTEXT = 4, 3, 5, 2
EXPORT_BATCH, OTHER_BATCH = 3, 5
ATOL = 1e-5

Args = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass
class Case:
    """A model of one row: how to build inputs for a batch size, and what it carries."""

    model: nn.Module
    batch_dim: int
    conditional: bool = False
    scriptable: bool = True  # no InitialState inside: torch.jit.script can compile it
    rnn: nn.RNNBase = field(init=False)

    def __post_init__(self) -> None:
        inner = self.model.rnn if isinstance(self.model, Recurrent) else self.model
        assert isinstance(inner, nn.RNNBase)
        self.rnn = inner

    def inputs(self, n: int, seq: int = SEQ) -> Args:
        gen = torch.Generator().manual_seed(100 + n)
        shape = [seq, seq]
        shape[self.batch_dim] = n
        x = torch.randn(*shape, IN, generator=gen)
        if self.conditional:
            return (x,), {"context": torch.randn(n, CONTEXT, generator=gen)}
        return (x,), {}


def _nonzero_(module: nn.Module) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, 0.8)


def _orthogonal() -> Case:
    lstm = nn.LSTM(IN, HIDDEN, bidirectional=True)
    return Case(rnninit.init_(lstm, "orthogonal"), batch_dim=1)


def _auto() -> Case:
    gru = nn.GRU(IN, HIDDEN, num_layers=2, batch_first=True)
    data = torch.randn(8, SEQ, IN, generator=torch.Generator().manual_seed(0))
    return Case(rnninit.init_(gru, "auto", data=data), batch_dim=0)


def _attached(init: Any, rnn: nn.RNNBase, batch_dim: int) -> Case:
    attach_initial_state(rnn, init)
    _nonzero_(rnn.initial_state)
    return Case(rnn, batch_dim=batch_dim, scriptable=False)


def _zeros() -> Case:
    return _attached("zeros", nn.LSTM(IN, HIDDEN, num_layers=2), 1)


def _learned() -> Case:
    return _attached("learned", nn.LSTM(IN, HIDDEN, bidirectional=True), 1)


def _noisy() -> Case:
    gru = nn.GRU(IN, HIDDEN, num_layers=2, batch_first=True)
    return _attached(("learned_noisy", {"noise_std": 0.5}), gru, 0)


def _recurrent_learned() -> Case:
    rec = Recurrent(nn.GRU(IN, HIDDEN, num_layers=2, batch_first=True), "learned")
    _nonzero_(rec.initial_state)
    return Case(rec, batch_dim=0, scriptable=False)


def _conditional() -> Case:
    rec = Recurrent(nn.LSTM(IN, HIDDEN, num_layers=2), ("conditional", {"context_size": CONTEXT}))
    return Case(rec, batch_dim=1, conditional=True, scriptable=False)


def _stateful() -> Case:
    rec = Recurrent(nn.LSTM(IN, HIDDEN), "learned", stateful=True)
    _nonzero_(rec.initial_state)
    return Case(rec, batch_dim=1, scriptable=False)


ROWS: dict[str, Callable[[], Case]] = {
    "init_orthogonal": _orthogonal,
    "init_auto": _auto,
    "attached_zeros": _zeros,
    "attached_learned": _learned,
    "attached_learned_noisy_eval": _noisy,
    "recurrent_learned": _recurrent_learned,
    "recurrent_conditional": _conditional,
    "recurrent_stateful": _stateful,
}
STATELESS = [name for name in ROWS if name != "recurrent_stateful"]


def _build(name: str) -> Case:
    torch.manual_seed(0)
    case = ROWS[name]()
    case.model.eval()
    return case


def _flat(out: object) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    assert isinstance(out, tuple | list), type(out)
    return [t for item in out for t in _flat(item)]


def _assert_close(got: object, want: object) -> None:
    g, w = _flat(got), _flat(want)
    assert len(g) == len(w)
    for a, b in zip(g, w, strict=True):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, atol=ATOL, rtol=1e-4)


def _eager(case: Case, n: int, seq: int = SEQ) -> object:
    args, kwargs = case.inputs(n, seq)
    with torch.no_grad():
        return case.model(*args, **kwargs)


def _check_against_eager(case: Case, run: Callable[[Args], object]) -> None:
    """``run`` (the captured model) matches eager at both batch sizes."""
    for n in (EXPORT_BATCH, OTHER_BATCH):
        with torch.no_grad():
            got = run(case.inputs(n))
        _assert_close(got, _eager(case, n))


def test_every_row_starts_from_a_state_that_changes_the_output() -> None:
    """Guard of the comparisons: a path that dropped the state would differ from eager."""
    for name in STATELESS:
        case = _build(name)
        if name.startswith("init_") or name == "attached_zeros":
            continue  # these start from zeros, as hx=None does
        (x,), _ = case.inputs(EXPORT_BATCH)
        layers_dirs = case.rnn.num_layers * (2 if case.rnn.bidirectional else 1)
        zero_h = torch.zeros(layers_dirs, EXPORT_BATCH, HIDDEN)
        zero = (zero_h, zero_h.clone()) if isinstance(case.rnn, nn.LSTM) else zero_h
        with torch.no_grad():
            from_zero = case.rnn(x, zero)[0]
            ours = _flat(_eager(case, EXPORT_BATCH))[0]
        assert not torch.allclose(ours, from_zero, atol=1e-3), name


# ---- torch.compile --------------------------------------------------------------------------


@pytest.fixture
def fresh_dynamo() -> Iterator[None]:
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.usefixtures("fresh_dynamo")
@pytest.mark.parametrize("name", STATELESS)
def test_torch_compile(name: str) -> None:
    case = _build(name)
    compiled = torch.compile(case.model, backend="aot_eager")
    _check_against_eager(case, lambda a: compiled(*a[0], **a[1]))


@pytest.mark.usefixtures("fresh_dynamo")
def test_torch_compile_inductor_recurrent_learned() -> None:
    """The one inductor test (the file's slowest, C++ code generation): Recurrent builds its
    state in the compiled graph (the RNN itself runs eagerly after a graph break)."""
    case = _build("recurrent_learned")
    compiled = torch.compile(case.model)  # inductor, the default backend
    _check_against_eager(case, lambda a: compiled(*a[0], **a[1]))


@pytest.mark.usefixtures("fresh_dynamo")
def test_torch_compile_stateful_recurrent_carries_the_state_as_eager() -> None:
    case, twin = _build("recurrent_stateful"), _build("recurrent_stateful")
    compiled = torch.compile(twin.model, backend="aot_eager")
    chunks = [case.inputs(EXPORT_BATCH)[0][0] + k for k in range(3)]
    with torch.no_grad():
        for x in chunks:
            _assert_close(compiled(x), case.model(x))
        carried = case.model(chunks[0])[0]
        case.model.reset()
        assert not torch.allclose(carried, case.model(chunks[0])[0], atol=1e-3)  # it carries


# ---- torch.export ---------------------------------------------------------------------------


def _dynamic_shapes(case: Case) -> dict[str, Any]:
    batch = torch.export.Dim("batch", min=2, max=256)
    shapes: dict[str, Any] = {"input": {case.batch_dim: batch}}
    if case.conditional:
        shapes["context"] = {0: batch}
    return shapes


def _export(case: Case) -> torch.export.ExportedProgram:
    args, kwargs = case.inputs(EXPORT_BATCH)
    return torch.export.export(case.model, args, kwargs, dynamic_shapes=_dynamic_shapes(case))


@pytest.mark.parametrize("name", STATELESS)
def test_torch_export(name: str) -> None:
    case = _build(name)
    program = _export(case).module()
    _check_against_eager(case, lambda a: program(*a[0], **a[1]))


def test_torch_export_strict_attached_learned() -> None:
    case = _build("attached_learned")
    args, _ = case.inputs(EXPORT_BATCH)
    shapes = {"input": {1: torch.export.Dim("batch", min=2, max=256)}}
    program = torch.export.export(case.model, args, dynamic_shapes=shapes, strict=True).module()
    _check_against_eager(case, lambda a: program(*a[0]))


def test_torch_export_of_a_stateful_recurrent_raises_export_error() -> None:
    case, twin = _build("recurrent_stateful"), _build("recurrent_stateful")
    (x,), _ = case.inputs(EXPORT_BATCH)
    with pytest.raises(ExportError, match="stateful Recurrent.*stateful = False"):
        torch.export.export(case.model, (x,))
    # strict mode traces with dynamo, which wraps the error in its own, message kept
    with pytest.raises(Exception, match="cannot capture a stateful Recurrent"):
        torch.export.export(case.model, (x,), strict=True)
    assert case.model.carried_state is None  # the failed capture carried nothing
    # what the message says: capture one stateless step and carry the state yourself
    case.model.stateful = False
    with torch.no_grad():
        state = case.model.initial_state(like=x)
    program = torch.export.export(case.model, (x, state)).module()
    with torch.no_grad():
        for k in range(3):
            out, state = program(x + k, state)
            _assert_close(out, twin.model(x + k)[0])  # the stateful twin, eager


# ---- torch.jit.trace ------------------------------------------------------------------------


def _trace(case: Case) -> torch.jit.ScriptModule:
    args, kwargs = case.inputs(EXPORT_BATCH)
    # TracerWarnings come from shape checks (torch's check_hidden_size, rnninit's context
    # check): they hold at every batch size, which the comparison at OTHER_BATCH confirms
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        if kwargs:
            return torch.jit.trace(case.model, example_kwarg_inputs={"input": args[0], **kwargs})
        return torch.jit.trace(case.model, args)


@pytest.mark.parametrize("name", STATELESS)
def test_torch_jit_trace(name: str) -> None:
    case = _build(name)
    traced = _trace(case)
    _check_against_eager(case, lambda a: traced(*a[0], **a[1]))


def test_torch_jit_trace_of_a_stateful_recurrent_raises_export_error() -> None:
    case = _build("recurrent_stateful")
    with pytest.raises(ExportError, match="torch.jit.trace cannot capture a stateful Recurrent"):
        torch.jit.trace(case.model, case.inputs(EXPORT_BATCH)[0])


# ---- torch.jit.script -----------------------------------------------------------------------


class Net(nn.Module):
    """A user's model around a recurrent module: what TorchScript users script (in torch 2.13
    a bare scripted nn.LSTM/GRU has only its overloads ``forward__0``/``forward__1``, no
    callable ``forward``; inside a scripted module the call resolves them)."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


@pytest.mark.parametrize("name", ROWS)
def test_torch_jit_script(name: str) -> None:
    case = _build(name)
    if case.scriptable:
        net = Net(case.model)
        scripted = torch.jit.script(net)
        for n in (EXPORT_BATCH, OTHER_BATCH):
            (x,), _ = case.inputs(n)
            with torch.no_grad():
                _assert_close(scripted(x), net(x))
        return
    for target in (case.model, Net(case.model)):  # itself, and inside a user's model
        with pytest.raises(ExportError, match="torch.jit.script cannot compile") as caught:
            torch.jit.script(target)
        message = str(caught.value)
        assert "torch.jit.trace" in message and "Export and compilation" in message
        assert isinstance(caught.value, RnnInitError)


class WithState(nn.Module):
    """A scripted model that passes the LSTM's state itself."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(
        self, x: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        return self.rnn(x, hx)


def test_torch_jit_script_after_remove_initial_state_with_the_state_passed() -> None:
    """The alternative the ExportError names: script without the hook, pass hx yourself."""
    case = _build("attached_learned")
    expected = []
    for n in (EXPORT_BATCH, OTHER_BATCH):
        (x,), _ = case.inputs(n)
        with torch.no_grad():
            expected.append((x, case.model.initial_state(like=x), case.model(x)))
    scripted = torch.jit.script(WithState(remove_initial_state(case.model)))
    for x, hx, want in expected:
        with torch.no_grad():
            _assert_close(scripted(x, hx), want)


# ---- ONNX + onnxruntime ---------------------------------------------------------------------


def _run_onnx(path: Path, case: Case, seqs: tuple[int, int] = (SEQ, SEQ)) -> None:
    """onnxruntime's outputs match eager at both batch sizes (at ``seqs`` steps)."""
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert len(names) == (2 if case.conditional else 1), names  # the state is not an input
    for n, seq in zip((EXPORT_BATCH, OTHER_BATCH), seqs, strict=True):
        args, kwargs = case.inputs(n, seq)
        feed = {k: v.numpy() for k, v in zip(names, [*args, *kwargs.values()], strict=True)}
        got = [torch.from_numpy(o) for o in session.run(None, feed)]
        _assert_close(got, _eager(case, n, seq))


@pytest.mark.parametrize("name", STATELESS)
def test_onnx_dynamo_onnxruntime(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnxscript")
    case = _build(name)
    args, kwargs = case.inputs(EXPORT_BATCH)
    path = tmp_path / "model.onnx"
    torch.onnx.export(
        case.model,
        args,
        str(path),
        kwargs=kwargs,
        dynamo=True,
        dynamic_shapes=_dynamic_shapes(case),
        verbose=False,
    )
    _run_onnx(path, case)


@pytest.mark.parametrize("name", STATELESS)
def test_onnx_legacy_onnxruntime(name: str, tmp_path: Path) -> None:
    case = _build(name)
    args, kwargs = case.inputs(EXPORT_BATCH)
    names = ["input", *kwargs]
    steps = {case.batch_dim: "batch", 1 - case.batch_dim: "steps"}  # ONNX's LSTM/GRU ops
    axes = {"input": steps, **{k: {0: "batch"} for k in kwargs}}
    path = tmp_path / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            case.model,
            (*args, kwargs) if kwargs else args,
            str(path),
            dynamo=False,
            input_names=names,
            dynamic_axes=axes,
        )
    _run_onnx(path, case, seqs=(SEQ, SEQ + 3))  # the sequence length is dynamic too


def test_onnx_export_of_a_stateful_recurrent_raises_export_error(tmp_path: Path) -> None:
    pytest.importorskip("onnxscript")
    case = _build("recurrent_stateful")
    args = case.inputs(EXPORT_BATCH)[0]
    with pytest.raises(ExportError, match="torch.jit.trace cannot capture a stateful"):
        torch.onnx.export(case.model, args, str(tmp_path / "a.onnx"), dynamo=False)
    # dynamo=True runs torch.export and wraps the error in its own; ours is the cause
    with pytest.raises(Exception, match="stateful = False") as caught:
        torch.onnx.export(case.model, args, str(tmp_path / "b.onnx"), dynamo=True)
    assert isinstance(caught.value.__cause__, ExportError)
