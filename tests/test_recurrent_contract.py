"""Contract of ``Recurrent``'s carried state: reset masks, forward with a state or a context,
batch/dtype/device changes of the carry.
"""

from __future__ import annotations

import pytest
import torch
from states_kinds_support import IN, META, H, _gen
from torch import nn

from rnninit.errors import ArgumentValueError, StateShapeError
from rnninit.states import Recurrent

# --- Recurrent: reset --------------------------------------------------------------------------


def _stateful(init: object = "learned") -> tuple[Recurrent, Recurrent]:
    """A stateful LSTM wrapper with a non-zero learned state, and a fresh one sharing it."""
    torch.manual_seed(0)
    rnn = nn.LSTM(IN, H, num_layers=2)
    rec = Recurrent(rnn, init, stateful=True)  # type: ignore[arg-type]
    with torch.no_grad():
        for i, p in enumerate(rec.initial_state.parameters()):
            p.normal_(generator=_gen(10 + i))
    return rec, Recurrent(rnn, rec.initial_state)


def _restarted_rows(mask: object) -> list[int]:
    """Which of 4 rows start again at the initial state after ``reset(mask)``."""
    rec, fresh = _stateful()
    x1 = torch.randn(3, 4, IN, generator=_gen(1))
    x2 = torch.randn(3, 4, IN, generator=_gen(2))
    rec(x1)
    carried = rec.carried_state
    rec.reset(mask)  # type: ignore[arg-type]
    out, _ = rec(x2)
    restarted, _ = fresh(x2)
    continued, _ = rec.rnn(x2, carried)
    rows = []
    for i in range(4):
        if torch.allclose(out[:, i], restarted[:, i], atol=1e-6):
            rows.append(i)
        else:
            assert torch.allclose(out[:, i], continued[:, i], atol=1e-6)
    return rows


@pytest.mark.parametrize(
    ("mask", "rows"),
    [
        ([-4], [0]),
        ([-1, 1], [1, 3]),
        ([], []),
        (torch.tensor([], dtype=torch.long), []),
        (torch.tensor([2, 0], dtype=torch.int32), [0, 2]),
        (torch.tensor([-4, 3]), [0, 3]),
        ((1, 2), [1, 2]),
        (torch.tensor([False, False, True, False]), [2]),
    ],
    ids=["-n", "neg", "empty", "empty_t", "int32", "neg_t", "tuple", "bool"],
)
def test_reset_mask_forms(mask: object, rows: list[int]) -> None:
    assert _restarted_rows(mask) == rows


def test_reset_applies_to_the_next_call_only() -> None:
    rec, _ = _stateful()
    x = torch.randn(3, 4, IN, generator=_gen(1))
    rec(x)
    rec.reset([1])
    rec(x)  # row 1 restarted here
    carried = rec.carried_state
    out, _ = rec(x)
    continued, _ = rec.rnn(x, carried)
    assert torch.allclose(out, continued, atol=1e-6)


