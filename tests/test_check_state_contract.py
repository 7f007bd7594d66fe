"""The exact contract of ``check_state``: every error branch of :mod:`rnninit.states.shapes`
pinned by its full message and type. The message names the argument, what was given, what is
expected and the likely cause. Sizes cannot coincide: input 3, hidden 6, proj 4, batch 5,
time 7, ``L*D`` in {1, 2, 4}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from states_contract_support import (
    CONVENTIONS,
    GRU1,
    GRU2,
    GRU_2BI,
    GRU_BF,
    GRU_BI,
    IN,
    LSTM2_BF,
    LSTM_P,
    H,
    N,
    P,
    T,
    _packed,
    _z,
)
from torch import nn

from rnninit.errors import ArgumentTypeError, StateShapeError
from rnninit.states import (
    check_state,
)
from rnninit.states.shapes import spec_of

# --- check_state: every likely cause of a wrong shape, word for word ------------------------

SHAPE_CASES: list[
    tuple[str, Callable[[], nn.Module], Callable[[], Any], Callable[[], Any], str]
] = [
    (
        "batch_first_layout",
        lambda: nn.LSTM(IN, H, num_layers=2, batch_first=True),
        lambda: torch.randn(N, T, IN),
        lambda: (_z(N, 2, H), _z(N, 2, H)),
        f"h0 of {LSTM2_BF} for an input with batch size 5: expected shape (2, 5, 6), got "
        "(5, 2, 6); looks like batch_first layout (N, L*D, H); initial states are (L*D, N, H) "
        "whatever batch_first says: pass h0.transpose(0, 1).contiguous()",
    ),
    (
        "missing_layer_dim_one_layer",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, N, IN),
        lambda: _z(N, H),
        f"h0 of {GRU1} for an input with batch size 5: expected shape (1, 5, 6), got (5, 6); "
        "missing the num_layers*num_directions dimension (= 1): use h0.unsqueeze(0)",
    ),
    (
        "missing_layer_dim_bidirectional",
        lambda: nn.GRU(IN, H, bidirectional=True),
        lambda: torch.randn(T, N, IN),
        lambda: _z(N, H),
        f"h0 of {GRU_BI} for an input with batch size 5: expected shape (2, 5, 6), got (5, 6); "
        "missing the num_layers*num_directions dimension (= 2): use a (2, 5, 6) tensor",
    ),
    (
        "no_batch_dim_for_a_batched_input",
        lambda: nn.GRU(IN, H, num_layers=2),
        lambda: torch.randn(T, N, IN),
        lambda: _z(2, H),
        f"h0 of {GRU2} for an input with batch size 5: expected shape (2, 5, 6), got (2, 6); "
        "the input is batched (input.shape[1] = 5) but the state has no batch dimension: "
        "use h0.unsqueeze(1).expand(2, 5, 6)",
    ),
    (
        "no_batch_dim_batch_first",
        lambda: nn.GRU(IN, H, batch_first=True),
        lambda: torch.randn(N, T, IN),
        lambda: _z(1, H),
        f"h0 of {GRU_BF} for an input with batch size 5: expected shape (1, 5, 6), got (1, 6); "
        "the input is batched (input.shape[0] = 5) but the state has no batch dimension: "
        "use h0.unsqueeze(1).expand(1, 5, 6)",
    ),
    (
        "wrong_batch_size",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, N, IN),
        lambda: _z(1, 4, H),
        f"h0 of {GRU1} for an input with batch size 5: expected shape (1, 5, 6), got (1, 4, 6); "
        "batch size 4 of h0 differs from the input's (input.shape[1] = 5)",
    ),
    (
        "wrong_batch_size_packed",
        lambda: nn.GRU(IN, H),
        _packed,
        lambda: _z(1, 4, H),
        f"h0 of {GRU1} for an input with batch size 5: expected shape (1, 5, 6), got (1, 4, 6); "
        "batch size 4 of h0 differs from the input's (PackedSequence.batch_sizes[0] = 5)",
    ),
    (
        "wrong_dim0",
        lambda: nn.GRU(IN, H, num_layers=2),
        lambda: torch.randn(T, N, IN),
        lambda: _z(1, N, H),
        f"h0 of {GRU2} for an input with batch size 5: expected shape (2, 5, 6), got (1, 5, 6); "
        "dim 0 must be num_layers * num_directions = 2 * 1 = 2",
    ),
    (
        "wrong_dim0_bidirectional",
        lambda: nn.GRU(IN, H, num_layers=2, bidirectional=True),
        lambda: torch.randn(T, N, IN),
        lambda: _z(3, N, H),
        f"h0 of {GRU_2BI} for an input with batch size 5: expected shape (4, 5, 6), got "
        "(3, 5, 6); dim 0 must be num_layers * num_directions = 2 * 2 = 4",
    ),
    (
        "batch_dim_for_an_unbatched_input",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, IN),
        lambda: _z(1, N, H),
        f"h0 of {GRU1} for an unbatched input: expected shape (1, 6), got (1, 5, 6); "
        "the input is unbatched (2-D), so the state is (L*D, H_out) without a batch "
        "dimension: use h0.squeeze(1)",
    ),
    (
        "unbatched_wrong_dim0",
        lambda: nn.GRU(IN, H, num_layers=2),
        lambda: torch.randn(T, IN),
        lambda: _z(1, H),
        f"h0 of {GRU2} for an unbatched input: expected shape (2, 6), got (1, 6); "
        "dim 0 must be num_layers * num_directions = 2",
    ),
    (
        "unbatched_3d_wrong_dim0_right_width",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, IN),
        lambda: _z(3, N, H),
        f"h0 of {GRU1} for an unbatched input: expected shape (1, 6), got (3, 5, 6); "
        + CONVENTIONS,
    ),
    (
        "unbatched_3d_wrong_width",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, IN),
        lambda: _z(1, N, H + 1),
        f"h0 of {GRU1} for an unbatched input: expected shape (1, 6), got (1, 5, 7); "
        "the last dim must be hidden_size = 6",
    ),
    (
        "unbatched_3d_middle_dim_equals_width",
        lambda: nn.GRU(IN, H, num_layers=2),
        lambda: torch.randn(T, IN),
        lambda: _z(4, H, H + 1),
        f"h0 of {GRU2} for an unbatched input: expected shape (2, 6), got (4, 6, 7); "
        "the last dim must be hidden_size = 6",
    ),
    (
        "batched_wrong_width_middle_dim_equals_width",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, N, IN),
        lambda: _z(1, H, H + 1),
        f"h0 of {GRU1} for an input with batch size 5: expected shape (1, 5, 6), got (1, 6, 7); "
        "the last dim must be hidden_size = 6",
    ),
    (
        "batched_nothing_recognised",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, N, IN),
        lambda: _z(2, 4, H),
        f"h0 of {GRU1} for an input with batch size 5: expected shape (1, 5, 6), got (2, 4, 6); "
        + CONVENTIONS,
    ),
    (
        "scalar_state",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, N, IN),
        lambda: torch.tensor(0.0),
        f"h0 of {GRU1} for an input with batch size 5: expected shape (1, 5, 6), got (); "
        + CONVENTIONS,
    ),
    (
        "proj_size_width",
        lambda: nn.LSTM(IN, H, proj_size=P),
        lambda: torch.randn(T, N, IN),
        lambda: (_z(1, N, H), _z(1, N, H)),
        f"h0 of {LSTM_P} for an input with batch size 5: expected shape (1, 5, 4), got "
        "(1, 5, 6); the last dim is the state width: h has proj_size = 4, c has hidden_size = 6",
    ),
    (
        "cell_batched_input_state_without_batch",
        lambda: nn.GRUCell(IN, H),
        lambda: torch.randn(N, IN),
        lambda: _z(H),
        "h0 of nn.GRUCell(hidden_size=6) for an input with batch size 5: expected shape "
        "(5, 6), got (6,); the input is batched (input.shape[0] = 5): the state needs a batch dim",
    ),
    (
        "lstm_cell_c0_without_batch",
        lambda: nn.LSTMCell(IN, H),
        lambda: torch.randn(N, IN),
        lambda: (_z(N, H), _z(H)),
        "c0 of nn.LSTMCell(hidden_size=6) for an input with batch size 5: expected shape "
        "(5, 6), got (6,); the input is batched (input.shape[0] = 5): the state needs a batch dim",
    ),
    (
        "cell_unbatched_input_batched_state",
        lambda: nn.GRUCell(IN, H),
        lambda: torch.randn(IN),
        lambda: _z(N, H),
        "h0 of nn.GRUCell(hidden_size=6) for an unbatched input: expected shape (6,), "
        "got (5, 6); the input is unbatched (1-D), so the state has no batch dimension either",
    ),
    (
        "cell_unbatched_wrong_width",
        lambda: nn.GRUCell(IN, H),
        lambda: torch.randn(IN),
        lambda: _z(H + 1),
        "h0 of nn.GRUCell(hidden_size=6) for an unbatched input: expected shape (6,), "
        "got (7,); the last dim must be hidden_size = 6",
    ),
    (
        "cell_state_with_a_layer_dim",
        lambda: nn.GRUCell(IN, H),
        lambda: torch.randn(N, IN),
        lambda: _z(1, N, H),
        "h0 of nn.GRUCell(hidden_size=6) for an input with batch size 5: expected shape "
        "(5, 6), got (1, 5, 6); Cell states have no layers*directions dimension (that is for "
        "nn.RNN/LSTM/GRU): use h0.squeeze(0)",
    ),
    (
        "cell_wrong_batch",
        lambda: nn.GRUCell(IN, H),
        lambda: torch.randn(N, IN),
        lambda: _z(4, H),
        "h0 of nn.GRUCell(hidden_size=6) for an input with batch size 5: expected shape "
        "(5, 6), got (4, 6); " + CONVENTIONS,
    ),
    (
        "cell_batch_one_state_for_batch_five",
        lambda: nn.GRUCell(IN, H),
        lambda: torch.randn(N, IN),
        lambda: _z(1, H),
        "h0 of nn.GRUCell(hidden_size=6) for an input with batch size 5: expected shape "
        "(5, 6), got (1, 6); " + CONVENTIONS,
    ),
]


@pytest.mark.parametrize(
    ("factory", "make_input", "make_state", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in SHAPE_CASES],
)
def test_every_wrong_shape_gets_its_exact_message(
    factory: Callable[[], nn.Module],
    make_input: Callable[[], Any],
    make_state: Callable[[], Any],
    message: str,
) -> None:
    with pytest.raises(StateShapeError) as err:
        check_state(factory(), make_state(), make_input())
    assert str(err.value) == message


STRUCTURE_CASES: list[tuple[str, Callable[[], nn.Module], Callable[[], Any], str]] = [
    (
        "lstm_given_one_tensor",
        lambda: nn.LSTM(IN, H, proj_size=P),
        lambda: _z(1, N, P),
        "nn.LSTM expected its state as a tuple (h0, c0) of shapes (1, 5, 4) and (1, 5, 6), "
        "got a tensor of shape (1, 5, 4)",
    ),
    (
        "lstm_given_three_items",
        lambda: nn.LSTM(IN, H),
        lambda: [_z(1, N, H), None, 2.0],
        "nn.LSTM expected its state as a tuple (h0, c0) of shapes (1, 5, 6) and (1, 5, 6), "
        "got a list of 3 ((1, 5, 6), NoneType, float)",
    ),
    (
        "lstm_given_a_two_letter_string",
        lambda: nn.LSTM(IN, H),
        lambda: "hc",
        "nn.LSTM expected its state as a tuple (h0, c0) of shapes (1, 5, 6) and (1, 5, 6), "
        "got a str",
    ),
    (
        "lstm_given_a_number",
        lambda: nn.LSTM(IN, H),
        lambda: 3,
        "nn.LSTM expected its state as a tuple (h0, c0) of shapes (1, 5, 6) and (1, 5, 6), "
        "got an int",
    ),
    (
        "gru_given_a_pair",
        lambda: nn.GRU(IN, H),
        lambda: (_z(1, N, H), _z(1, N, H)),
        "nn.GRU expected a single tensor h0 of shape (1, 5, 6), got a tuple of 2 "
        "((1, 5, 6), (1, 5, 6)); (h0, c0) pairs are for LSTMs",
    ),
    (
        "gru_given_a_dict",
        lambda: nn.GRU(IN, H),
        lambda: {"h0": _z(1, N, H)},
        "nn.GRU expected a single tensor h0 of shape (1, 5, 6), got a dict",
    ),
    (
        "gru_given_a_string",
        lambda: nn.GRU(IN, H),
        lambda: "h0",
        "nn.GRU expected a single tensor h0 of shape (1, 5, 6), got a str",
    ),
]


@pytest.mark.parametrize(
    ("factory", "make_state", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in STRUCTURE_CASES],
)
def test_wrong_structure_gets_its_exact_message(
    factory: Callable[[], nn.Module], make_state: Callable[[], Any], message: str
) -> None:
    with pytest.raises(StateShapeError) as err:
        check_state(factory(), make_state(), torch.randn(T, N, IN))
    assert str(err.value) == message


def test_a_non_tensor_inside_the_lstm_pair_is_a_state_shape_error_naming_it() -> None:
    with pytest.raises(StateShapeError) as err:
        check_state(nn.LSTM(IN, H), (_z(1, N, H), "c"), torch.randn(T, N, IN))
    assert str(err.value) == f"c0 must be a torch.Tensor of shape (1, {N}, {H}), got str"
    with pytest.raises(StateShapeError) as err:
        check_state(nn.LSTM(IN, H, num_layers=2), ([1.0], _z(2, N, H)), torch.randn(T, N, IN))
    assert str(err.value) == f"h0 must be a torch.Tensor of shape (2, {N}, {H}), got list"


def test_dtype_and_device_mismatches_name_the_state_and_the_fix() -> None:
    lstm = nn.LSTM(IN, H)
    with pytest.raises(StateShapeError) as err:
        check_state(lstm, (_z(1, N, H), _z(1, N, H).double()), torch.randn(T, N, IN))
    assert str(err.value) == (
        "c0 has dtype torch.float64 but the input has dtype torch.float32; use c0.to(input.dtype)"
    )
    gru = nn.GRU(IN, H)
    with pytest.raises(StateShapeError) as err:
        check_state(gru, _z(1, N, H), torch.randn(T, N, IN, dtype=torch.float64))
    assert str(err.value) == (
        "h0 has dtype torch.float32 but the input has dtype torch.float64; use h0.to(input.dtype)"
    )
    with pytest.raises(StateShapeError) as err:
        check_state(gru, torch.zeros(1, N, H, device="meta"), torch.randn(T, N, IN))
    assert str(err.value) == "h0 is on meta but the input is on cpu; use h0.to(input.device)"
    with pytest.raises(StateShapeError) as err:
        check_state(gru, _z(1, N, H), torch.zeros(T, N, IN, device="meta"))
    assert str(err.value) == "h0 is on cpu but the input is on meta; use h0.to(input.device)"


INPUT_CASES: list[tuple[str, Callable[[], nn.Module], Callable[[], Any], type[Exception], str]] = [
    (
        "packed_into_a_cell",
        lambda: nn.GRUCell(IN, H),
        _packed,
        ArgumentTypeError,
        "nn.GRUCell takes one time step, not a PackedSequence",
    ),
    (
        "a_list_input",
        lambda: nn.GRU(IN, H),
        lambda: [[0.0] * IN],
        ArgumentTypeError,
        "input must be a torch.Tensor or a PackedSequence, got list",
    ),
    (
        "cell_3d_input",
        lambda: nn.LSTMCell(IN, H),
        lambda: torch.randn(T, N, IN),
        StateShapeError,
        "input of nn.LSTMCell must be (N, input_size) or (input_size,), got shape (7, 5, 3)",
    ),
    (
        "sequence_4d_input",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(2, T, N, IN),
        StateShapeError,
        f"input of {GRU1} must be (T, N, input_size) or unbatched (T, input_size), "
        "got shape (2, 7, 5, 3)",
    ),
    (
        "sequence_1d_input_batch_first",
        lambda: nn.GRU(IN, H, batch_first=True),
        lambda: torch.randn(IN),
        StateShapeError,
        f"input of {GRU_BF} must be (N, T, input_size) or unbatched (T, input_size), "
        "got shape (3,)",
    ),
]


@pytest.mark.parametrize(
    ("factory", "make_input", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in INPUT_CASES],
)
def test_wrong_inputs_get_their_exact_message(
    factory: Callable[[], nn.Module],
    make_input: Callable[[], Any],
    error: type[Exception],
    message: str,
) -> None:
    rnn = factory()
    state = (_z(N, H), _z(N, H)) if isinstance(rnn, nn.LSTMCell) else _z(1, N, H)
    with pytest.raises(error) as err:
        check_state(rnn, state, make_input())
    assert type(err.value) is error
    assert str(err.value) == message


def test_describe_spells_out_every_structural_argument() -> None:
    full = spec_of(nn.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=P, batch_first=True))
    assert full.describe() == (
        "nn.LSTM(hidden_size=6, proj_size=4, num_layers=2, bidirectional=True, batch_first=True)"
    )
    assert spec_of(nn.RNN(IN, H, num_layers=3)).describe() == (
        "nn.RNN(hidden_size=6, num_layers=3, bidirectional=False, batch_first=False)"
    )
