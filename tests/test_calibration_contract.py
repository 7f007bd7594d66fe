"""Contract tests for ``rnninit.auto`` (how ``auto`` reads data and runs the model) and,
in the last section, ``rnninit.schemes`` (the all-or-nothing backup of the selected layers).

Calibration: which batch stands for which call (``is_batch``, ``as_call``, ``_positional``,
``model_call``, ``calibration_calls``), the NaN/inf check (``check_finite``), ``lengths=``
(``lengths_tensor``), the valid time steps and the longest sequence of one input
(``valid_rows``, ``seq_len``), the forward pre-hook pass (``capture_pass``: inputs, call counts
and order, cells counted per step), one layer of a stack run alone (``layer_module``: 3-layer
LSTM/GRU/RNN stacks with bidirectional, ``proj_size``, ``relu``, ``bias=False``, float64),
``second_moment`` and the ``torch.distributed`` helpers (identity without a process group, and
the exact calls they make when one is initialized).

Every expectation is written out here: error messages in full, rows selected by hand, a single
layer rebuilt as a fresh PyTorch module from the raw parameters named as PyTorch names them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import torch
import torch.distributed as dist
from apply_contract_support import _assert_same, _gen, _snapshot
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pack_sequence

from rnninit.auto import auto_init_
from rnninit.auto._calibration import (
    Call,
    Capture,
    _positional,
    all_reduce,
    as_call,
    broadcast_from_rank0,
    calibration_calls,
    capture_pass,
    check_finite,
    is_batch,
    layer_module,
    lengths_tensor,
    model_call,
    reduce_max,
    reduce_sum,
    second_moment,
    seq_len,
    valid_rows,
)
from rnninit.errors import ArgumentTypeError, CalibrationError, RnnInitError
from rnninit.schemes._transaction import atomic

IN, H, T, N = 3, 5, 7, 4  # input width, hidden size, steps, batch size: no two coincide

HINT = (
    "pass inputs= (a function from one batch to the model's arguments: a tensor, a tuple of "
    "positional arguments or a dict of keyword arguments), e.g. inputs=lambda b: (b[0], b[1])"
)


def _randn(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, generator=_gen(seed), dtype=dtype)


def _raises(kind: type[BaseException], message: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)``: it must raise exactly ``kind`` with exactly ``message``."""
    with pytest.raises(kind, match="^" + re.escape(message) + "$") as info:
        fn(*args)
    assert type(info.value) is kind
    return info.value


def _assert_call(call: object, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> None:
    """``call`` is a Call holding these very objects (identity, so tensors compare safely)."""
    assert type(call) is Call
    assert type(call.args) is tuple
    assert len(call.args) == len(args)
    assert all(a is b for a, b in zip(call.args, args, strict=True))
    kwargs = kwargs or {}
    assert list(call.kwargs) == list(kwargs)
    assert all(call.kwargs[k] is v for k, v in kwargs.items())


# --- forwards with known signatures (model_call reads them, never runs them) ------------------


class One(nn.Module):
    def forward(self, x: Any) -> Any:
        return x


class Two(nn.Module):
    def forward(self, x: Any, lengths: Any) -> Any:
        return x


class OptionalSecond(nn.Module):
    def forward(self, x: Any, lengths: Any = None) -> Any:
        return x


class AllOptional(nn.Module):
    def forward(self, x: Any = None) -> Any:
        return x


class TwoOptional(nn.Module):
    def forward(self, x: Any = None, y: Any = None) -> Any:
        return x


class NoArgs(nn.Module):
    def forward(self) -> Any:
        return None


class VarArgs(nn.Module):
    def forward(self, *args: Any) -> Any:
        return args


class KeywordOnly(nn.Module):
    def forward(self, *, x: Any) -> Any:
        return x


class Mixed(nn.Module):
    def forward(self, a: Any, b: Any = 1, *args: Any, c: Any, **kw: Any) -> Any:
        return a


class PositionalOnly(nn.Module):
    def forward(self, a: Any, /, b: Any, c: Any = 2) -> Any:
        return a


class DictArg(nn.Module):
    def forward(self, batch: dict[str, Any]) -> Any:
        return batch


def _unreadable() -> nn.Module:
    """A module whose forward is a builtin: ``inspect.signature`` cannot read it."""
    m = nn.Identity()
    m.forward = torch.relu  # type: ignore[method-assign]
    return m


def _packed(seed: int = 0) -> PackedSequence:
    return pack_sequence([_randn(4, IN, seed=seed), _randn(2, IN, seed=seed + 1)])


# --- is_batch, as_call, _positional ------------------------------------------------------------


def test_is_batch_one_batch_versus_an_iterable_of_batches() -> None:
    x = torch.zeros(2, IN)
    for one in (x, _packed(), (x, x), (), {"x": x}, MappingProxyType({"x": x})):
        assert is_batch(one) is True
    for many in ([x, x], [], iter([x]), "ab", 5, None):
        assert is_batch(many) is False


def test_as_call_tuple_is_positional_dict_is_keywords_anything_else_one_argument() -> None:
    x, y = torch.zeros(2, IN), torch.ones(2)
    pair = (x, 5)
    assert as_call(pair).args is pair
    _assert_call(as_call(pair), (x, 5))
    _assert_call(as_call(()), ())
    _assert_call(as_call(x), (x,))
    packed = _packed()  # a tuple subclass, yet one argument
    _assert_call(as_call(packed), (packed,))
    listed = [x, y]  # a list from inputs= is one argument
    _assert_call(as_call(listed), (listed,))
    _assert_call(as_call({"x": x, 1: y}), (), {"x": x, "1": y})  # keys become strings
    _assert_call(as_call(MappingProxyType({"lengths": y})), (), {"lengths": y})
    _assert_call(as_call(None), (None,))
    assert Call() == Call((), {})


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (One(), (1, 1.0)),
        (Two(), (2, 2.0)),
        (OptionalSecond(), (1, 2.0)),
        (AllOptional(), (0, 1.0)),
        (NoArgs(), (0, 0.0)),
        (KeywordOnly(), (0, 0.0)),
        (VarArgs(), (0, math.inf)),
        (Mixed(), (1, math.inf)),
        (PositionalOnly(), (2, 3.0)),
    ],
)
def test_positional_counts_required_and_most_positional_arguments(
    model: nn.Module, expected: tuple[int, float]
) -> None:
    got = _positional(model)
    assert got == expected
    assert got is not None and type(got[0]) is int