@pytest.mark.parametrize(
    ("mask", "error", "message"),
    [
        (
            torch.tensor([True, False]),
            StateShapeError,
            "reset mask must have shape (4,) (the carried batch size), got (2,)",
        ),
        (
            torch.tensor([0.0, 1.0]),
            TypeError,
            "mask must be a bool tensor (N,) or 1-D integer indices, got dtype torch.float32 "
            "and shape (2,)",
        ),
        (
            torch.tensor([[0, 1]]),
            TypeError,
            "mask must be a bool tensor (N,) or 1-D integer indices, got dtype torch.int64 "
            "and shape (1, 2)",
        ),
        (
            torch.tensor([1j]),
            TypeError,
            "mask must be a bool tensor (N,) or 1-D integer indices, got dtype torch.complex64 "
            "and shape (1,)",
        ),
        (
            [4, -5, 1, -4, 3],
            StateShapeError,
            "reset indices [4, -5] out of range for the carried batch size 4",
        ),
        (
            torch.tensor([4, -5, 1]),
            StateShapeError,
            "reset indices [4, -5] out of range for the carried batch size 4",
        ),
        (
            "all",
            TypeError,
            "mask must be a bool tensor (N,) or a list of row indices, got str",
        ),
        (
            [True, False, True, False],
            TypeError,
            "mask must be a bool tensor (N,) or a list of row indices, got list",
        ),
        (
            [0, 1.0],
            TypeError,
            "mask must be a bool tensor (N,) or a list of row indices, got list",
        ),
    ],
    ids=["shape", "float", "2d", "complex", "range", "range_t", "str", "bools", "floats"],
)
def test_reset_mask_errors(mask: object, error: type[Exception], message: str) -> None:
    rec = Recurrent(nn.GRU(IN, H), "zeros", stateful=True)
    rec(torch.randn(5, 4, IN))
    with pytest.raises(error) as err:
        rec.reset(mask)  # type: ignore[arg-type]
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ("all", "mask must be a bool tensor (N,) or a list of row indices, got str"),
        ([True], "mask must be a bool tensor (N,) or a list of row indices, got list"),
        (3, "mask must be a bool tensor (N,) or a list of row indices, got int"),
    ],
)
def test_reset_mask_type_is_checked_even_with_nothing_carried(mask: object, message: str) -> None:
    rec = Recurrent(nn.GRU(IN, H), "zeros", stateful=True)
    with pytest.raises(TypeError) as err:
        rec.reset(mask)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_a_mask_with_nothing_carried_is_an_error_and_changes_nothing() -> None:
    rec, fresh = _stateful()
    for mask in (torch.tensor([True, False, True]), [7]):  # nothing to check them against
        with pytest.raises(ArgumentValueError) as err:
            rec.reset(mask)
        assert str(err.value).startswith("reset(mask=")
        assert "nothing is carried (before the first call or after reset())" in str(err.value)
    assert rec.carried_state is None and rec._pending is None
    x = torch.randn(3, 4, IN, generator=_gen(1))
    out, _ = rec(x)
    assert torch.allclose(out, fresh(x)[0])


def test_reset_without_a_mask_forgets_pending_rows_too() -> None:
    rec, fresh = _stateful()
    rec(torch.randn(3, 4, IN, generator=_gen(1)))
    rec.reset([0])
    rec.reset()
    assert rec.carried_state is None
    x = torch.randn(3, 2, IN, generator=_gen(2))  # another batch size is fine now
    out, _ = rec(x)
    assert torch.allclose(out, fresh(x)[0])
    x = torch.randn(3, 2, IN, generator=_gen(3))
    carried = rec.carried_state
    out, _ = rec(x)  # nothing pending: every row continues
    assert torch.allclose(out, rec.rnn(x, carried)[0], atol=1e-6)


def test_a_mask_on_an_unbatched_carry() -> None:
    rec = Recurrent(nn.GRU(IN, H), "zeros", stateful=True)
    rec(torch.randn(5, IN))
    with pytest.raises(StateShapeError) as err:
        rec.reset([0])
    assert str(err.value) == (
        "the carried state is unbatched (the last input had no batch dimension): "
        "call reset() without a mask"
    )


def test_reset_masks_on_another_device_than_the_carry() -> None:
    # the carry lives on the module's device (meta here); masks are given on the CPU
    rec = Recurrent(nn.GRU(IN, H, device=META), "learned", stateful=True)
    x = torch.empty(5, 4, IN, device=META)
    rec(x)
    rec.reset(torch.tensor([True, False, False, False]))
    rec.reset([2])
    rec.reset(torch.tensor([3]))
    out, h = rec(x)
    assert out.device == h.device == META and h.shape == (1, 4, H)
    rec.reset([1])
    rec.reset(torch.tensor([False, True, False, False]))
    assert rec(x)[1].device == META


# --- Recurrent: forward ------------------------------------------------------------------------


