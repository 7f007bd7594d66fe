"""Contract tests for three core modules whose mutants survived: ``rnninit.errors`` (exact
messages, the nearest-name suggestion, ``shown``, ``check_int``, the caller a warning is
attributed to), ``rnninit.layouts`` (PyTorch's own classes: every gate block that
``rnninit.gates`` lists is checked against the rows of the real Parameter, sliced by PyTorch's
documented layout, over a grid of configurations) and ``rnninit.schemes`` (weights under
``torch.nn.utils.parametrize`` and the legacy ``weight_norm``: refusals with their full message,
which tensors are written, the tolerance of the write check).

Every expectation is written out here (names, messages, row slices); none is read back from
the code under test.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrizations, parametrize

import rnninit
from rnninit import errors
from rnninit.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    KerasConversionError,
    LayoutError,
    RnnInitError,
    SchemeError,
    SchemeWarning,
    UnknownNameError,
    check_int,
    nearest,
    shown,
    warn_caller,
)
from rnninit.initializers import Init
from rnninit.layouts import Declaration, GateBlock, Layout, ParamRef, layout_of, parameters_of
from rnninit.layouts._registry import declaration_of, register_layout
from rnninit.schemes._parametrized import check_writable, write_effective

# === errors.py ================================================================================


def test_unknown_name_error_sorts_dedups_and_suggests() -> None:
    err = UnknownNameError("scheme", "orthogonl", ["orthogonal", "keras", "orthogonal", "chrono"])
    expected = (
        "scheme='orthogonl' is not known; valid: chrono, keras, orthogonal. "
        "Did you mean 'orthogonal'?"
    )
    assert str(err) == expected
    assert err.args == (expected,)
    assert (err.argument, err.given, err.valid, err.suggestion) == (
        "scheme",
        "orthogonl",
        ["chrono", "keras", "orthogonal"],
        "orthogonal",
    )
    assert isinstance(err, KeyError) and isinstance(err, RnnInitError)


def test_unknown_name_error_without_a_close_name_has_no_hint() -> None:
    err = UnknownNameError("gate", "q", ("o", "i", "g", "f"))
    assert str(err) == "gate='q' is not known; valid: f, g, i, o"
    assert (err.argument, err.given, err.valid, err.suggestion) == (
        "gate",
        "q",
        ["f", "g", "i", "o"],
        None,
    )


def test_unknown_name_error_matches_the_str_of_a_non_string_given() -> None:
    err = UnknownNameError("num_layers", 3, ["30", "3"])
    assert str(err) == "num_layers=3 is not known; valid: 3, 30. Did you mean '3'?"
    assert (err.given, err.suggestion) == (3, "3")


@pytest.mark.parametrize(
    ("given", "valid", "expected"),
    [
        ("abcd", ["abxy"], "abxy"),  # difflib ratio exactly 0.5: the cutoff is inclusive
        ("abcde", ["abxyz"], None),  # ratio 0.4: below the cutoff
        ("abc", ["zzzz", "abxy"], "abxy"),  # ratio 0.57 (would miss a 0.6 cutoff)
        ("xavier_unifrom", ["xavier_normal", "orthogonal", "xavier_uniform"], "xavier_uniform"),
        ("kera", {"chrono": 1, "keras": 2}.keys(), "keras"),  # any iterable of names
        ("zzz", [], None),
    ],
)
def test_nearest_uses_a_half_ratio_cutoff_and_returns_the_best(
    given: str, valid: Any, expected: str | None
) -> None:
    assert nearest(given, valid) == expected


def test_unknown_name_error_hint_at_the_cutoff() -> None:
    assert str(UnknownNameError("x", "abcd", ["abxy"])) == (
        "x='abcd' is not known; valid: abxy. Did you mean 'abxy'?"
    )
    assert str(UnknownNameError("x", "abcde", ["abxyz"])) == (
        "x='abcde' is not known; valid: abxyz"
    )


def test_argument_type_error_formats_argument_value_type_and_expected() -> None:
    err = ArgumentTypeError("module", "lstm", "a torch.nn.Module")
    assert str(err) == "module='lstm' (str) is not valid; expected a torch.nn.Module"
    assert (err.argument, err.given, err.expected) == ("module", "lstm", "a torch.nn.Module")
    assert isinstance(err, TypeError)
    none = ArgumentTypeError("hidden_size", None, "an int")  # None is a value, not "unset"
    assert str(none) == "hidden_size=None (NoneType) is not valid; expected an int"
    assert (none.argument, none.given, none.expected) == ("hidden_size", None, "an int")
    bare = ArgumentTypeError("steps", 2.5)  # expected defaults to nothing
    assert str(bare) == "steps=2.5 (float) is not valid"
    assert bare.expected == ""


def test_argument_type_error_with_a_whole_message() -> None:
    err = ArgumentTypeError("generator must be a torch.Generator, got 5")
    assert str(err) == "generator must be a torch.Generator, got 5"
    assert (err.argument, err.given, err.expected) == ("", None, "")


def test_keras_conversion_error_message_and_fields() -> None:
    err = KerasConversionError("GRU(3, 2)", "reset_after", False, "PyTorch's GRU resets after")
    assert str(err) == "GRU(3, 2): reset_after=False: PyTorch's GRU resets after"
    assert (err.where, err.setting, err.given, err.reason) == (
        "GRU(3, 2)",
        "reset_after",
        False,
        "PyTorch's GRU resets after",
    )
    assert isinstance(err, ValueError)


class Omega:
    """A value with a long repr whose type name starts with an upper-case vowel."""

    def __repr__(self) -> str:
        return "Omega(" + "w" * 40 + ")"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * 38, "'" + "x" * 38 + "'"),  # repr of 40 characters: shown as is
        ("x" * 39, "a str"),  # 41 characters: the type name
        (5, "5"),
        (list(range(30)), "a list"),
        (10**50, "an int"),
        (Omega(), "an Omega"),
        ({"k": "v" * 40}, "a dict"),
    ],
    ids=["str-40", "str-41", "int-short", "list", "int-long", "vowel-class", "dict"],
)
def test_shown_is_the_repr_up_to_forty_characters_else_the_type(
    value: object, expected: str
) -> None:
    assert shown(value) == expected


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("n", 0), {}, ArgumentValueError, "n must be an int >= 1, got 0"),
        (("n", -3), {"none_ok": True}, ArgumentValueError, "n must be an int >= 1 or None, got -3"),
        (("k", 4), {"minimum": 5}, ArgumentValueError, "k must be an int >= 5, got 4"),
        (("n", True), {}, ArgumentTypeError, "n must be an int >= 1, got True (bool)"),
        (("n", 2.0), {}, ArgumentTypeError, "n must be an int >= 1, got 2.0 (float)"),
        (("n", None), {}, ArgumentTypeError, "n must be an int >= 1, got None (NoneType)"),
        (
            ("seq_len", "x" * 50),
            {"minimum": 2, "none_ok": True},
            ArgumentTypeError,
            "seq_len must be an int >= 2 or None, got a str (str)",
        ),
    ],
    ids=["zero", "negative-none-ok", "below-minimum", "bool", "float", "none", "long-str"],
)
def test_check_int_refusals(
    args: tuple[str, object], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        check_int(*args, **kwargs)
    assert type(info.value) is error
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("n", 1), {}),  # the default minimum is 1, inclusive
        (("k", 5), {"minimum": 5}),
        (("k", 0), {"minimum": 0}),
        (("n", None), {"none_ok": True}),
        (("n", 10**6), {"none_ok": True}),
    ],
    ids=["one-at-default-minimum", "at-minimum", "zero-minimum", "none-ok", "large"],
)
def test_check_int_accepts(args: tuple[str, object], kwargs: dict[str, Any]) -> None:
    assert check_int(*args, **kwargs) is None


_PACKAGE_DIR = os.path.dirname(os.path.abspath(errors.__file__))
_Call = tuple[object, object, object, list[FrameType]]


@pytest.fixture
def warn_calls(monkeypatch: pytest.MonkeyPatch) -> list[_Call]:
    """Replace ``warnings.warn`` by a spy recording its arguments and the calling stack."""
    calls: list[_Call] = []

    def spy(message: object, category: object = None, stacklevel: object = 1, **_: object) -> None:
        chain: list[FrameType] = []
        frame: FrameType | None = sys._getframe(1)  # the frame that called warnings.warn
        while frame is not None:
            chain.append(frame)
            frame = frame.f_back
        calls.append((message, category, stacklevel, chain))

    monkeypatch.setattr(warnings, "warn", spy)
    return calls


def _in_package(frame: FrameType) -> bool:
    return os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep)


def _first_level_outside(chain: list[FrameType]) -> int:
    """The ``stacklevel`` that attributes a warning issued in ``chain[0]`` to the first frame
    above it outside the rnninit package (``stacklevel=1`` is ``chain[0]`` itself)."""
    k = 1
    while _in_package(chain[k]):
        k += 1
    return k + 1


def _from_inside_the_package() -> Callable[..., object]:
    """A function whose code claims a file inside the rnninit package (as a library frame)."""
    namespace: dict[str, Any] = {}
    source = "def call(fn, *args):\n    return fn(*args)\n"
    exec(compile(source, os.path.join(_PACKAGE_DIR, "_caller_probe.py"), "exec"), namespace)
    return namespace["call"]  # type: ignore[no-any-return]


def _warn_directly() -> None:
    warn_caller("careful", SchemeWarning)


def _warn_via_a_library_frame() -> None:
    _from_inside_the_package()(warn_caller, "careful", SchemeWarning)


@pytest.mark.parametrize("path", [_warn_directly, _warn_via_a_library_frame])
def test_warn_caller_skips_every_library_frame(
    warn_calls: list[_Call], path: Callable[[], None]
) -> None:
    path()
    assert len(warn_calls) == 1
    message, category, stacklevel, chain = warn_calls[0]
    assert (message, category) == ("careful", SchemeWarning)
    assert stacklevel == _first_level_outside(chain)


def test_warn_caller_through_init_points_past_rnninit(warn_calls: list[_Call]) -> None:
    rnninit.init_(nn.LSTM(3, 3), "irnn", generator=torch.Generator().manual_seed(0))
    assert len(warn_calls) == 1
    message, category, stacklevel, chain = warn_calls[0]
    assert message == (
        "scheme 'irnn' was designed for RNN:relu layers; applying it to the module (LSTM)"
    )
    assert category is SchemeWarning
    assert stacklevel == _first_level_outside(chain)  # init_ and its helpers are skipped


def test_warn_caller_emits_the_message_outside_the_package() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_via_a_library_frame()
    assert [(w.category, str(w.message)) for w in caught] == [(SchemeWarning, "careful")]
    assert not os.path.abspath(caught[0].filename).startswith(_PACKAGE_DIR + os.sep)


# === torch_layouts.py =========================================================================

IN, HID, PROJ = 7, 4, 3  # input, hidden and projection sizes: no two coincide
_GATES = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n"), "RNN": ("h",)}
_CLASSES: dict[str, type[nn.RNNBase]] = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
_CELLS: dict[str, type[nn.RNNCellBase]] = {
    "RNN": nn.RNNCell,
    "GRU": nn.GRUCell,
    "LSTM": nn.LSTMCell,
}


def _distinct_values(module: nn.Module) -> None:
    """Every entry of every Parameter a different number, so equal slices are the same rows."""
    offset = 0
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.arange(offset, offset + p.numel(), dtype=p.dtype).reshape(p.shape))
            offset += p.numel()


def _expected_blocks(
    family: str, layers: int, dirs: int, bias: bool, proj: int, cell: bool
) -> list[tuple[str, int, int, str, str | None, int, int]]:
    """PyTorch's documented names and row blocks: (name, layer, direction, kind, gate, rows)."""
    out = []
    for layer in range(layers):
        for d in range(dirs):
            suffix = "" if cell else f"_l{layer}{'_reverse' if d else ''}"
            kinds = [("weight_ih", "input"), ("weight_hh", "recurrent")]
            if bias:
                kinds += [("bias_ih", "bias_ih"), ("bias_hh", "bias_hh")]
            for prefix, kind in kinds:
                for j, gate in enumerate(_GATES[family]):
                    out.append((prefix + suffix, layer, d, kind, gate, j * HID, (j + 1) * HID))
            if proj:
                out.append((f"weight_hr{suffix}", layer, d, "projection", None, 0, proj))
    return out