def test_positional_is_none_when_the_signature_cannot_be_read() -> None:
    assert _positional(_unreadable()) is None


# --- model_call --------------------------------------------------------------------------------


def test_a_tensor_or_packed_sequence_is_the_one_input_whatever_the_signature() -> None:
    x, packed = torch.zeros(2, IN), _packed()
    for model in (One(), Two(), NoArgs(), _unreadable()):
        _assert_call(model_call(model, x, 0), (x,))
        _assert_call(model_call(model, packed, 0), (packed,))


def test_a_tuple_or_list_that_fills_the_forward_is_its_arguments() -> None:
    x, n = torch.zeros(N, T, IN), torch.full((N,), T)
    _assert_call(model_call(Two(), (x, n), 0), (x, n))
    _assert_call(model_call(Two(), [x, n], 0), (x, n))  # a list becomes a tuple
    _assert_call(model_call(One(), (x,), 0), (x,))
    _assert_call(model_call(PositionalOnly(), (x, n), 0), (x, n))


def test_a_one_element_batch_is_the_argument_of_any_forward_taking_one() -> None:
    x = torch.zeros(N, IN)
    for model in (AllOptional(), TwoOptional(), VarArgs(), OptionalSecond(), _unreadable()):
        _assert_call(model_call(model, (x,), 0), (x,))
        _assert_call(model_call(model, [x], 0), (x,))


def test_a_longer_batch_for_a_forward_requiring_at_most_one_is_inputs_then_targets() -> None:
    x, y, w = torch.zeros(N, IN), torch.ones(N), torch.full((N,), 2.0)
    for model in (One(), OptionalSecond(), AllOptional(), TwoOptional(), VarArgs(), _unreadable()):
        _assert_call(model_call(model, (x, y), 0), (x,))
        _assert_call(model_call(model, [x, y, w], 0), (x,))


def test_the_inputs_of_a_pair_keep_their_kind() -> None:
    a, b, y = torch.zeros(N, IN), torch.ones(N), torch.full((N,), 2.0)
    _assert_call(model_call(One(), ((a, b), y), 0), (a, b))  # a tuple: the arguments
    _assert_call(model_call(One(), ([a, b], y), 0), (a, b))  # a list too
    packed = _packed()
    _assert_call(model_call(One(), (packed, y), 0), (packed,))  # a PackedSequence: one input
    kw = {"x": a, "lengths": b}
    _assert_call(model_call(OptionalSecond(), (kw, y), 0), (), kw)  # a dict: keywords
    table = {"q": a}
    _assert_call(model_call(DictArg(), (table, y), 0), (table,))  # or the one argument


def test_a_dict_inside_a_pair_that_fits_nothing_names_the_batch_index() -> None:
    message = (
        "batch 3 of data is a dict with keys ['zzz'], which NoArgs.forward does not take as "
        f"keyword arguments; {HINT}"
    )
    _raises(CalibrationError, message, model_call, NoArgs(), ({"zzz": 1}, 2), 3)


@pytest.mark.parametrize(
    ("model", "batch", "index", "message"),
    [
        (Two(), (1, 2, 3), 2, "batch 2 of data is a tuple of 3 elements, but Two.forward "),
        (Two(), [1, 2, 3, 4], 0, "batch 0 of data is a list of 4 elements, but Two.forward "),
        (One(), (), 0, "batch 0 of data is a tuple of 0 elements, but One.forward "),
        (One(), [], 5, "batch 5 of data is a list of 0 elements, but One.forward "),
        (NoArgs(), (1,), 1, "batch 1 of data is a tuple of 1 elements, but NoArgs.forward "),
    ],
)
def test_a_sequence_that_is_neither_arguments_nor_a_pair_is_an_error(
    model: nn.Module, batch: Any, index: int, message: str
) -> None:
    required = {"Two": 2, "One": 1, "NoArgs": 0}[type(model).__name__]
    full = (
        f"{message}requires {required} positional argument{'' if required == 1 else 's'}: the "
        "batch is neither the "
        f"arguments nor (inputs, targets); {HINT}"
    )
    _raises(CalibrationError, full, model_call, model, batch, index)


def test_an_empty_batch_for_an_unreadable_forward_says_it_requires_zero() -> None:
    message = (
        "batch 0 of data is a tuple of 0 elements, but Identity.forward requires 0 positional "
        f"arguments: the batch is neither the arguments nor (inputs, targets); {HINT}"
    )
    _raises(CalibrationError, message, model_call, _unreadable(), (), 0)


def test_a_dict_is_keyword_arguments_when_they_bind() -> None:
    x, n = torch.zeros(N, T, IN), torch.full((N,), T)
    batch = {"x": x, "lengths": n}
    _assert_call(model_call(Two(), batch, 0), (), batch)
    _assert_call(model_call(KeywordOnly(), {"x": x}, 0), (), {"x": x})
    _assert_call(
        model_call(Mixed(), {"a": x, "c": n, "extra": 1}, 0), (), {"a": x, "c": n, "extra": 1}
    )
    proxy = MappingProxyType({"x": x})
    _assert_call(model_call(One(), proxy, 0), (), {"x": x})


def test_a_dict_that_does_not_bind_is_the_one_argument_of_a_forward_taking_one() -> None:
    x = torch.zeros(N, IN)
    batch = {"x": x, "label": torch.ones(N)}
    for model in (DictArg(), One(), AllOptional(), OptionalSecond(), VarArgs(), _unreadable()):
        _assert_call(model_call(model, batch, 0), (batch,))


@pytest.mark.parametrize(
    ("model", "batch", "index", "keys"),
    [
        (Two(), {"zzz": 1, "b": 2, 3: 4}, 1, "['3', 'b', 'zzz']"),
        (NoArgs(), {"q": 1}, 0, "['q']"),
        (PositionalOnly(), {"a": 1, "b": 2}, 4, "['a', 'b']"),  # a is positional-only
    ],
)
def test_a_dict_that_binds_nowhere_is_an_error_listing_its_keys(
    model: nn.Module, batch: dict[Any, Any], index: int, keys: str
) -> None:
    message = (
        f"batch {index} of data is a dict with keys {keys}, which {type(model).__name__}.forward "
        f"does not take as keyword arguments; {HINT}"
    )
    _raises(CalibrationError, message, model_call, model, batch, index)