def test_state_and_context_together() -> None:
    rec = Recurrent(nn.GRU(IN, H), ("conditional", {"context_size": 5}))
    with pytest.raises(TypeError) as err:
        rec(torch.randn(5, 4, IN), torch.zeros(1, 4, H), context=torch.zeros(4, 5))
    assert str(err.value) == "give either state= or context= (a context builds the state)"


def test_a_given_state_is_checked_against_the_input() -> None:
    rec = Recurrent(nn.GRU(IN, H), "zeros", stateful=True)
    with pytest.raises(StateShapeError, match=r"expected shape \(1, 4, 6\), got \(4, 1, 6\)"):
        rec(torch.randn(5, 4, IN), torch.zeros(4, 1, H))
    assert rec.carried_state is None


def test_a_stateless_wrapper_carries_nothing() -> None:
    rec = Recurrent(nn.GRU(IN, H), "learned")
    x = torch.randn(5, 4, IN, generator=_gen(0))
    first, _ = rec(x)
    assert rec.carried_state is None
    assert torch.equal(rec(x)[0], first)


@pytest.mark.parametrize(
    ("x", "context", "message"),
    [
        (
            (5, 4, IN),
            (3, 5),
            "context has shape (3, 5) (batch size: 3) but the input has 4 (input.shape[1])",
        ),
        (
            (5, IN),
            (4, 5),
            "context has shape (4, 5) (batch size: 4) but the input has no batch dimension "
            "(2-D input (unbatched))",
        ),
        (
            (5, 4, IN),
            (5,),
            "context has shape (5,) (batch size: no batch dimension) but the input has 4 "
            "(input.shape[1])",
        ),
    ],
)
def test_recurrent_context_batch_errors(
    x: tuple[int, ...], context: tuple[int, ...], message: str
) -> None:
    rec = Recurrent(nn.GRU(IN, H), ("conditional", {"context_size": 5}))
    with pytest.raises(StateShapeError) as err:
        rec(torch.randn(x), context=torch.zeros(context))
    assert str(err.value) == message


def test_recurrent_context_type_errors() -> None:
    rec = Recurrent(nn.GRU(IN, H), ("conditional", {"context_size": 5}), stateful=True)
    x = torch.randn(5, 4, IN)
    with pytest.raises(TypeError) as err:
        rec(x)
    assert str(err.value) == (
        "this Recurrent has a conditional initial state: call it with "
        "context=<(N, context_size) tensor>"
    )
    ctx = torch.randn(4, 5, generator=_gen(0))
    rec(x, context=ctx)
    rec.reset([1])
    with pytest.raises(TypeError) as err:
        rec(x)
    assert str(err.value) == "rows are reset and the initial state is conditional: pass context="
    with pytest.raises(TypeError) as err:
        Recurrent(nn.GRU(IN, H), "learned")(x, context=ctx)
    assert str(err.value) == "context= is for a conditional initial state, not 'learned'"


def test_a_carried_conditional_call_restarts_reset_rows_from_the_context() -> None:
    torch.manual_seed(0)
    rec = Recurrent(nn.GRU(IN, H), ("conditional", {"context_size": 5}), stateful=True)
    x = torch.randn(3, 4, IN, generator=_gen(1))
    ctx = torch.randn(4, 5, generator=_gen(2))
    rec(x, context=ctx)
    carried = rec.carried_state
    out, _ = rec(x)  # carried, no context needed, nothing restarts
    assert torch.allclose(out, rec.rnn(x, carried)[0], atol=1e-6)
    carried = rec.carried_state
    rec.reset([0, 2])
    out, _ = rec(x, context=ctx)
    restarted, _ = rec.rnn(x, rec.initial_state(ctx))
    continued, _ = rec.rnn(x, carried)
    assert torch.allclose(out[:, [0, 2]], restarted[:, [0, 2]], atol=1e-6)
    assert torch.allclose(out[:, [1, 3]], continued[:, [1, 3]], atol=1e-6)


