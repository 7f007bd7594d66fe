"""The exact contract of ``check_state``, ``initial_state`` and ``attach_initial_state``.

Every error branch of :mod:`rnninit.states.shapes`, :mod:`rnninit.states.functional` and
:mod:`rnninit.states.attach` is pinned by its full message (and type): the message names the
argument, what was given and what is expected, and the likely cause. The sizes cannot coincide:
input 3, hidden 6, proj 4, batch 5, time 7, ``L*D`` in {1, 2, 4}. Devices are told apart with
the ``meta`` device, so a state that silently falls back to the CPU is caught on a CPU build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from rnninit.errors import InitializerError, NoRecurrentModuleError, StateShapeError
from rnninit.states import (
    InitialState,
    attach_initial_state,
    check_state,
    initial_state,
    remove_initial_state,
)
from rnninit.states.shapes import spec_of

IN, H, P, N, T = 3, 6, 4, 5, 7

GRU1 = "nn.GRU(hidden_size=6, num_layers=1, bidirectional=False, batch_first=False)"
GRU2 = "nn.GRU(hidden_size=6, num_layers=2, bidirectional=False, batch_first=False)"
GRU_BF = "nn.GRU(hidden_size=6, num_layers=1, bidirectional=False, batch_first=True)"
GRU_BI = "nn.GRU(hidden_size=6, num_layers=1, bidirectional=True, batch_first=False)"
GRU_2BI = "nn.GRU(hidden_size=6, num_layers=2, bidirectional=True, batch_first=False)"
LSTM2_BF = "nn.LSTM(hidden_size=6, num_layers=2, bidirectional=False, batch_first=True)"
LSTM_P = "nn.LSTM(hidden_size=6, proj_size=4, num_layers=1, bidirectional=False, batch_first=False)"
CONVENTIONS = "see the shape conventions in docs/states.md"


def _z(*shape: int) -> torch.Tensor:
    return torch.zeros(*shape)


def _packed(batch_first: bool = False) -> PackedSequence:
    lengths = torch.tensor([4, 7, 1, 6, 5])  # batch 5 at t=0, 4 at t=1; unsorted
    padded = torch.randn(N, T, IN) if batch_first else torch.randn(T, N, IN)
    return pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


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
        TypeError,
        "nn.GRUCell takes one time step, not a PackedSequence",
    ),
    (
        "a_list_input",
        lambda: nn.GRU(IN, H),
        lambda: [[0.0] * IN],
        TypeError,
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


# --- the batch, dtype and device a new state takes from the input ---------------------------

LIKE_CASES: list[tuple[str, Callable[[], nn.Module], Callable[[torch.Tensor], Any], tuple]] = [
    ("batched", lambda: nn.GRU(IN, H), lambda t: t.new_zeros(T, N, IN), (1, N, H)),
    (
        "batch_first",
        lambda: nn.GRU(IN, H, batch_first=True, num_layers=2),
        lambda t: t.new_zeros(N, T, IN),
        (2, N, H),
    ),
    ("unbatched", lambda: nn.GRU(IN, H), lambda t: t.new_zeros(T, IN), (1, H)),
    (
        "packed",
        lambda: nn.GRU(IN, H),
        lambda t: _packed().to(dtype=t.dtype, device=t.device),  # packed on the CPU, then moved
        (1, N, H),
    ),
    ("cell_batched", lambda: nn.GRUCell(IN, H), lambda t: t.new_zeros(N, IN), (N, H)),
    ("cell_unbatched", lambda: nn.GRUCell(IN, H), lambda t: t.new_zeros(IN), (H,)),
]


@pytest.mark.parametrize(
    ("factory", "make_like", "shape"), [pytest.param(*c[1:], id=c[0]) for c in LIKE_CASES]
)
def test_like_gives_batch_dtype_and_device_for_every_input_kind(
    factory: Callable[[], nn.Module], make_like: Callable[[torch.Tensor], Any], shape: tuple
) -> None:
    rnn = factory()  # float32 on the CPU: every property must come from like=
    h = initial_state(rnn, "zeros", like=make_like(torch.zeros(1, dtype=torch.float64)))
    assert (tuple(h.shape), h.dtype, h.device.type) == (shape, torch.float64, "cpu")
    h = initial_state(rnn, "zeros", like=make_like(torch.zeros(1, device="meta")))
    assert (tuple(h.shape), h.dtype, h.device.type) == (shape, torch.float32, "meta")


DISAGREE_CASES: list[tuple[str, Callable[[], nn.Module], Callable[[], Any], str]] = [
    (
        "batched",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, N, IN),
        "batch_size=3 disagrees with like= (input.shape[1]: batch size 5); give one of them",
    ),
    (
        "batch_first",
        lambda: nn.GRU(IN, H, batch_first=True),
        lambda: torch.randn(N, T, IN),
        "batch_size=3 disagrees with like= (input.shape[0]: batch size 5); give one of them",
    ),
    (
        "unbatched",
        lambda: nn.GRU(IN, H),
        lambda: torch.randn(T, IN),
        "batch_size=3 disagrees with like= (2-D input (unbatched): unbatched); give one of them",
    ),
    (
        "packed",
        lambda: nn.GRU(IN, H),
        _packed,
        "batch_size=3 disagrees with like= (PackedSequence.batch_sizes[0]: batch size 5); "
        "give one of them",
    ),
    (
        "cell_batched",
        lambda: nn.RNNCell(IN, H),
        lambda: torch.randn(N, IN),
        "batch_size=3 disagrees with like= (input.shape[0]: batch size 5); give one of them",
    ),
    (
        "cell_unbatched",
        lambda: nn.RNNCell(IN, H),
        lambda: torch.randn(IN),
        "batch_size=3 disagrees with like= (1-D input (unbatched): unbatched); give one of them",
    ),
]


@pytest.mark.parametrize(
    ("factory", "make_like", "message"), [pytest.param(*c[1:], id=c[0]) for c in DISAGREE_CASES]
)
def test_batch_size_and_like_disagreeing_name_where_the_batch_was_read(
    factory: Callable[[], nn.Module], make_like: Callable[[], Any], message: str
) -> None:
    with pytest.raises(StateShapeError) as err:
        initial_state(factory(), "zeros", 3, like=make_like())
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 2.0}, TypeError, "batch_size must be a positive int or None, got 2.0"),
        ({"batch_size": True}, TypeError, "batch_size must be a positive int or None, got True"),
        ({"batch_size": -1}, TypeError, "batch_size must be a positive int or None, got -1"),
        (
            {"like": [[0.0] * IN]},
            TypeError,
            "like= must be the input tensor or PackedSequence, got list",
        ),
        ({"generator": 0}, TypeError, "generator must be a torch.Generator, got int"),
    ],
)
def test_bad_arguments_of_initial_state_get_their_exact_message(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as err:
        initial_state(nn.GRU(IN, H), "zeros", **kwargs)
    assert str(err.value) == message


def test_an_explicit_batch_size_is_named_as_the_source_in_a_context_mismatch() -> None:
    state = InitialState(nn.GRU(IN, H), ("conditional", {"context_size": P}))
    with pytest.raises(StateShapeError) as err:
        state(N, context=torch.zeros(3, P))
    assert str(err.value) == "context has batch size 3 (shape (3, 4)) but batch_size gives 5"


# --- initial_state: device and dtype defaults, the InitialState form -------------------------


def test_the_state_follows_the_module_to_its_device_and_dtype_overrides_win() -> None:
    meta = nn.LSTM(IN, H, num_layers=2, proj_size=P, device="meta")
    h, c = initial_state(meta, "zeros", N)
    assert (h.device.type, c.device.type) == ("meta", "meta")
    assert (tuple(h.shape), tuple(c.shape)) == ((2, N, P), (2, N, H))
    h, c = initial_state(meta, ("constant", {"value": 0.5}), N, device="cpu")
    assert h.device.type == "cpu" and torch.equal(c, torch.full((2, N, H), 0.5))
    cpu = nn.GRU(IN, H)
    h = initial_state(cpu, "zeros", N, device="meta", dtype=torch.float16)
    assert (h.device.type, h.dtype, tuple(h.shape)) == ("meta", torch.float16, (1, N, H))
    h = initial_state(cpu, "zeros", N, device=torch.device("meta"))
    assert h.device.type == "meta"


def test_a_module_without_parameters_gets_the_default_dtype_on_the_cpu() -> None:
    gru = nn.GRU(IN, H, num_layers=2).double()
    for name in list(gru._parameters):  # weights stored as (frozen) buffers, as for export
        gru.register_buffer(name, gru._parameters.pop(name).detach())
    assert list(gru.parameters()) == []
    h = initial_state(gru, ("constant", {"value": 0.25}), N)
    assert h.dtype == torch.get_default_dtype() and h.device == torch.device("cpu")
    assert torch.equal(h, torch.full((2, N, H), 0.25))


def test_an_initial_state_module_gets_batch_size_like_and_generator() -> None:
    gru = nn.GRU(IN, H, num_layers=2)
    state = InitialState(gru, "normal")
    assert initial_state(gru, state, N).shape == (2, N, H)
    assert initial_state(gru, state, like=torch.randn(T, N, IN)).shape == (2, N, H)
    assert initial_state(gru, state).shape == (2, H)
    torch.manual_seed(0)
    a = initial_state(gru, state, N, generator=_gen(3))
    b = initial_state(gru, state, N, generator=_gen(3))  # the global RNG has moved on
    c = initial_state(gru, state, N, generator=_gen(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize(
    "kwargs",
    [{"eval_random": True}, {"dtype": torch.float64}, {"device": "cpu"}],
    ids=["eval_random", "dtype", "device"],
)
def test_an_initial_state_module_refuses_each_own_setting(kwargs: dict[str, Any]) -> None:
    gru = nn.GRU(IN, H)
    with pytest.raises(TypeError) as err:
        initial_state(gru, InitialState(gru, "zeros"), N, **kwargs)
    assert str(err.value) == (
        "with init=<InitialState>, eval_random, dtype and device are those of the "
        "InitialState module; pass only batch_size/like/generator"
    )


def test_initial_state_module_errors_are_exact() -> None:
    gru = nn.GRU(IN, H)
    conditional = InitialState(gru, ("conditional", {"context_size": P}))
    with pytest.raises(TypeError) as err:
        initial_state(gru, conditional, N)
    assert str(err.value) == "a conditional InitialState needs its context: call state(context)"
    with pytest.raises(InitializerError) as err2:
        initial_state(gru, InitialState(nn.GRU(IN, H + 1), "zeros"), N)
    assert str(err2.value) == (
        "init= is an InitialState built for nn.GRU(hidden_size=7, num_layers=1, "
        f"bidirectional=False, batch_first=False), whose states do not fit {GRU1}"
    )


@pytest.mark.parametrize(
    ("init", "name"),
    [("learned", "'learned'"), (("learned_noisy", {"noise_std": 0.1}), "'learned_noisy'")],
)
def test_a_learned_kind_is_pointed_to_initial_state_word_for_word(init: Any, name: str) -> None:
    with pytest.raises(InitializerError) as err:
        initial_state(nn.GRU(IN, H), init, N)
    assert str(err.value) == (
        f"init={name} holds trainable parameters, so it needs a module to own them: "
        f"state = rnninit.InitialState(rnn, {init!r}) (a submodule of your model, so the "
        "optimizer sees it), then state(batch_size) or rnninit.initial_state(rnn, state, like=x)"
    )


# --- attach_initial_state / remove_initial_state ---------------------------------------------


def _hooks(m: nn.Module) -> tuple[list[int], list[int], list[int]]:
    return (
        list(m._forward_pre_hooks),
        list(m._forward_pre_hooks_with_kwargs),
        list(m._load_state_dict_pre_hooks),
    )


def test_remove_keeps_the_users_own_hooks_and_leaves_none_of_its_own() -> None:
    calls: list[str] = []
    gru = nn.GRU(IN, H)
    gru.register_forward_pre_hook(lambda m, args: calls.append("forward"))
    gru.register_load_state_dict_pre_hook(lambda *a: calls.append("load"))  # type: ignore[no-untyped-call]
    before = _hooks(gru)
    with pytest.raises(InitializerError) as err:
        remove_initial_state(gru)  # the user's hook is not an attached state
    assert str(err.value) == (
        "rnn= (GRU) has no initial state attached by rnninit.states.attach_initial_state; "
        "nothing to remove"
    )
    attach_initial_state(gru, "learned")
    with torch.no_grad():
        gru.initial_state.h0.fill_(0.5)
    x = torch.randn(T, N, IN)
    assert torch.equal(gru(x)[0], gru(x, torch.full((1, N, H), 0.5))[0])
    assert calls == ["forward", "forward"]
    remove_initial_state(gru)
    assert _hooks(gru) == before
    gru.load_state_dict(nn.GRU(IN, H).state_dict())
    assert calls == ["forward", "forward", "load"]
    assert torch.equal(gru(x)[0], gru(x, _z(1, N, H))[0])  # zeros again, the user's hook runs
    assert calls[-2:] == ["forward", "forward"]


def test_an_extra_positional_argument_is_refused_as_by_the_plain_module() -> None:
    plain = nn.GRU(IN, H)
    hooked = attach_initial_state(nn.GRU(IN, H), "learned")
    x = torch.randn(T, N, IN)
    with pytest.raises(TypeError) as expected:
        plain(x, None, 3)
    with pytest.raises(TypeError) as err:
        hooked(x, None, 3)
    assert str(err.value) == str(expected.value)


ALREADY = (
    "{cls} already has an attribute 'initial_state' (an initial state is attached); "
    "call rnninit.states.remove_initial_state(rnn) first"
)


def test_an_attribute_named_initial_state_is_never_overwritten() -> None:
    lstm = nn.LSTM(IN, H)
    lstm.initial_state = torch.ones(1)  # a plain attribute, not a submodule
    with pytest.raises(InitializerError) as err:
        attach_initial_state(lstm, "learned")
    assert str(err.value) == ALREADY.format(cls="LSTM")
    assert torch.equal(lstm.initial_state, torch.ones(1)) and _hooks(lstm) == ([], [], [])
    attach_initial_state(gru := nn.GRU(IN, H), "zeros")
    with pytest.raises(InitializerError) as err:
        attach_initial_state(gru, "zeros")
    assert str(err.value) == ALREADY.format(cls="GRU")


def test_a_state_deleted_by_hand_still_counts_as_attached_until_removed() -> None:
    gru = attach_initial_state(nn.GRU(IN, H), "learned")
    with torch.no_grad():
        gru.initial_state.h0.fill_(0.5)
    del gru.initial_state  # the hooks stay
    x = torch.randn(T, N, IN)
    assert torch.equal(gru(x)[0], gru(x, _z(1, N, H))[0])  # no state: PyTorch's zeros
    with pytest.raises(InitializerError) as err:
        attach_initial_state(gru, "learned")
    assert str(err.value) == ALREADY.format(cls="GRU")
    remove_initial_state(gru)
    assert _hooks(gru) == ([], [], [])
    attach_initial_state(gru, "learned")


CONDITIONAL = (
    "init={init}: a conditional state needs a context, which {cls}.forward(input, hx) cannot "
    "take; use rnninit.Recurrent(rnn, ...) and call it with context="
)


@pytest.mark.parametrize(
    "init",
    [
        "conditional",
        ("conditional", {}),  # refused by its name, before its parameters are checked
        ["conditional", {"context_size": P}],
        {"name": "conditional"},
    ],
    ids=["name", "tuple", "list", "dict"],
)
def test_a_conditional_init_is_refused_by_its_name_in_any_spelling(init: Any) -> None:
    lstm = nn.LSTMCell(IN, H)
    with pytest.raises(InitializerError) as err:
        attach_initial_state(lstm, init)
    assert str(err.value) == CONDITIONAL.format(init=repr(init), cls="LSTMCell")
    assert _hooks(lstm) == ([], [], []) and "initial_state" not in lstm._modules


def test_a_conditional_initial_state_module_is_refused_with_its_repr() -> None:
    gru = nn.GRU(IN, H)
    state = InitialState(gru, ("conditional", {"context_size": P}))
    with pytest.raises(InitializerError) as err:
        attach_initial_state(gru, state)
    assert str(err.value) == CONDITIONAL.format(init=repr(state), cls="GRU")
    assert str(err.value).startswith("init=InitialState(\n  nn.GRU(hidden_size=6")


def test_an_initial_state_module_takes_no_generator_word_for_word() -> None:
    gru = nn.GRU(IN, H)
    with pytest.raises(TypeError) as err:
        attach_initial_state(gru, InitialState(gru, "normal"), generator=_gen(0))
    assert str(err.value) == (
        "init= is an InitialState: give the generator to it, not to attach_initial_state"
    )


VALID = "nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell or nn.GRUCell"


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: nn.Linear(IN, H), f"rnn= must be {VALID}, got Linear"),
        (lambda: "lstm", f"rnn= must be {VALID}, got str"),
        (
            lambda: nn.ModuleDict({"enc": nn.LSTM(IN, H), "dec": nn.GRUCell(H, H)}),
            f"rnn= must be {VALID}, got ModuleDict; attach to the recurrent module itself, "
            "one of: 'enc', 'dec' (e.g. rnn=model.get_submodule('enc'))",
        ),
    ],
    ids=["linear", "string", "container"],
)
@pytest.mark.parametrize("fn", [attach_initial_state, remove_initial_state])
def test_a_non_recurrent_module_is_refused_word_for_word(
    fn: Callable[[Any], Any], factory: Callable[[], Any], message: str
) -> None:
    with pytest.raises(NoRecurrentModuleError) as err:
        fn(factory())
    assert str(err.value) == message