@pytest.mark.parametrize(
    ("batch", "kind"), [(5, "an int"), (None, "a NoneType"), ({1, 2}, "a set")]
)
def test_a_batch_of_another_type_is_an_error(batch: object, kind: str) -> None:
    message = (
        f"batch 4 of data is {kind}; each batch must be a tensor, a PackedSequence, a tuple or "
        f"list (the arguments, or (inputs, targets) as a DataLoader yields) or a dict; {HINT}"
    )
    _raises(CalibrationError, message, model_call, One(), batch, 4)


# --- calibration_calls --------------------------------------------------------------------------


def _counting(items: list[Any], pulled: list[int]) -> Iterator[Any]:
    for item in items:
        pulled.append(1)
        yield item


def test_one_batch_is_one_call_whatever_max_batches() -> None:
    x, n = torch.zeros(N, T, IN), torch.full((N,), T)
    for max_batches in (1, 3):
        calls = calibration_calls(One(), x, max_batches)
        assert len(calls) == 1
        _assert_call(calls[0], (x,))
    calls = calibration_calls(Two(), (x, n), 1)
    assert len(calls) == 1
    _assert_call(calls[0], (x, n))
    batch = {"x": x, "lengths": n}
    calls = calibration_calls(Two(), batch, 2)
    assert len(calls) == 1
    _assert_call(calls[0], (), batch)
    packed = _packed()
    calls = calibration_calls(One(), packed, 2)
    assert len(calls) == 1
    _assert_call(calls[0], (packed,))


def test_an_iterable_gives_its_first_max_batches_and_is_read_no_further() -> None:
    xs = [torch.full((2, IN), float(i)) for i in range(5)]
    for max_batches, expected in ((1, 1), (2, 2), (4, 4), (5, 5), (6, 5)):
        pulled: list[int] = []
        calls = calibration_calls(One(), _counting(xs, pulled), max_batches)
        assert len(calls) == expected
        assert len(pulled) == expected
        for call, x in zip(calls, xs, strict=False):
            _assert_call(call, (x,))
    three = calibration_calls(One(), xs[:3], 3)  # a list: the batches, not the arguments
    assert [c.args[0] for c in three] == xs[:3]


def test_pairs_in_an_iterable_are_read_batch_by_batch() -> None:
    x0, x1, y = torch.zeros(2, IN), torch.ones(2, IN), torch.zeros(2)
    calls = calibration_calls(One(), [(x0, y), [x1, y]], 8)
    assert len(calls) == 2
    _assert_call(calls[0], (x0,))
    _assert_call(calls[1], (x1,))


def test_a_bad_batch_in_an_iterable_is_named_by_its_index() -> None:
    message = (
        "batch 1 of data is an int; each batch must be a tensor, a PackedSequence, a tuple or "
        f"list (the arguments, or (inputs, targets) as a DataLoader yields) or a dict; {HINT}"
    )
    _raises(CalibrationError, message, calibration_calls, One(), [torch.zeros(2, IN), 7], 4)


def test_inputs_maps_each_batch_and_its_result_is_read_by_as_call() -> None:
    @dataclass
    class Batch:
        x: torch.Tensor
        n: torch.Tensor

    b0 = Batch(torch.zeros(N, T, IN), torch.full((N,), T))
    b1 = Batch(torch.ones(N, T, IN), torch.full((N,), 2))
    seen: list[Any] = []

    def to_tuple(b: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        seen.append(b)
        return (b.x, b.n)

    calls = calibration_calls(Two(), [b0, b1, b0], 2, to_tuple)
    assert len(seen) == 2 and seen[0] is b0 and seen[1] is b1
    _assert_call(calls[0], (b0.x, b0.n))
    _assert_call(calls[1], (b1.x, b1.n))
    one = calibration_calls(Two(), b1, 3, to_tuple)  # not iterable: one batch
    assert len(one) == 1 and seen[-1] is b1
    _assert_call(one[0], (b1.x, b1.n))
    kw = calibration_calls(Two(), [b0], 3, lambda b: {"x": b.x, "lengths": b.n})
    _assert_call(kw[0], (), {"x": b0.x, "lengths": b0.n})
    tensor = calibration_calls(One(), [b1], 3, lambda b: b.x)
    _assert_call(tensor[0], (b1.x,))


def test_inputs_gets_a_single_tuple_or_dict_batch_whole() -> None:
    x, y = torch.zeros(N, IN), torch.ones(N)
    got: list[Any] = []
    pair = (x, y)
    calls = calibration_calls(One(), pair, 5, lambda b: got.append(b) or b[1])
    assert len(got) == 1 and got[0] is pair
    _assert_call(calls[0], (y,))
    table = {"x": x}
    calls = calibration_calls(One(), table, 5, lambda b: got.append(b) or b["x"])
    assert got[-1] is table
    _assert_call(calls[0], (x,))
    listed = [x, y]  # a list is an iterable of batches, also with inputs=
    calls = calibration_calls(One(), listed, 5, lambda b: got.append(b) or b)
    assert got[-2] is x and got[-1] is y
    assert len(calls) == 2
    _assert_call(calls[0], (x,))
    _assert_call(calls[1], (y,))


def test_inputs_must_be_callable() -> None:
    message = "inputs=5 (int) is not valid; expected a callable from one batch to the arguments"
    _raises(ArgumentTypeError, message, calibration_calls, One(), torch.zeros(2, IN), 1, 5)


def test_a_failing_inputs_names_the_batch_and_the_error() -> None:
    def pick(b: dict[str, Any]) -> Any:
        return b["x"]

    data = [{"x": torch.zeros(2, IN)}, {"y": torch.zeros(2, IN)}]
    error = _raises(
        CalibrationError,
        "inputs= failed on batch 1 of data: KeyError: 'x'",
        calibration_calls,
        One(),
        data,
        5,
        pick,
    )
    assert type(error.__cause__) is KeyError


@pytest.mark.parametrize(
    ("data", "inputs", "kind"),
    [
        (5, None, "int"),
        ("abc", None, "str"),
        (b"ab", None, "bytes"),
        ("abc", lambda b: b, "str"),
        (object(), None, "object"),
    ],
)
def test_data_that_is_neither_a_batch_nor_an_iterable_is_an_error(
    data: object, inputs: Callable[[Any], Any] | None, kind: str
) -> None:
    message = (
        "data must be what model(data) accepts (a tensor, a PackedSequence, a tuple of "
        "positional arguments, a dict of keyword arguments) or an iterable of such batches "
        f"(e.g. a DataLoader, also one yielding (x, y) pairs), got {kind}"
    )
    _raises(CalibrationError, message, calibration_calls, One(), data, 3, inputs)


@pytest.mark.parametrize("data", [[], iter([])])
def test_empty_data_is_an_error(data: object) -> None:
    message = "data is empty: no batch to calibrate on"
    _raises(CalibrationError, message, calibration_calls, One(), data, 3)
    _raises(CalibrationError, message, calibration_calls, One(), [], 3, lambda b: b)


# --- check_finite -------------------------------------------------------------------------------


def test_finite_integer_and_empty_inputs_pass() -> None:
    calls = [
        Call((torch.randn(3, IN, generator=_gen()),), {"n": torch.ones(3)}),
        Call(({"a": [torch.zeros(2)]},)),
        Call((torch.tensor([1, 2]), torch.empty(0, IN), _packed(), "text", 5)),
    ]
    assert check_finite(calls) is None
    assert check_finite([]) is None


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        (float("nan"), lambda t: Call((t,))),
        (float("inf"), lambda t: Call((), {"x": t})),
        (float("-inf"), lambda t: Call(({"inner": (torch.zeros(2), [t])},))),
        (float("nan"), lambda t: Call((), {"d": {"deep": t}})),
        (float("inf"), lambda t: Call((pack_sequence([t.reshape(-1, 1)]),))),
    ],
)
def test_nan_or_inf_anywhere_in_a_call_names_the_first_bad_batch(
    bad: float, where: Callable[[torch.Tensor], Call]
) -> None:
    good = Call((torch.ones(2, IN),), {"n": torch.ones(2)})
    t = torch.tensor([1.0, bad, 2.0])
    _raises(
        CalibrationError,
        "batch 2 of data holds NaN or inf values",
        check_finite,
        [good, good, where(t), where(t)],
    )
    _raises(CalibrationError, "batch 0 of data holds NaN or inf values", check_finite, [where(t)])