def _sequence_grid() -> Iterator[Any]:
    for family in ("RNN", "GRU", "LSTM"):
        for layers in (1, 2, 3):
            for bidirectional in (False, True):
                for bias in (True, False):
                    for proj in (0, PROJ) if family == "LSTM" else (0,):
                        for nonlin in ("tanh", "relu") if family == "RNN" else (None,):
                            yield pytest.param(
                                family, layers, bidirectional, bias, proj, nonlin,
                                id=f"{family}-{nonlin or ''}-L{layers}-bi{int(bidirectional)}"
                                f"-bias{int(bias)}-proj{proj}",
                            )  # fmt: skip


def _assert_blocks_are_raw_rows(module: nn.Module, family: str, expected: list[Any]) -> None:
    """``rnninit.gates(module)`` lists exactly ``expected`` (name, layer, direction, kind, gate,
    rows), and each block is a view of those rows of the raw Parameter."""
    blocks = rnninit.gates(module)
    got = [(b.param_name, b.layer, b.direction, b.kind, b.gate, b.rows.start, b.rows.stop)
           for b in blocks]  # fmt: skip
    assert got == expected
    raw = dict(module.named_parameters())
    for b, (name, *_, start, stop) in zip(blocks, expected, strict=True):
        rows = raw[name][start:stop]
        assert torch.equal(b.tensor, rows), b
        assert b.tensor.data_ptr() == rows.data_ptr() and b.tensor.shape == rows.shape
        assert (b.family, b.module_name, b.live, b.columns) == (family, "", True, False)


