"""Binding a declaration to a user module: a declaration that does not fit (layers not
0..L-1, no forward direction, parametrized column-stacked weights, wrong widths, a missing
parameter not covered by a switch) is a LayoutError naming the parameter, the shape given and
the shape expected; a fitting column-stacked declaration reads sizes from the right axes."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from rnninit.errors import LayoutError, RnnInitError, UnknownNameError
from rnninit.layouts import Declaration
from rnninit.layouts._binding import layout_from, slots_of


def _module(**shapes: tuple[int, ...]) -> nn.Module:
    m = nn.Module()
    g = torch.Generator().manual_seed(0)
    for name, shape in shapes.items():
        m.register_parameter(name, nn.Parameter(torch.randn(*shape, generator=g)))
    return m


def _bind(m: nn.Module, decl: Declaration):
    return layout_from(m, decl, slots_of(m, decl))


def _raises(m: nn.Module, decl: Declaration, *fragments: str) -> None:
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    with pytest.raises(LayoutError) as err:
        _bind(m, decl)
    for f in fragments:
        assert f in str(err.value), (f, str(err.value))
    assert all(torch.equal(before[n], p) for n, p in m.named_parameters())


GRU_ML = {"family": "GRU", "gates": "rzn", "input": "w_x{layer}{direction}",
          "recurrent": "w_h{layer}{direction}", "step": "sequence"}  # fmt: skip


def test_layers_not_starting_at_zero() -> None:
    m = _module(w_x1=(12, 2), w_h1=(12, 4))
    _raises(m, Declaration(**GRU_ML), "the layers of input='w_x{layer}{direction}' are [1]",
            "not 0..L-1", "w_x1 (12, 2)", "GRU, gates rzn, rows")  # fmt: skip


def test_layers_with_a_gap() -> None:
    m = _module(w_x0=(12, 2), w_h0=(12, 4), w_x2=(12, 4), w_h2=(12, 4))
    _raises(m, Declaration(**GRU_ML), "are [0, 2], not 0..L-1")


def test_no_forward_direction() -> None:
    m = _module(w_x0_reverse=(12, 2), w_h0_reverse=(12, 4))
    _raises(m, Declaration(**GRU_ML), "the input weight has no forward direction [1]")


def test_no_input_match_lists_parameters() -> None:
    m = _module(other=(2, 3))
    _raises(m, Declaration(**GRU_ML), "input='w_x{layer}{direction}' matches no parameter",
            "other (2, 3)")  # fmt: skip


def test_missing_recurrent_names_layer_and_direction() -> None:
    m = _module(w_x0=(12, 2), w_h0=(12, 4), w_x0_reverse=(12, 2))
    _raises(m, Declaration(**GRU_ML),
            "recurrent='w_h{layer}{direction}' (layer 0, direction 1) is missing")  # fmt: skip


def test_missing_single_layer_has_no_where() -> None:
    m = _module(w=(12, 2))
    decl = Declaration("GRU", "rzn", input="w", recurrent="u")
    with pytest.raises(LayoutError) as err:
        _bind(m, decl)
    assert "recurrent='u' is missing. " in str(err.value)


def test_second_layer_width_is_h_out() -> None:
    m = _module(w_x0=(12, 2), w_h0=(12, 4), w_x1=(12, 2), w_h1=(12, 4))
    assert _bind(m, Declaration(**GRU_ML)).num_layers == 2
    lay = _bind(_module(w_x0=(12, 2), w_h0=(12, 4), w_x1=(12, 4), w_h1=(12, 4)),
                Declaration(**GRU_ML))  # fmt: skip
    assert (lay.num_layers, lay.num_directions, lay.input_size, lay.hidden_size) == (2, 1, 2, 4)
    assert lay.batch_first is False and lay.is_cell is False


def test_wrong_recurrent_width() -> None:
    m = _module(w=(12, 2), u=(12, 5))
    _raises(m, Declaration("GRU", "rzn", input="w", recurrent="u"),
            "u has shape (12, 5), expected (12, 4) (H = 4 from 'w', 3 gates)")  # fmt: skip


def test_rows_not_multiple_of_gates() -> None:
    m = _module(w=(10, 2), u=(10, 3))
    _raises(m, Declaration("GRU", "rzn", input="w", recurrent="u"),
            "'w' has shape (10, 2): its rows must be a multiple of the 3 gates")  # fmt: skip


def test_input_not_2d() -> None:
    m = _module(w=(12,), u=(12, 4))
    _raises(m, Declaration("GRU", "rzn", input="w", recurrent="u"),
            "'w' has shape (12,): its rows must be a multiple")  # fmt: skip


def test_columns_not_multiple_of_gates() -> None:
    m = _module(w=(12, 10), u=(12, 10))
    _raises(m, Declaration("GRU", "rzn", input="w", recurrent="u", stacking="columns"),
            "'w' has shape (12, 10): its columns must be a multiple of the 3 gates",
            "GRU, gates rzn, columns")  # fmt: skip


def test_bias_switched_off_by_flag() -> None:
    decl = Declaration("GRU", "rzn", input="w", recurrent="u", bias_ih="b",
                       switches={"bias_ih": "use_bias"})  # fmt: skip
    m = _module(w=(12, 2), u=(12, 4))
    m.use_bias = False
    lay = _bind(m, decl)
    assert lay.bias is False
    m.use_bias = True
    _raises(m, decl, "bias_ih='b' is missing")
    m2 = _module(w=(12, 2), u=(12, 4))
    _raises(m2, decl, "bias_ih='b' is missing")  # attribute absent: required


def test_wrong_bias_shape() -> None:
    m = _module(w=(12, 2), u=(12, 4), b=(13,))
    _raises(m, Declaration("GRU", "rzn", input="w", recurrent="u", bias_ih="b"),
            "b has shape (13,), expected (12,)")  # fmt: skip
    ok = _bind(_module(w=(12, 2), u=(12, 4), b=(12,)),
               Declaration("GRU", "rzn", input="w", recurrent="u", bias_ih="b"))  # fmt: skip
    assert ok.bias is True


def test_columns_sizes_from_right_axes() -> None:
    decl = Declaration("LSTM", "ifgo", input="k", recurrent="r", bias_ih="b",
                       projection="p", stacking="columns")  # fmt: skip
    m = _module(k=(2, 20), r=(3, 20), b=(20,), p=(5, 3))
    lay = _bind(m, decl)
    assert (lay.input_size, lay.hidden_size, lay.proj_size, lay.hidden_out) == (2, 5, 3, 3)
    assert lay.stacking == "columns" and lay.is_cell is True


def test_columns_wrong_projection() -> None:
    decl = Declaration("LSTM", "ifgo", input="k", recurrent="r", projection="p",
                       stacking="columns")  # fmt: skip
    m = _module(k=(2, 20), r=(3, 20), p=(3, 5))
    _raises(m, decl, "r has shape (3, 20), expected (5, 20)")


def test_rows_projection() -> None:
    decl = Declaration("LSTM", "ifgo", input="k", recurrent="r", projection="p")
    lay = _bind(_module(k=(20, 2), r=(20, 3), p=(3, 5)), decl)
    assert (lay.input_size, lay.hidden_size, lay.proj_size) == (2, 5, 3)
    _raises(_module(k=(20, 2), r=(20, 3), p=(5, 3)), decl, "expected (20, 5)")


def test_parametrized_column_weight_rejected() -> None:
    class Ident(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    decl = Declaration("GRU", "rzn", input="k", recurrent="r", stacking="columns")
    m = _module(k=(2, 12), r=(4, 12))
    parametrize.register_parametrization(m, "r", Ident())
    with pytest.raises(LayoutError) as err:
        _bind(m, decl)
    assert "r is parametrized; column-stacked weights must be plain Parameters" in str(err.value)
    rows = Declaration("GRU", "rzn", input="k", recurrent="r")
    m2 = _module(k=(12, 2), r=(12, 4))
    parametrize.register_parametrization(m2, "r", Ident())
    assert _bind(m2, rows).hidden_size == 4


def test_fields_are_normalized() -> None:
    sw = {"bias_ih": "bias"}
    d = Declaration("LSTM", "igfo", input="w", recurrent="u", bias_ih="b",
                    directions=["_f", "_b"], switches=sw)  # fmt: skip
    sw["bias_hh"] = "x"
    assert d.gates == ("i", "g", "f", "o")
    assert d.directions == ("_f", "_b")
    assert d.switches == {"bias_ih": "bias"}
    assert Declaration("RNN", "h", input="w", recurrent="u").nonlinearity == "tanh"
    assert Declaration("LSTM", "igo", input="w", recurrent="u").keep_gate is None
    assert Declaration("GRU", "rzn", input="w", recurrent="u", directions=("",)).directions == ("",)


U, L = UnknownNameError, LayoutError


@pytest.mark.parametrize(
    ("kwargs", "error", "fragments"),
    [
        ({"family": "XYZ"}, U, ["family='XYZ' is not known", "GRU, LSTM, RNN"]),
        ({"gates": 5}, L, ["gates=5: give the gate names", "'ifgo' or ('i', 'f', 'g', 'o')"]),
        ({"stacking": "diag"}, U, ["stacking='diag' is not known", "columns, rows"]),
        ({"keep_gate": "q", "gates": "ifg"}, U,
         ["keep_gate (one of the declared gates)='q'", "valid: f, g, i"]),
        ({"keep_gate": "i"}, L,
         ["keep_gate='i': the LSTM family keeps memory in 'f' (keep='forget')",
          "'i' cannot be its keep gate"]),
        ({"directions": ("a", "b", "c")}, L, ["directions=('a', 'b', 'c'): one or two suffixes"]),
        ({"directions": ("", 1)}, L, ["directions=('', 1): one or two suffixes"]),
        ({"directions": ("a", "a")}, L, ["directions=('a', 'a'): the two suffixes are equal"]),
        ({"switches": {"bias_ih": 3}}, L, ["switches['bias_ih']=3: the name of an attribute"]),
    ],
)  # fmt: skip
def test_malformed_lstm_declaration_messages(
    kwargs: dict, error: type[Exception], fragments: list[str]
) -> None:
    base = {"family": "LSTM", "gates": "ifgo", "input": "w", "recurrent": "u"}
    with pytest.raises(error) as err:
        Declaration(**{**base, **kwargs})
    assert isinstance(err.value, RnnInitError)
    for f in fragments:
        assert f in str(err.value), (f, str(err.value))


def test_rnn_nonlinearity_choices_and_keep_gate() -> None:
    with pytest.raises(UnknownNameError) as err:
        Declaration("RNN", "h", input="w", recurrent="u", nonlinearity="gelu")
    assert "nonlinearity='gelu'" in str(err.value) and "relu, tanh" in str(err.value)
    with pytest.raises(LayoutError) as err2:
        Declaration("RNN", "h", input="w", recurrent="u", keep_gate="h")
    assert "the RNN family has no keep gate; 'h' cannot be its keep gate" in str(err2.value)