def test_the_first_bad_batch_is_named_when_several_are_bad() -> None:
    nan, inf = torch.tensor([float("nan")]), torch.tensor([float("inf")])
    calls = [Call((torch.ones(1),)), Call((inf,)), Call((nan,))]
    _raises(CalibrationError, "batch 1 of data holds NaN or inf values", check_finite, calls)


# --- lengths_tensor -----------------------------------------------------------------------------


def test_lengths_none_stays_none_and_valid_lengths_become_a_flat_long_tensor() -> None:
    assert lengths_tensor(None) is None
    t = lengths_tensor([3, 1, 4])
    assert t is not None
    assert t.dtype == torch.int64 and t.device.type == "cpu"
    assert t.tolist() == [3, 1, 4]
    one = lengths_tensor([5])  # one sequence
    assert one is not None and one.tolist() == [5] and one.dtype == torch.int64
    flat = lengths_tensor(torch.tensor([[2], [6]], dtype=torch.int32))
    assert flat is not None and flat.shape == (2,) and flat.dtype == torch.int64
    assert flat.tolist() == [2, 6]
    assert lengths_tensor(torch.tensor(1)).tolist() == [1]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lengths", "shown"),
    [
        ([], "[]"),
        (torch.tensor([], dtype=torch.int64), "tensor([], dtype=torch.int64)"),
        ([2.0, 3.0], "[2.0, 3.0]"),
        (torch.tensor([2.5]), "tensor([2.5000])"),
        ([3, 0], "[3, 0]"),
        ([-1, 4], "[-1, 4]"),
        (0, "0"),
    ],
)
def test_lengths_that_are_not_positive_integers_are_an_error(lengths: object, shown: str) -> None:
    message = f"lengths must be positive integers, one per sequence, got {shown}"
    _raises(CalibrationError, message, lengths_tensor, lengths)


# --- valid_rows ---------------------------------------------------------------------------------

LENGTHS = [T, 2, 5, 1]  # N of them, the longest exactly T