@pytest.mark.parametrize(
    ("family", "layers", "bidirectional", "bias", "proj", "nonlin"), list(_sequence_grid())
)
def test_gates_of_a_sequence_module_are_its_documented_row_blocks(
    family: str, layers: int, bidirectional: bool, bias: bool, proj: int, nonlin: str | None
) -> None:
    kwargs: dict[str, Any] = {"num_layers": layers, "bidirectional": bidirectional, "bias": bias}
    if proj:
        kwargs["proj_size"] = proj
    if nonlin is not None:
        kwargs["nonlinearity"] = nonlin
    batch_first = layers == 2
    module = _CLASSES[family](IN, HID, batch_first=batch_first, **kwargs)
    _distinct_values(module)
    dirs = 2 if bidirectional else 1
    expected = _expected_blocks(family, layers, dirs, bias, proj, cell=False)
    # the model of PyTorch's names agrees with PyTorch itself
    assert {e[0] for e in expected} == {n for n, _ in module.named_parameters()}
    _assert_blocks_are_raw_rows(module, family, expected)
    h_out = proj or HID
    assert layout_of(module) == Layout(
        family, nonlin, False, IN, HID, proj, layers, dirs, bias, batch_first
    )
    assert layout_of(module).hidden_out == h_out


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    ("family", "nonlin"), [("RNN", "tanh"), ("RNN", "relu"), ("GRU", None), ("LSTM", None)]
)
def test_gates_of_a_cell_are_its_documented_row_blocks(
    family: str, nonlin: str | None, bias: bool
) -> None:
    extra = {"nonlinearity": nonlin} if nonlin else {}
    cell = _CELLS[family](IN, HID, bias=bias, **extra)
    _distinct_values(cell)
    expected = _expected_blocks(family, 1, 1, bias, 0, cell=True)
    assert {e[0] for e in expected} == {n for n, _ in cell.named_parameters()}
    _assert_blocks_are_raw_rows(cell, family, expected)
    assert layout_of(cell) == Layout(family, nonlin, True, IN, HID, 0, 1, 1, bias, False)