@pytest.mark.parametrize(
    ("first", "then", "message"),
    [
        (
            (5, 4, IN),
            (5, 3, IN),
            "stateful Recurrent carries a state for batch size 4 but this input has batch "
            "size 3 (input.shape[1]); call reset() first to start new sequences",
        ),
        (
            (5, 4, IN),
            (5, IN),
            "stateful Recurrent carries a state for batch size 4 but this input is unbatched "
            "(2-D input (unbatched)); call reset() first to start new sequences",
        ),
        (
            (5, IN),
            (5, 4, IN),
            "stateful Recurrent carries an unbatched state but this input has batch size 4 "
            "(input.shape[1]); call reset() first to start new sequences",
        ),
    ],
)
def test_carried_batch_size_changes(
    first: tuple[int, ...], then: tuple[int, ...], message: str
) -> None:
    rec = Recurrent(nn.GRU(IN, H), "zeros", stateful=True)
    rec(torch.randn(first))
    with pytest.raises(StateShapeError) as err:
        rec(torch.randn(then))
    assert str(err.value) == message


def test_the_carry_follows_a_change_of_dtype() -> None:
    rec = Recurrent(nn.LSTM(IN, H), "normal", stateful=True)
    x = torch.randn(5, 4, IN, generator=_gen(0))
    _, (h, c) = rec(x)
    carried = rec.carried_state
    assert isinstance(carried, tuple)
    assert torch.equal(carried[0], h) and torch.equal(carried[1], c)  # (h_n, c_n), in order
    rec.double()
    out, (h, c) = rec(x.double())
    assert out.dtype == h.dtype == c.dtype == torch.float64
    ref, _ = rec.rnn(x.double(), (carried[0].double(), carried[1].double()))
    assert torch.allclose(out, ref)


def test_the_carry_follows_a_change_of_device() -> None:
    rec = Recurrent(nn.LSTM(IN, H), "zeros", stateful=True)
    rec(torch.randn(5, 4, IN))
    rec.to(META)
    out, (h, c) = rec(torch.empty(5, 4, IN, device=META))
    assert out.device == h.device == c.device == META


def test_rows_reset_before_a_move_to_another_device() -> None:
    rec = Recurrent(nn.LSTM(IN, H), "learned", stateful=True)
    rec(torch.randn(5, 4, IN))
    rec.reset([1, 3])  # pending rows recorded on the CPU
    rec.to(META)
    out, (h, c) = rec(torch.empty(5, 4, IN, device=META))
    assert out.device == h.device == c.device == META


def test_a_carried_call_draws_no_random_numbers() -> None:
    gen = _gen(0)
    rec = Recurrent(nn.GRU(IN, H), "normal", stateful=True, generator=gen)
    x = torch.randn(5, 4, IN, generator=_gen(1))
    rec(x)
    after_first = gen.get_state()
    rec(x)
    with torch.no_grad():
        rec(x)
    assert torch.equal(gen.get_state(), after_first)
    rec.reset([1])
    rec(x)  # a restarted row draws again
    assert not torch.equal(gen.get_state(), after_first)
    noisy = Recurrent(nn.GRU(IN, H), "learned_noisy", stateful=True, generator=gen)
    noisy(x)
    after_first = gen.get_state()
    with torch.no_grad():  # no graph to keep the learned state in: the carry alone
        noisy(x)
    assert torch.equal(gen.get_state(), after_first)


def test_a_frozen_or_no_grad_learned_state_is_not_in_the_graph_of_a_carried_call() -> None:
    rec, _ = _stateful()
    x = torch.randn(3, 4, IN, generator=_gen(1))
    rec(x)
    with torch.no_grad():
        _, (h, _c) = rec(x)
    assert h.grad_fn is None
    rec.initial_state.requires_grad_(False)
    rec.rnn.requires_grad_(False)
    _, (h, _c) = rec(x)
    assert h.grad_fn is None and not h.requires_grad
    rec.initial_state.requires_grad_(True)
    _, (h, _c) = rec(x)  # trainable again: in the graph with a zero gradient on carried rows
    h.sum().backward()
    grad = rec.initial_state.h0.grad
    assert grad is not None and torch.equal(grad, torch.zeros(2, H))