def _by_hand(seq_major: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    """Rows of sequence 0 (its first l0 steps), then of sequence 1, ... from (N, T, in)."""
    return torch.cat([seq_major[i, :n] for i, n in enumerate(lengths)])


@pytest.mark.parametrize("batch_first", [False, True])
def test_valid_rows_keep_the_first_lengths_steps_of_each_sequence(batch_first: bool) -> None:
    lstm = nn.LSTM(IN, H, batch_first=batch_first)
    seq_major = _randn(N, T, IN)
    x = seq_major if batch_first else seq_major.transpose(0, 1).contiguous()
    rows = valid_rows(lstm, x, torch.tensor(LENGTHS), "")
    assert rows.shape == (sum(LENGTHS), IN)
    assert torch.equal(rows, _by_hand(seq_major, LENGTHS))


@pytest.mark.parametrize("batch_first", [False, True])
def test_without_lengths_every_step_is_a_row(batch_first: bool) -> None:
    gru = nn.GRU(IN, H, batch_first=batch_first)
    x = _randn(T, N, IN)
    rows = valid_rows(gru, x, None, "")
    assert torch.equal(rows, torch.cat([x[i] for i in range(T)]))


def test_a_packed_sequence_gives_its_data_rows() -> None:
    seqs = [_randn(4, IN, seed=1), _randn(2, IN, seed=2), _randn(3, IN, seed=3)]
    packed = pack_sequence(seqs, enforce_sorted=False)
    rows = valid_rows(nn.LSTM(IN, H), packed, torch.tensor([9, 9, 9]), "")
    assert rows is packed.data
    order = [0, 2, 1]  # longest first
    hand = torch.stack([seqs[i][t] for t in range(4) for i in order if t < len(seqs[i])])
    assert torch.equal(rows, hand)


def test_an_unbatched_sequence_and_a_cell_step_are_all_rows() -> None:
    x2 = _randn(T, IN)  # unbatched (T, in)
    for batch_first in (False, True):
        lstm = nn.LSTM(IN, H, batch_first=batch_first)
        assert torch.equal(valid_rows(lstm, x2, None, ""), x2)
    cell = nn.LSTMCell(IN, H)  # a cell's step: every row; lengths= describes whole sequences
    step = _randn(N, IN)
    assert torch.equal(valid_rows(cell, step, None, ""), step)
    assert torch.equal(valid_rows(cell, step, torch.tensor([T, 2, 5, 1]), ""), step)
    single = _randn(IN)  # an unbatched cell step (in,)
    for lengths in (None, torch.tensor([T])):
        rows = valid_rows(cell, single, lengths, "")
        assert rows.shape == (1, IN) and torch.equal(rows[0], single)


@pytest.mark.parametrize("batch_first", [False, True])
def test_an_unbatched_sequence_with_lengths_keeps_its_first_steps(batch_first: bool) -> None:
    x2 = _randn(T, IN)  # unbatched (T, in): a batch of one sequence
    lstm = nn.LSTM(IN, H, batch_first=batch_first)
    assert torch.equal(valid_rows(lstm, x2, torch.tensor([3]), ""), x2[:3])
    assert torch.equal(valid_rows(lstm, x2, torch.tensor([T]), ""), x2)
    message = (
        "lengths= has 2 entries (max 5) but rnn sees a batch of 1 sequences of 7 steps: lengths= "
        "is for a single padded batch that reaches every recurrent layer unchanged; use a "
        "PackedSequence otherwise"
    )
    _raises(CalibrationError, message, valid_rows, lstm, x2, torch.tensor([3, 5]), "rnn")
    longer = message.replace("2 entries (max 5)", "1 entries (max 8)")
    _raises(CalibrationError, longer, valid_rows, lstm, x2, torch.tensor([T + 1]), "rnn")


def test_auto_on_an_unbatched_padded_sequence_calibrates_on_its_valid_steps() -> None:
    x = torch.cat([_randn(3, IN, seed=4) * 3.0, torch.zeros(T - 3, IN)])  # 3 steps, then padding
    padded, trimmed = nn.LSTM(IN, H), nn.LSTM(IN, H)
    auto_init_(padded, x, lengths=[3], generator=_gen(5))
    auto_init_(trimmed, x[:3], generator=_gen(5))
    pairs = zip(padded.named_parameters(), trimmed.named_parameters(), strict=True)
    for (name, a), (_, b) in pairs:
        assert torch.equal(a, b), name
    untouched = nn.LSTM(IN, H)
    before = _snapshot(untouched)
    with pytest.raises(CalibrationError, match="lengths= has 2 entries"):
        auto_init_(untouched, x, lengths=[3, 5], generator=_gen(5))
    _assert_same(untouched, before)


@pytest.mark.parametrize(
    ("lengths", "name", "head"),
    [
        ([T, 2, 5], "", "lengths= has 3 entries (max 7) but the module sees "),
        ([T, 2, 5, 1, 1], "enc.rnn", "lengths= has 5 entries (max 7) but enc.rnn sees "),
        ([T + 1, 2, 5, 1], "rnn", "lengths= has 4 entries (max 8) but rnn sees "),
        ([1, 2, 5, 30], "", "lengths= has 4 entries (max 30) but the module sees "),
    ],
)
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_that_do_not_fit_the_batch_are_an_error(
    lengths: list[int], name: str, head: str, batch_first: bool
) -> None:
    lstm = nn.LSTM(IN, H, batch_first=batch_first)
    x = _randn(N, T, IN) if batch_first else _randn(T, N, IN)
    message = (
        f"{head}a batch of {N} sequences of {T} steps: lengths= is for a single padded batch "
        "that reaches every recurrent layer unchanged; use a PackedSequence otherwise"
    )
    _raises(CalibrationError, message, valid_rows, lstm, x, torch.tensor(lengths), name)


# --- seq_len ------------------------------------------------------------------------------------


def test_seq_len_of_packed_cell_lengths_and_time_dimension() -> None:
    packed = pack_padded_sequence(_randn(6, 3, IN), torch.tensor([6, 3, 2]))
    assert seq_len(nn.LSTM(IN, H), packed, torch.tensor([2, 2, 2])) == 6
    cell = nn.GRUCell(IN, H)
    assert seq_len(cell, _randn(N, IN), None) == 0
    assert seq_len(cell, _randn(N, IN), torch.tensor([5, 3, 1, 1])) == 0
    assert seq_len(nn.LSTM(IN, H), _randn(T, N, IN), torch.tensor([3, 6, 2, 1])) == 6
    for batch_first in (False, True):
        rnn = nn.RNN(IN, H, batch_first=batch_first)
        assert seq_len(rnn, _randn(T, IN), None) == T  # unbatched (T, in)
    assert seq_len(nn.LSTM(IN, H), _randn(T, N, IN), None) == T
    assert seq_len(nn.LSTM(IN, H, batch_first=True), _randn(N, T, IN), None) == T
    result = seq_len(nn.LSTM(IN, H), packed, None)
    assert type(result) is int


# --- capture_pass -------------------------------------------------------------------------------


class Looped(nn.Module):
    """A GRU (once per forward), then an LSTM cell once per step, and a module never called."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.pre = nn.GRU(IN, H)
        self.cell = nn.LSTMCell(H, H)
        self.idle = nn.RNN(IN, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pre(x)[0]
        h = c = torch.zeros(x.shape[1], H)
        for t in range(y.shape[0]):
            h, c = self.cell(y[t], (h, c))
        return h


def _modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if n in ("pre", "cell", "idle")]


def test_capture_counts_calls_in_order_and_cells_per_step() -> None:
    model = Looped()
    x5, x3 = _randn(5, N, IN, seed=1), _randn(3, N, IN, seed=2)  # 5 steps, then 3
    caps = capture_pass(model, [Call((x5,)), Call((x3,))], _modules(model), {"pre", "cell"})
    assert list(caps) == ["pre", "cell", "idle"]
    pre, cell, idle = caps["pre"], caps["cell"], caps["idle"]
    # global call order: pre 0, cell 1..5, pre 6, cell 7..9
    assert (pre.first_call, pre.last_call, pre.calls, pre.max_len) == (0, 6, 1, 0)
    assert (cell.first_call, cell.last_call, cell.calls, cell.max_len) == (1, 9, 3, 5)
    assert (idle.first_call, idle.last_call, idle.calls, idle.max_len) == (-1, -1, 0, 0)
    assert idle.inputs == []
    assert len(pre.inputs) == 2
    assert torch.equal(pre.inputs[0], x5) and torch.equal(pre.inputs[1], x3)
    with torch.no_grad():
        steps = [*model.pre(x5)[0], *model.pre(x3)[0]]
    assert len(cell.inputs) == 8
    for got, want in zip(cell.inputs, steps, strict=True):
        assert torch.equal(got, want)
        assert got.requires_grad is False  # detached: the step came from a GRU with grads
    for _, m in _modules(model):
        assert len(m._forward_pre_hooks) == 0


def test_capture_max_len_is_the_most_steps_in_any_forward() -> None:
    model = Looped()
    batches = [Call((_randn(t, 2, IN, seed=t),)) for t in (2, 6, 4)]
    caps = capture_pass(model, batches, _modules(model), set())
    assert caps["cell"].max_len == 6 and caps["cell"].calls == 4
    assert caps["cell"].inputs == [] and caps["pre"].inputs == []
    assert (caps["pre"].first_call, caps["pre"].last_call) == (0, 2 + 1 + 6 + 1)


def test_capture_records_only_wanted_modules() -> None:
    model = Looped()
    caps = capture_pass(model, [Call((_randn(2, N, IN),))], _modules(model), {"cell"})
    assert caps["pre"].inputs == [] and len(caps["cell"].inputs) == 2
    assert caps["pre"].calls == 1


class Keyworded(nn.Module):
    """Calls its LSTM with input= as a keyword, and with an initial state."""

    def __init__(self, keyword: bool) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.lstm = nn.LSTM(IN, H)
        self.keyword = keyword

    def forward(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        hx = (torch.zeros(1, x.shape[1], H), torch.zeros(1, x.shape[1], H))
        if self.keyword:
            return self.lstm(input=x * scale, hx=hx)[0]
        return self.lstm(x * scale, hx)[0]


@pytest.mark.parametrize("keyword", [False, True])
def test_capture_reads_the_input_positional_or_keyword_and_passes_kwargs(keyword: bool) -> None:
    model = Keyworded(keyword)
    x = _randn(T, N, IN)
    scale = torch.tensor(3.0)
    caps = capture_pass(model, [Call((x,), {"scale": scale})], [("lstm", model.lstm)], {"lstm"})
    assert len(caps["lstm"].inputs) == 1
    assert torch.equal(caps["lstm"].inputs[0], x * 3.0)


def test_capture_keeps_a_packed_input_as_is() -> None:
    lstm = nn.LSTM(IN, H)
    packed = _packed()
    caps = capture_pass(lstm, [Call((packed,))], [("", lstm)], {""})
    assert len(caps[""].inputs) == 1 and caps[""].inputs[0] is packed
    assert (caps[""].calls, caps[""].first_call, caps[""].last_call) == (1, 0, 0)
    assert caps[""].max_len == 0  # not a cell: its length comes from seq_len


class WrappedCell(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.step = nn.GRUCell(IN, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.step(x)


def _cell_message(name: str, kind: str, shape: tuple[int, ...]) -> str:
    return (
        f"{name} is a cell ({kind}): it takes one time step (N, in), got an input of shape "
        f"{shape}; calibrate the model that runs the cell over time on the sequences "
        "(init_(model, 'auto', data=sequences)), or pass one step x[t] (batch-first: x[:, t]) "
        "with horizon= the sequence length"
    )


def test_a_cell_given_a_sequence_is_an_error_naming_it() -> None:
    cell = nn.LSTMCell(IN, H)
    x = _randn(T, N, IN)
    message = _cell_message("LSTMCell", "LSTMCell", (T, N, IN))
    _raises(CalibrationError, message, capture_pass, cell, [Call((x,))], [("", cell)], {""})
    assert len(cell._forward_pre_hooks) == 0
    model = WrappedCell()
    x4 = _randn(2, T, N, IN)
    message = _cell_message("step", "GRUCell", (2, T, N, IN))
    mods = [("step", model.step)]
    _raises(CalibrationError, message, capture_pass, model, [Call((x4,))], mods, set())
    caps = capture_pass(model, [Call((_randn(N, IN),)), Call((_randn(IN),))], mods, {"step"})
    assert caps["step"].calls == 1 and caps["step"].max_len == 1
    assert [tuple(t.shape) for t in caps["step"].inputs] == [(N, IN), (IN,)]


class Failing(nn.Module):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.lstm = nn.LSTM(IN, H)
        self.error = error

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lstm(x)[0]
        if x.shape[0] == 3:
            raise self.error
        return out


def test_a_failing_forward_is_a_calibration_error_naming_the_batch() -> None:
    boom = ValueError("boom")
    model = Failing(boom)
    batches = [Call((_randn(T, N, IN),)), Call((_randn(3, N, IN),))]
    mods = [("lstm", model.lstm)]
    error = _raises(
        CalibrationError,
        "model(data) failed on calibration batch 1: ValueError: boom",
        capture_pass,
        model,
        batches,
        mods,
        {"lstm"},
    )
    assert error.__cause__ is boom
    assert len(model.lstm._forward_pre_hooks) == 0
    ours = RnnInitError("ours")  # rnninit's own errors go through unchanged
    model = Failing(ours)
    with pytest.raises(RnnInitError) as info:
        capture_pass(model, batches, [("lstm", model.lstm)], {"lstm"})
    assert info.value is ours


def test_capture_leaves_earlier_hooks_in_place() -> None:
    lstm = nn.LSTM(IN, H)
    seen: list[int] = []
    handle = lstm.register_forward_pre_hook(lambda m, a: seen.append(1))
    capture_pass(lstm, [Call((_randn(T, N, IN),))], [("", lstm)], {""})
    assert len(lstm._forward_pre_hooks) == 1 and seen == [1]
    handle.remove()


def test_capture_defaults() -> None:
    cap = Capture()
    assert (cap.inputs, cap.max_len, cap.calls, cap.first_call, cap.last_call) == ([], 0, 0, -1, -1)
    assert Capture().inputs is not cap.inputs


# --- layer_module -------------------------------------------------------------------------------

KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")

STACKS = [
    (nn.LSTM, {"bidirectional": True, "proj_size": 2}),
    (nn.LSTM, {"batch_first": True, "dtype": torch.float64}),
    (nn.GRU, {"batch_first": True, "bidirectional": True}),
    (nn.GRU, {"bias": False}),
    (nn.RNN, {"nonlinearity": "relu", "bidirectional": True}),
    (nn.RNN, {"bias": False, "batch_first": True}),
]


def _stack(family: type[nn.RNNBase], cfg: dict[str, Any]) -> nn.RNNBase:
    torch.manual_seed(0)
    return family(IN, H, num_layers=3, **cfg)  # type: ignore[arg-type]


def _width(cfg: dict[str, Any]) -> int:
    """The input width of layers 1 and 2, by hand: directions x (proj_size or hidden_size)."""
    return (2 if cfg.get("bidirectional") else 1) * (cfg.get("proj_size") or H)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(("family", "cfg"), STACKS)
@pytest.mark.parametrize("k", [0, 1, 2])
def test_layer_module_is_layer_k_rebuilt_as_a_fresh_single_layer(
    family: type[nn.RNNBase], cfg: dict[str, Any], k: int
) -> None:
    deep = _stack(family, cfg)
    single = layer_module(deep, k)
    in_k = IN if k == 0 else _width(cfg)
    assert type(single) is family
    assert single.num_layers == 1 and single.input_size == in_k and single.hidden_size == H
    assert single.bias is cfg.get("bias", True)
    assert single.batch_first is cfg.get("batch_first", False)
    assert single.bidirectional is cfg.get("bidirectional", False)
    assert single.proj_size == cfg.get("proj_size", 0)
    if family is nn.RNN:
        assert single.nonlinearity == cfg.get("nonlinearity", "tanh")
    assert single.training is False
    dtype = cfg.get("dtype", torch.float32)
    assert all(p.dtype == dtype for p in single.parameters())
    # the reference: PyTorch's module, the raw tensors copied by their PyTorch names
    ref = family(in_k, H, num_layers=1, **cfg)  # type: ignore[arg-type]
    copied = 0
    with torch.no_grad():
        for sfx in ("", "_reverse"):
            for kind in KINDS:
                if hasattr(ref, f"{kind}_l0{sfx}"):
                    getattr(ref, f"{kind}_l0{sfx}").copy_(getattr(deep, f"{kind}_l{k}{sfx}"))
                    copied += 1
                    mine = getattr(single, f"{kind}_l0{sfx}")
                    assert torch.equal(mine, getattr(deep, f"{kind}_l{k}{sfx}"))
                    assert mine.data_ptr() != getattr(deep, f"{kind}_l{k}{sfx}").data_ptr()
    assert copied == len(list(single.parameters()))
    ref.eval()
    shape = (N, T, in_k) if cfg.get("batch_first") else (T, N, in_k)
    x = _randn(*shape, seed=k + 1, dtype=dtype)
    with torch.no_grad():
        torch.testing.assert_close(single(x)[0], ref(x)[0], rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(("family", "cfg"), STACKS)
def test_the_layers_run_alone_in_a_chain_give_the_stack_output(
    family: type[nn.RNNBase], cfg: dict[str, Any]
) -> None:
    deep = _stack(family, cfg).eval()
    dtype = cfg.get("dtype", torch.float32)
    x = _randn(*((N, T, IN) if cfg.get("batch_first") else (T, N, IN)), dtype=dtype)
    with torch.no_grad():
        out = x
        for k in range(3):
            out = layer_module(deep, k)(out)[0]
        torch.testing.assert_close(out, deep(x)[0])


def test_layer_module_copies_do_not_write_back() -> None:
    deep = _stack(nn.GRU, {})
    before = deep.weight_ih_l1.detach().clone()
    single = layer_module(deep, 1)
    with torch.no_grad():
        single.weight_ih_l0.zero_()
    assert torch.equal(deep.weight_ih_l1, before)


# --- second_moment ------------------------------------------------------------------------------


def test_second_moment_sums_x_xt_over_batches_in_float64_and_counts_rows() -> None:
    r0, r1 = _randn(6, IN, seed=1), _randn(2, IN, seed=2)  # rows != features in each batch
    total, count = second_moment([r0, r1])
    assert total.dtype == torch.float64 and total.shape == (IN, IN)
    hand = (r0.T @ r0).double() + (r1.T @ r1).double()  # each batch in float32, then float64
    assert torch.equal(total, hand)
    assert count == 8 and type(count) is int
    one, n1 = second_moment([r1])
    assert torch.equal(one, (r1.T @ r1).double()) and n1 == 2


def test_second_moment_keeps_float64_and_widens_lower_precision_to_float32() -> None:
    r64 = _randn(5, IN, seed=3, dtype=torch.float64)
    total, count = second_moment([r64])
    assert torch.equal(total, r64.T @ r64) and count == 5
    half = torch.full((9, 2), 0.1, dtype=torch.float16)
    total, count = second_moment([half])
    f = half.float()
    assert torch.equal(total, (f.T @ f).double()) and count == 9
    ints = torch.arange(8).reshape(4, 2)
    total, _ = second_moment([ints])
    assert total.dtype == torch.float64
    assert total.tolist() == [[56.0, 68.0], [68.0, 84.0]]


def test_second_moment_detaches() -> None:
    r = _randn(4, IN).requires_grad_()
    total, _ = second_moment([r * 2])
    assert total.requires_grad is False


# --- torch.distributed helpers ------------------------------------------------------------------


def test_without_a_process_group_the_reductions_are_the_identity() -> None:
    assert not dist.is_initialized()
    t = _randn(3, IN)
    before = t.clone()
    for op in (reduce_sum(), reduce_max()):
        assert all_reduce(t, op) is t
        assert torch.equal(t, before)
    params = list(nn.Linear(IN, 2).parameters())
    saved = [p.detach().clone() for p in params]
    assert broadcast_from_rank0(params) is None
    assert all(torch.equal(p, s) for p, s in zip(params, saved, strict=True))


def test_reduce_ops_are_sum_and_max() -> None:
    assert reduce_sum() == dist.ReduceOp.SUM
    assert reduce_max() == dist.ReduceOp.MAX


def test_with_a_process_group_all_reduce_and_broadcast_are_called_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, Any, Any]] = []

    def fake_all_reduce(tensor: Any, op: Any = "default", group: Any = None) -> None:
        calls.append(("all_reduce", tensor, op))

    def fake_broadcast(tensor: Any, src: Any = "default", group: Any = None) -> None:
        calls.append(("broadcast", tensor, src))

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "all_reduce", fake_all_reduce)
    monkeypatch.setattr(dist, "broadcast", fake_broadcast)
    t = torch.ones(2)
    assert all_reduce(t, dist.ReduceOp.MAX) is t
    assert calls == [("all_reduce", t, dist.ReduceOp.MAX)] and calls[0][1] is t
    calls.clear()
    lin = nn.Linear(IN, 2)
    broadcast_from_rank0([lin.weight, lin.bias])
    assert [(c[0], c[2]) for c in calls] == [("broadcast", 0), ("broadcast", 0)]
    for (_, sent, _), p in zip(calls, (lin.weight, lin.bias), strict=True):
        assert type(sent) is torch.Tensor  # p.data: written without autograd
        assert sent.data_ptr() == p.data_ptr() and sent.shape == p.shape


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_a_one_process_group_leaves_values_unchanged(tmp_path: Path) -> None:
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        t = torch.tensor([1.0, -2.0, 3.0])
        assert all_reduce(t, reduce_sum()) is t and t.tolist() == [1.0, -2.0, 3.0]
        assert all_reduce(t, reduce_max()) is t and t.tolist() == [1.0, -2.0, 3.0]
        lin = nn.Linear(IN, 2)
        saved = [p.detach().clone() for p in lin.parameters()]
        broadcast_from_rank0(lin.parameters())
        assert all(torch.equal(p, s) for p, s in zip(lin.parameters(), saved, strict=True))
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


# --- rnninit.schemes._transaction.atomic ----------------------------------------------------


class _Fail(Exception):
    pass


def _state(m: nn.Module) -> list[torch.Tensor]:
    return [t.detach().clone() for t in (*m.parameters(), *m.buffers())]


def _bits(t: torch.Tensor) -> torch.Tensor:
    return t.detach().contiguous().view(torch.uint8)


def _same_bits(m: nn.Module, saved: list[torch.Tensor]) -> bool:
    now = [*m.parameters(), *m.buffers()]
    return len(now) == len(saved) and all(
        torch.equal(_bits(a), _bits(b)) for a, b in zip(now, saved, strict=True)
    )


def _scribble(m: nn.Module) -> None:
    with torch.no_grad():
        for t in (*m.parameters(), *m.buffers()):
            if t.is_floating_point():
                t.add_(1.5)
            else:
                t.add_(3)


def test_atomic_keeps_the_writes_of_a_body_that_succeeds() -> None:
    gru = nn.GRU(IN, H)
    before = _state(gru)
    with atomic([("", gru)]):
        _scribble(gru)
    after = [*gru.parameters()]
    assert all(torch.equal(a, b + 1.5) for a, b in zip(after, before, strict=True))


def test_atomic_restores_parameters_and_buffers_in_place_and_reraises() -> None:
    lstm = nn.LSTM(IN, H, num_layers=2)
    lstm.register_buffer("steps", torch.tensor([4, 5]))
    objects = [*lstm.parameters(), *lstm.buffers()]
    ptrs = [t.data_ptr() for t in objects]
    before = _state(lstm)
    error = _Fail("later step")
    with pytest.raises(_Fail) as info, atomic([("lstm", lstm)]):
        _scribble(lstm)
        raise error
    assert info.value is error
    assert _same_bits(lstm, before)
    assert all(a is b for a, b in zip([*lstm.parameters(), *lstm.buffers()], objects, strict=True))
    assert [t.data_ptr() for t in objects] == ptrs
    assert lstm.steps.tolist() == [4, 5]


def test_atomic_restores_on_base_exceptions_too() -> None:
    rnn = nn.RNN(IN, H)
    before = _state(rnn)
    with pytest.raises(KeyboardInterrupt), atomic([("", rnn)]):
        _scribble(rnn)
        raise KeyboardInterrupt
    assert _same_bits(rnn, before)


def test_atomic_restores_only_the_listed_modules_and_shared_tensors_once() -> None:
    a, b, other = nn.GRU(IN, H), nn.GRU(IN, H), nn.GRU(IN, H)
    b.weight_hh_l0 = a.weight_hh_l0  # tied
    saved_a, saved_b = _state(a), _state(b)
    before_other = _state(other)
    with pytest.raises(_Fail), atomic([("a", a), ("b", b), ("a_again", a)]):
        _scribble(a)
        _scribble(b)
        _scribble(other)
        raise _Fail
    assert _same_bits(a, saved_a) and _same_bits(b, saved_b)
    now = [*other.parameters()]
    assert all(torch.equal(x, y + 1.5) for x, y in zip(now, before_other, strict=True))


def test_atomic_restores_the_originals_of_a_parametrization() -> None:
    lstm = nn.LSTM(IN, H)
    nn.utils.parametrizations.orthogonal(lstm, "weight_hh_l0")
    before = _state(lstm)
    effective = lstm.weight_hh_l0.detach().clone()
    with pytest.raises(_Fail), atomic([("", lstm)]):
        _scribble(lstm)
        raise _Fail
    assert _same_bits(lstm, before)
    torch.testing.assert_close(lstm.weight_hh_l0, effective, rtol=0, atol=0)


def test_atomic_restores_the_weight_of_a_legacy_weight_norm() -> None:
    gru = nn.GRU(IN, H)
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(gru, "weight_hh_l0")
    before = _state(gru)
    computed = gru.weight_hh_l0
    assert not isinstance(computed, nn.Parameter)  # a plain attribute the hook recomputes
    with pytest.raises(_Fail), atomic([("", gru)]):
        _scribble(gru)
        gru.weight_hh_l0 = torch.zeros_like(computed)
        raise _Fail
    assert _same_bits(gru, before)
    assert gru.weight_hh_l0 is computed