_SEQ_SWITCHES = {"bias_ih": "bias", "bias_hh": "bias"}


def _torch_sequence(family: str, nonlin: str | None) -> Declaration:
    return Declaration(
        family,
        _GATES[family],
        input="weight_ih_l{layer}{direction}",
        recurrent="weight_hh_l{layer}{direction}",
        bias_ih="bias_ih_l{layer}{direction}",
        bias_hh="bias_hh_l{layer}{direction}",
        projection="weight_hr_l{layer}{direction}" if family == "LSTM" else None,
        nonlinearity=nonlin,
        step="sequence",
        directions=("", "_reverse"),
        switches=(
            {"bias_ih": "bias", "bias_hh": "bias", "projection": "proj_size"}
            if family == "LSTM"
            else _SEQ_SWITCHES
        ),
    )


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (nn.RNN(IN, HID), _torch_sequence("RNN", "tanh")),
        (nn.RNN(IN, HID, nonlinearity="relu"), _torch_sequence("RNN", "relu")),
        (nn.GRU(IN, HID, bias=False), _torch_sequence("GRU", None)),
        (nn.LSTM(IN, HID, proj_size=PROJ), _torch_sequence("LSTM", None)),
        (nn.LSTM(IN, HID), _torch_sequence("LSTM", None)),
    ],
    ids=["rnn-tanh", "rnn-relu", "gru", "lstm-proj", "lstm"],
)
def test_declaration_of_a_torch_sequence_class(module: nn.Module, expected: Declaration) -> None:
    assert declaration_of(module) == expected  # every field, switches included


@pytest.mark.parametrize(
    ("module", "family", "nonlin"),
    [
        (nn.RNNCell(IN, HID), "RNN", "tanh"),
        (nn.RNNCell(IN, HID, nonlinearity="relu"), "RNN", "relu"),
        (nn.GRUCell(IN, HID), "GRU", None),
        (nn.LSTMCell(IN, HID, bias=False), "LSTM", None),
    ],
    ids=["rnncell-tanh", "rnncell-relu", "grucell", "lstmcell"],
)
def test_declaration_of_a_torch_cell_class(
    module: nn.Module, family: str, nonlin: str | None
) -> None:
    assert declaration_of(module) == Declaration(
        family,
        _GATES[family],
        input="weight_ih",
        recurrent="weight_hh",
        bias_ih="bias_ih",
        bias_hh="bias_hh",
        nonlinearity=nonlin,
        step="cell",
        switches={"bias_ih": "bias", "bias_hh": "bias"},
    )


class _TwoChunkCell(nn.RNNCellBase):
    def __init__(self) -> None:
        super().__init__(2, 3, bias=True, num_chunks=2)


class _NoModeGRU(nn.GRU):
    def __getattribute__(self, name: str) -> Any:
        if name == "mode":
            raise AttributeError(name)
        return super().__getattribute__(name)


def test_unsupported_torch_modes_and_cells_are_layout_errors() -> None:
    gru = nn.GRU(2, 3)
    gru.mode = "RNN_SIGMOID"
    with pytest.raises(LayoutError) as info:
        rnninit.gates(gru)
    assert str(info.value) == "unsupported RNN mode 'RNN_SIGMOID' in GRU"
    with pytest.raises(LayoutError) as info:
        rnninit.gates(_NoModeGRU(2, 3))
    assert str(info.value) == "unsupported RNN mode None in _NoModeGRU"
    with pytest.raises(LayoutError) as info:
        rnninit.gates(nn.Sequential(_TwoChunkCell()))
    assert str(info.value) == (
        "unsupported recurrent cell type _TwoChunkCell: declare its layout with "
        "rnninit.register_layout"
    )


