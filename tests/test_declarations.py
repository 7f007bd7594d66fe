"""Declarations: malformed ones and ones that do not fit their module raise typed errors naming
what is wrong, before anything is written; registration by class, subclass and instance; the
dict round trip; PyTorch's classes declared through the same mechanism."""

from __future__ import annotations

import json

import pytest
import torch
from custom_cells_support import HASTE_LSTM, LINEAR_LSTM, HasteLSTMCell, LinearLSTMCell
from torch import nn

import rnninit
from rnninit.errors import (
    ArgumentTypeError,
    LayoutError,
    RnnInitError,
    UnknownNameError,
    UnsupportedModuleError,
)
from rnninit.layouts import (
    Declaration,
    gates,
    layout_of,
    parameters_of,
    register_layout,
    unregister_layout,
)
from rnninit.layouts._registry import declaration_of

BASE = {"family": "LSTM", "gates": "ifgo", "input": "ih.weight", "recurrent": "hh.weight"}


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"family": "LSMT"}, UnknownNameError, "Did you mean 'LSTM'"),
        ({"gates": "ifgq"}, UnknownNameError, "gates of the LSTM family='q'"),
        ({"gates": "iffo"}, LayoutError, "a gate appears twice"),
        ({"gates": ""}, LayoutError, "give the gate names"),
        ({"gates": "igo", "keep_gate": "f"}, UnknownNameError, "keep_gate (one of the declared"),
        ({"keep": "update"}, LayoutError, "keeps memory the 'forget' way"),
        ({"keep_gate": None, "keep": "forget"}, LayoutError, "without a keep gate"),
        ({"stacking": "cols"}, UnknownNameError, "Did you mean 'columns'"),
        ({"step": "seq"}, UnknownNameError, "step='seq'"),
        ({"nonlinearity": "relu"}, LayoutError, "only the RNN family"),
        ({"input": "w_{lyr}"}, UnknownNameError, "placeholder"),
        ({"input": "w_{layer}"}, LayoutError, "every name takes the same ones"),
        ({"recurrent": "ih.weight"}, LayoutError, "name the same parameter"),
        ({"bias_hh": "b"}, LayoutError, "bias_hh= without bias_ih="),
        ({"family": "GRU", "gates": "rzn", "projection": "p"}, LayoutError, "has none"),
        ({"switches": {"bias": "bias"}}, UnknownNameError, "switches='bias'"),
        ({"colour": "red"}, UnknownNameError, "declaration key='colour'"),
    ],
)
def test_a_malformed_declaration_is_a_typed_error_naming_the_field(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as err:
        Declaration.from_dict({**BASE, **changes})
    assert isinstance(err.value, RnnInitError)
    assert message in str(err.value)


def test_a_missing_required_name_is_a_layout_error() -> None:
    with pytest.raises(LayoutError, match="recurrent"):
        Declaration.from_dict({"family": "GRU", "gates": "zn", "input": "w"})


class _ThreeBlocks(nn.Module):  # 3H rows: not a multiple of 4 gates when H = 7 ... 21 rows
    def __init__(self) -> None:
        super().__init__()
        self.ih = nn.Linear(5, 21)
        self.hh = nn.Linear(7, 21)


class _WrongRecurrent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ih = nn.Linear(5, 28)
        self.hh = nn.Linear(6, 28)  # H_out should be 7


class _ShortBias(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ih = nn.Linear(5, 28)
        self.hh = nn.Linear(7, 28, bias=False)
        self.b = nn.Parameter(torch.zeros(27))


@pytest.mark.parametrize(
    ("module", "decl", "message"),
    [
        (LinearLSTMCell(5, 7), {**BASE, "recurrent": "hh2.weight"}, "'hh2.weight' is missing"),
        (LinearLSTMCell(5, 7), {**BASE, "input": "x.weight"}, "matches no parameter"),
        (_ThreeBlocks(), {**BASE, "input": "ih.weight"}, "multiple of the 4 gates"),
        (_WrongRecurrent(), BASE, "hh.weight has shape (28, 6), expected (28, 7)"),
        (_ShortBias(), {**BASE, "bias_ih": "b"}, "b has shape (27,), expected (28,)"),
        (LinearLSTMCell(5, 7), {**BASE, "stacking": "columns"}, "multiple of the 4 gates"),
        (HasteLSTMCell(5, 7), {**HASTE_LSTM.to_dict(), "stacking": "rows"}, "multiple of the 4"),
    ],
)
def test_a_declaration_that_does_not_fit_fails_at_first_use_and_leaves_the_model(
    module: nn.Module, decl: dict[str, object], message: str
) -> None:
    register_layout(module, decl)
    model = nn.Sequential(nn.Linear(3, 5), module)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(LayoutError) as err:
        rnninit.init_(model, "orthogonal")
    assert message in str(err.value)
    assert type(module).__name__ in str(err.value)  # names the class and lists its parameters
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    for call in (layout_of, parameters_of, rnninit.describe, rnninit.check):
        with pytest.raises(LayoutError):
            call(module)


@pytest.mark.parametrize("call", [gates, layout_of, parameters_of, rnninit.describe])
def test_a_string_instead_of_a_module_is_a_typed_error(call: object) -> None:
    with pytest.raises(UnsupportedModuleError) as err:
        call("lstm")  # type: ignore[operator]
    assert str(err.value) == "module='lstm' (str) is not valid; expected a torch.nn.Module"
    assert isinstance(err.value, ArgumentTypeError)  # the one "not a module" error


def test_register_layout_rejects_what_is_not_a_module_or_declaration() -> None:
    with pytest.raises(UnsupportedModuleError, match="target must be"):
        register_layout(5, LINEAR_LSTM)  # type: ignore[arg-type]
    with pytest.raises(LayoutError, match="got int"):
        register_layout(LinearLSTMCell, 5)
    with pytest.raises(LayoutError, match="returned str"):
        cell = LinearLSTMCell(5, 7)
        register_layout(cell, lambda m: "lstm")
        layout_of(cell)


def test_subclasses_inherit_and_an_instance_overrides_its_class() -> None:
    class Sub(LinearLSTMCell):
        pass

    assert not rnninit.layouts.is_recurrent(Sub(5, 7))
    register_layout(LinearLSTMCell, LINEAR_LSTM)
    try:
        assert layout_of(Sub(5, 7)).gates == ("i", "f", "g", "o")
        odd = Sub(5, 7)
        register_layout(odd, {**LINEAR_LSTM.to_dict(), "gates": "fgio"})
        assert layout_of(odd).gates == ("f", "g", "i", "o")
        assert layout_of(Sub(5, 7)).gates == ("i", "f", "g", "o")
    finally:
        unregister_layout(LinearLSTMCell)
    assert not rnninit.layouts.is_recurrent(Sub(5, 7))


@pytest.mark.parametrize(
    "module",
    [nn.LSTM(3, 5, num_layers=2, proj_size=2), nn.GRUCell(3, 5), nn.RNN(3, 5, nonlinearity="relu")],
)
def test_torch_classes_go_through_declarations_that_round_trip_through_json(
    module: nn.Module,
) -> None:
    decl = declaration_of(module)
    assert Declaration.from_dict(json.loads(json.dumps(decl.to_dict()))) == decl
    # the same declaration on a plain container of the same tensors gives the same layout
    twin = nn.Module()
    for name, p in module.named_parameters():
        twin.register_parameter(name, nn.Parameter(p.detach().clone()))
    register_layout(twin, decl)
    assert layout_of(twin) == layout_of(module)


class _TwoLayerGRU(nn.Module):
    """Per-layer names with ``{layer}``: x0, h0, x1, h1; gates z, n (no reset gate)."""

    def __init__(self) -> None:
        super().__init__()
        self.x0 = nn.Parameter(torch.randn(14, 5))
        self.h0 = nn.Parameter(torch.randn(14, 7))
        self.x1 = nn.Parameter(torch.randn(14, 7))
        self.h1 = nn.Parameter(torch.randn(14, 7))


def test_a_multi_layer_user_module_declared_with_placeholders() -> None:
    module = _TwoLayerGRU()
    register_layout(module, Declaration("GRU", "zn", input="x{layer}", recurrent="h{layer}"))
    lay = layout_of(module)
    assert (lay.num_layers, lay.num_directions, lay.input_size, lay.hidden_size) == (2, 1, 5, 7)
    assert lay.bias is False
    rnninit.init_(module, "orthogonal", generator=torch.Generator().manual_seed(0))
    eye = torch.eye(7)
    for name in ("h0", "h1"):
        w = getattr(module, name).detach()
        for j in range(2):  # raw rows of each block
            torch.testing.assert_close(w[7 * j : 7 * (j + 1)] @ w[7 * j : 7 * (j + 1)].T, eye)
    with pytest.raises(rnninit.errors.SchemeError, match="bias=False"):
        rnninit.init_(module, "orthogonal", bias=0.0)