BIG = 60.0  # sigmoid(+-60) is exactly 1 / 0 in float32


def _bias_blocks(module: nn.Module, gate: str) -> list[GateBlock]:
    return [b for b in rnninit.gates(module) if b.kind == "bias_ih" and b.gate == gate]


def _prepare(module: nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5 if "weight" in name else 0.0)


def _saturate(module: nn.Module, gate: str, value: float) -> int:
    blocks = _bias_blocks(module, gate)
    with torch.no_grad():
        for b in blocks:
            b.tensor.fill_(value)
    return len(blocks)


@pytest.mark.parametrize(
    ("module", "keep"),
    [
        (nn.LSTMCell(IN, HID), "f"),
        (nn.GRUCell(IN, HID), "z"),
        (nn.RNNCell(IN, HID), None),
        (nn.LSTM(IN, HID, num_layers=3, bidirectional=True, proj_size=PROJ), "f"),
        (nn.GRU(IN, HID, num_layers=3, bidirectional=True, batch_first=True), "z"),
    ],
    ids=["lstmcell", "grucell", "rnncell", "lstm-3-bi-proj", "gru-3-bi-bf"],
)
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported:UserWarning")
def test_keep_gate_by_name_and_by_behaviour(module: nn.Module, keep: str | None) -> None:
    lay = layout_of(module)
    assert lay.keep_gate == keep
    if keep is None:
        assert [b.gate for b in rnninit.gates(module)] == ["h"] * 4
        return
    _prepare(module, seed=3)
    dirs, layers = lay.num_directions, lay.num_layers
    assert _saturate(module, keep, BIG) == layers * dirs  # one block per layer and direction
    if keep == "f":
        assert _saturate(module, "i", -BIG) == layers * dirs  # nothing written into c
    g = torch.Generator().manual_seed(5)
    if lay.is_cell:
        x = torch.randn(2, IN, generator=g)
        h0, c0 = torch.randn(2, HID, generator=g), torch.randn(2, HID, generator=g)
        if keep == "f":
            _, c1 = module(x, (h0, c0))
            torch.testing.assert_close(c1, c0)  # f = 1, i = 0: c kept
        else:
            torch.testing.assert_close(module(x, h0), h0)  # z = 1: h kept (z keeps, not 1 - z)
    else:
        x = torch.randn(2, 5, IN, generator=g)
        x = x if lay.batch_first else x.transpose(0, 1)
        h0 = torch.randn(layers * dirs, 2, lay.hidden_out, generator=g)
        if keep == "f":
            c0 = torch.randn(layers * dirs, 2, HID, generator=g)
            _, (_, cn) = module(x, (h0, c0))
            torch.testing.assert_close(cn, c0)
        else:
            _, hn = module(x, h0)
            torch.testing.assert_close(hn, h0)
    # the inverted role: the keep gate shut replaces the state (for the GRU, with r shut too,
    # h' = n does not depend on h at all)
    _saturate(module, keep, -BIG)
    _saturate(module, "r" if keep == "z" else "i", -BIG if keep == "z" else BIG)
    if lay.is_cell:
        x = torch.randn(2, IN, generator=g)
        h_a, h_b = torch.randn(2, HID, generator=g), torch.randn(2, HID, generator=g)
        if keep == "f":
            c_a, c_b = torch.randn(2, HID, generator=g), torch.randn(2, HID, generator=g)
            _, out_a = module(x, (h_a, c_a))
            _, out_b = module(x, (h_a, c_b))  # same h, other c: c' = i * g only
        else:
            out_a, out_b = module(x, h_a), module(x, h_b)
        torch.testing.assert_close(out_a, out_b)
        assert not torch.allclose(out_a, torch.zeros_like(out_a))


# === parametrized.py ==========================================================================

_FIX = (
    "initialize {local} before registering the parametrization (rnninit.init_ then "
    "torch.nn.utils.parametrize / parametrizations.*), or exclude this layer with exclude="
)


def _orthogonal_message(name: str, local: str, what: str, kind: str) -> str:
    return (
        f"{name} has an orthogonal parametrization (torch.nn.utils.parametrizations.orthogonal), "
        f"which can only hold an orthogonal matrix, but the scheme writes {what} into it, which "
        f"is not orthogonal as a whole; {_FIX.format(local=local)}, or pass {kind}='orthogonal' "
        f"with whole=('{kind}',)"
    )


def _ref(module: nn.Module, local: str, prefix: str = "enc") -> ParamRef:
    refs = [r for r in parameters_of(module, prefix, parametrized=True) if r.local_name == local]
    assert len(refs) == 1
    return refs[0]


def _legacy_weight_norm(module: nn.Module, name: str, dim: int = 0) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.weight_norm(module, name, dim=dim)


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _unchanged(module: nn.Module, before: dict[str, torch.Tensor]) -> bool:
    after = _snapshot(module)
    return after.keys() == before.keys() and all(torch.equal(before[k], after[k]) for k in after)


def _lstm_orth(local: str, **kwargs: Any) -> nn.Module:
    torch.manual_seed(0)
    return parametrizations.orthogonal(nn.LSTM(IN, HID, **kwargs), local)


_G1 = Init("orthogonal")


@pytest.mark.parametrize(
    ("build", "local", "writes", "what", "kind"),
    [
        # one gate block of a 4-gate stack
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0", [(slice(4, 8), _G1)],
         "a per-gate stack of 4 blocks", "recurrent"),
        # two writes, even of the whole matrix
        (lambda: parametrizations.orthogonal(nn.GRU(IN, HID), "weight_hh_l0"), "weight_hh_l0",
         [(None, _G1), (None, _G1)], "a per-gate stack of 3 blocks", "recurrent"),
        # every gate of the input weight of the reverse direction of layer 1
        (lambda: _lstm_orth("weight_ih_l1_reverse", num_layers=2, bidirectional=True),
         "weight_ih_l1_reverse", [(slice(4 * j, 4 * j + 4), _G1) for j in range(4)],
         "a per-gate stack of 4 blocks", "input"),
        # a whole orthogonal matrix with a gain
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0",
         [(None, Init("orthogonal", {"gain": 2.0}))], "Init('orthogonal', gain=2.0)",
         "recurrent"),
        # a whole matrix drawn by another initializer
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0", [(None, Init("xavier_uniform"))],
         "Init('xavier_uniform')", "recurrent"),
        (lambda: _lstm_orth("weight_hr_l0", proj_size=PROJ), "weight_hr_l0",
         [(None, Init("orthogonal", {"gain": 0.5}))], "Init('orthogonal', gain=0.5)",
         "projection"),
    ],
    ids=["one-gate", "two-whole", "input-reverse", "gain", "xavier", "projection-gain"],
)  # fmt: skip
def test_check_writable_refuses_what_an_orthogonal_parametrization_cannot_hold(
    build: Callable[[], nn.Module], local: str, writes: list[Any], what: str, kind: str
) -> None:
    module = build()
    ref = _ref(module, local)
    with pytest.raises(SchemeError) as info:
        check_writable(ref, writes)
    assert str(info.value) == _orthogonal_message(f"enc.{local}", local, what, kind)


@pytest.mark.parametrize(
    ("build", "local", "writes"),
    [
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0", [(None, _G1)]),
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0",
         [(None, Init("orthogonal", {"gain": 1.0}))]),
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0", [(None, Init("identity"))]),
        # a one-gate family: its only block is the whole matrix
        (lambda: parametrizations.orthogonal(nn.RNN(IN, HID), "weight_hh_l0"), "weight_hh_l0",
         [(slice(0, HID), _G1)]),
        # the projection has no gates: given rows, it is still whole
        (lambda: _lstm_orth("weight_hr_l0", proj_size=PROJ), "weight_hr_l0",
         [(slice(0, PROJ), _G1)]),
        (lambda: _lstm_orth("weight_hh_l0"), "weight_hh_l0", []),  # nothing to write
    ],
    ids=["whole", "gain-1", "identity", "rnn-block", "projection-rows", "no-writes"],
)  # fmt: skip
def test_check_writable_accepts_a_whole_orthogonal_matrix(
    build: Callable[[], nn.Module], local: str, writes: list[Any]
) -> None:
    assert check_writable(_ref(build(), local), writes) is None


class _NoInverse(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2.0 * x


class _Offset(nn.Module):
    """``w = original + delta``, with a ``right_inverse`` that ignores ``delta`` (inexact)."""

    def __init__(self, delta: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("delta", delta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.delta

    def right_inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x


class _Scale(nn.Module):
    """``w = factor * original``, with an exact ``right_inverse`` unless ``exact=False``."""

    def __init__(self, factor: float, exact: bool = True) -> None:
        super().__init__()
        self.factor, self.exact = factor, exact

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.factor * x

    def right_inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x / self.factor if self.exact else x


def test_a_parametrization_without_right_inverse_is_refused_by_name() -> None:
    gru = nn.GRU(IN, HID, num_layers=2)
    parametrize.register_parametrization(gru, "weight_hh_l1", _Scale(2.0))
    parametrize.register_parametrization(gru, "weight_hh_l1", _NoInverse())
    ref = _ref(gru, "weight_hh_l1")
    assert check_writable(ref, []) is None  # nothing to write: nothing to refuse
    with pytest.raises(SchemeError) as info:
        check_writable(ref, [(None, Init("zeros"))])
    assert str(info.value) == (
        "enc.weight_hh_l1 has a parametrization (_NoInverse) without right_inverse, so its "
        "effective weight cannot be set; " + _FIX.format(local="weight_hh_l1")
    )


def test_check_writable_ignores_weights_outside_parametrize() -> None:
    legacy = _legacy_weight_norm(nn.LSTM(IN, HID), "weight_hh_l0")
    bad = [(slice(0, HID), Init("xavier_uniform")), (None, Init("orthogonal", {"gain": 3.0}))]
    assert check_writable(_ref(legacy, "weight_hh_l0"), bad) is None  # legacy weight_norm
    assert check_writable(_ref(legacy, "weight_ih_l0"), bad) is None  # a plain Parameter


def test_init_refuses_a_projection_under_orthogonal_before_writing() -> None:
    lstm = _lstm_orth("weight_hr_l0", proj_size=PROJ)
    model = nn.ModuleDict({"enc": lstm})
    before, rng = _snapshot(model), torch.get_rng_state()
    with pytest.raises(SchemeError) as info:
        rnninit.init_(model, "keras", generator=torch.Generator().manual_seed(1))
    assert str(info.value) == _orthogonal_message(
        "enc.weight_hr_l0", "weight_hr_l0", "Init('xavier_uniform')", "projection"
    )
    assert _unchanged(model, before) and torch.equal(rng, torch.get_rng_state())


@pytest.mark.parametrize(
    ("builder", "local", "wrap"),
    [
        (lambda: nn.RNN(IN, HID, num_layers=2), "weight_hh_l1", "orthogonal"),
        (lambda: nn.LSTM(IN, HID, proj_size=PROJ), "weight_hr_l0", "orthogonal"),
        (lambda: nn.GRU(IN, HID, num_layers=2, bidirectional=True), "weight_ih_l1_reverse",
         "weight_norm"),
        (lambda: nn.LSTMCell(IN, HID), "weight_hh", "weight_norm"),
        (lambda: nn.GRU(IN, HID, bidirectional=True), "weight_hh_l0_reverse", "legacy"),
        (lambda: nn.RNNCell(IN, HID, nonlinearity="relu"), "weight_ih", "legacy"),
    ],
    ids=["rnn-orth", "lstm-proj-orth", "gru-rev-wn", "lstmcell-wn", "gru-rev-legacy",
         "rnncell-legacy"],
)  # fmt: skip
def test_init_gives_a_parametrized_weight_the_plain_value(
    builder: Callable[[], nn.Module], local: str, wrap: str
) -> None:
    """Same seed, same draws: the effective weight is the plain module's Parameter."""
    torch.manual_seed(0)
    module = builder()
    if wrap == "orthogonal":
        module = parametrizations.orthogonal(module, local)
    elif wrap == "weight_norm":
        module = parametrizations.weight_norm(module, local)
    else:
        module = _legacy_weight_norm(module, local)
    rng = torch.get_rng_state()
    rnninit.init_(module, "orthogonal", generator=torch.Generator().manual_seed(7))
    assert torch.equal(rng, torch.get_rng_state())  # nothing drawn from the global RNG
    plain = builder()
    rnninit.init_(plain, "orthogonal", generator=torch.Generator().manual_seed(7))
    for name, p in plain.named_parameters():
        effective = getattr(module, name)
        assert torch.allclose(effective, p, atol=1e-5), name
    if wrap == "legacy":  # the hook's cached weight, read before any forward, is the new one
        torch.testing.assert_close(getattr(module, local), getattr(plain, local))


def test_write_effective_through_parametrize_weight_norm_writes_its_originals() -> None:
    gru = parametrizations.weight_norm(nn.GRU(IN, HID), "weight_hh_l0")
    g = torch.Generator().manual_seed(2)
    target = torch.randn(3 * HID, HID, generator=g)
    write_effective(_ref(gru, "weight_hh_l0"), target)
    originals = gru.parametrizations.weight_hh_l0
    torch.testing.assert_close(originals.original1, target)  # v = w
    torch.testing.assert_close(originals.original0, target.norm(dim=1, keepdim=True))  # g = |w|
    torch.testing.assert_close(gru.weight_hh_l0, target)


def test_write_effective_through_orthogonal_keeps_the_global_rng() -> None:
    lstm = _lstm_orth("weight_hh_l0")
    q, _ = torch.linalg.qr(torch.randn(4 * HID, HID, generator=torch.Generator().manual_seed(4)))
    rng = torch.get_rng_state()
    write_effective(_ref(lstm, "weight_hh_l0"), q)
    assert torch.equal(rng, torch.get_rng_state())
    torch.testing.assert_close(lstm.weight_hh_l0, q, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dim", [0, 1])
def test_write_effective_under_legacy_weight_norm_writes_v_g_and_the_weight(dim: int) -> None:
    cell = _legacy_weight_norm(nn.GRUCell(IN, HID), "weight_ih", dim=dim)
    target = torch.randn(3 * HID, IN, generator=torch.Generator().manual_seed(6))
    write_effective(_ref(cell, "weight_ih"), target)
    torch.testing.assert_close(cell.weight_ih_v, target)
    norms = target.norm(dim=1 - dim, keepdim=True)  # dim=0: one norm per row
    torch.testing.assert_close(cell.weight_ih_g, norms)
    torch.testing.assert_close(cell.weight_ih, target)  # the cached weight, before a forward


def test_write_effective_refuses_a_plain_parameter() -> None:
    lstm = nn.LSTM(IN, HID)
    before = _snapshot(lstm)
    with pytest.raises(SchemeError) as info:
        write_effective(_ref(lstm, "weight_hh_l0"), torch.zeros(4 * HID, HID))
    assert str(info.value) == "enc.weight_hh_l0 is a plain Parameter; write it directly"
    assert _unchanged(lstm, before)


def _offset_gru(delta: torch.Tensor) -> nn.Module:
    gru = nn.GRU(IN, HID)
    parametrize.register_parametrization(gru, "weight_hh_l0", _Offset(delta))
    return gru


def _differs_message(name: str, local: str, kind: str) -> str:
    return (
        f"{name}: after writing through its parametrization ({kind}) the effective weight "
        "differs from the scheme's value (a right_inverse that is not exact, or a zero row "
        f"under weight norm); nothing was changed. {_FIX.format(local=local)}"
    )


def _target(peak: float) -> torch.Tensor:
    t = torch.zeros(3 * HID, HID)
    t[0, 0] = peak
    t[5, 2] = -0.25
    return t


@pytest.mark.parametrize(
    ("peak", "row", "col", "error", "accepted"),
    [
        # at an entry 0, the tolerance is 1e-5 * max(1, max|target|)
        (0.5, 1, 1, 0.5e-5, True),
        (0.5, 1, 1, 1.5e-5, False),
        (1000.0, 1, 1, 5e-3, True),  # 1e-5 * 1000 = 1e-2
        (1000.0, 1, 1, 2e-2, False),
        # at the entry 0.5: 1e-5 + 1e-4 * 0.5 = 6e-5
        (0.5, 0, 0, 3e-5, True),
        (0.5, 0, 0, 1e-4, False),
    ],
)
def test_write_effective_tolerance(
    peak: float, row: int, col: int, error: float, accepted: bool
) -> None:
    delta = torch.zeros(3 * HID, HID)
    delta[row, col] = error
    gru = _offset_gru(delta)
    target = _target(peak)
    ref = _ref(gru, "weight_hh_l0")
    if accepted:
        write_effective(ref, target)
        torch.testing.assert_close(gru.weight_hh_l0, target + delta, atol=0.0, rtol=0.0)
    else:
        with pytest.raises(SchemeError) as info:
            write_effective(ref, target)
        assert str(info.value) == _differs_message("enc.weight_hh_l0", "weight_hh_l0", "_Offset")


def test_an_inexact_chain_is_named_in_order_and_init_restores_everything() -> None:
    gru = nn.GRU(IN, HID, num_layers=2)
    parametrize.register_parametrization(gru, "weight_ih_l1", _Scale(2.0))
    parametrize.register_parametrization(gru, "weight_ih_l1", _Scale(1.5, exact=False))
    model = nn.ModuleDict({"enc": gru})
    before = _snapshot(model)
    with pytest.raises(SchemeError) as info:
        rnninit.init_(model, "orthogonal", generator=torch.Generator().manual_seed(0))
    assert str(info.value) == _differs_message("enc.weight_ih_l1", "weight_ih_l1", "_Scale, _Scale")
    assert _unchanged(model, before)


def test_a_zero_row_under_legacy_weight_norm_is_refused_and_restored() -> None:
    gru = _legacy_weight_norm(nn.GRU(IN, HID), "weight_hh_l0")
    model = nn.ModuleDict({"enc": gru})
    before = _snapshot(model)
    with pytest.raises(SchemeError) as info:
        rnninit.init_(model, "orthogonal", recurrent="zeros")
    assert str(info.value) == _differs_message(
        "enc.weight_hh_l0", "weight_hh_l0", "legacy weight_norm"
    )
    assert _unchanged(model, before)


class _AutonomousCell(nn.Module):
    """A declared GRU-family cell without input: its input weight has no entries."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2 * HID, 0))
        self.u = nn.Parameter(torch.ones(2 * HID, HID))


def test_write_effective_of_an_empty_weight() -> None:
    cell = _AutonomousCell()
    register_layout(cell, Declaration("GRU", "zn", input="w", recurrent="u"))
    parametrize.register_parametrization(cell, "w", _Scale(2.0))
    write_effective(_ref(cell, "w"), torch.zeros(2 * HID, 0))
    assert cell.w.shape == (2 * HID, 0)
