"""Contract of ``InitialState.forward`` and the construction of ``Recurrent``: exact messages,
contexts, generator overrides, forwarded attributes.
"""

from __future__ import annotations

import math

import pytest
import torch
from states_kinds_support import IN, H, _gen
from torch import nn

from rnninit.errors import InitializerError, StateShapeError
from rnninit.states import InitialState, Recurrent
from rnninit.states.shapes import BatchInfo

# --- InitialState.forward: exact messages ------------------------------------------------------


def test_a_tensor_as_batch_size_is_refused_with_the_fix() -> None:
    state = InitialState(nn.GRU(3, 8), "normal")
    with pytest.raises(TypeError) as err:
        state(torch.zeros(5, 4, 3))
    assert str(err.value) == (
        "InitialState(init='normal') takes a batch size, not a tensor; pass the input as "
        "like=input (a tensor is the context only for init='conditional')"
    )


@pytest.mark.parametrize(("generator", "name"), [(1, "int"), (torch.device("cpu"), "device")])
def test_a_generator_that_is_not_one(generator: object, name: str) -> None:
    with pytest.raises(TypeError) as err:
        InitialState(nn.GRU(3, 8), "normal", generator=generator)  # type: ignore[arg-type]
    assert str(err.value) == f"generator must be a torch.Generator, got {name}"


def test_build_of_a_conditional_state_without_a_context() -> None:
    state = _conditional()
    with pytest.raises(TypeError) as err:
        state.build(BatchInfo(4, torch.float32, torch.device("cpu"), "test"))
    assert str(err.value) == "init='conditional' needs a context"


def _conditional() -> InitialState:
    return InitialState(nn.GRU(3, 8), ("conditional", {"context_size": 10}))


def test_context_given_twice() -> None:
    with pytest.raises(TypeError) as err:
        _conditional()(torch.zeros(5, 10), context=torch.zeros(5, 10))
    assert str(err.value) == "context given twice (positionally and as context=)"


def test_context_must_be_a_tensor() -> None:
    with pytest.raises(TypeError) as err:
        _conditional()(context=[0.0] * 10)  # type: ignore[arg-type]
    assert str(err.value) == "context must be a torch.Tensor, got list"


_SHAPE = "context must have shape (N, 10) or (10,) (context_size=10), got "


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((5, 7), _SHAPE + "(5, 7): its width 7 is not context_size=10"),
        ((7,), _SHAPE + "(7,): its width 7 is not context_size=10"),
        ((2, 5, 10), _SHAPE + "(2, 5, 10)"),
        ((2, 5, 7), _SHAPE + "(2, 5, 7)"),
    ],
)
def test_context_shape_errors(shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(StateShapeError) as err:
        _conditional()(torch.zeros(shape))
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("context", "batch_size", "like", "message"),
    [
        ((5, 10), 7, None, "context has batch size 5 (shape (5, 10)) but batch_size gives 7"),
        (
            (5, 10),
            None,
            (6, 3),
            "context has batch size 5 (shape (5, 10)) but 2-D input (unbatched) gives no "
            "batch dimension",
        ),
        (
            (5, 10),
            None,
            (6, 4, 3),
            "context has batch size 5 (shape (5, 10)) but input.shape[1] gives 4",
        ),
        (
            (10,),
            None,
            (6, 4, 3),
            "context has batch size None (shape (10,)) but input.shape[1] gives 4",
        ),
    ],
)
def test_context_and_target_batch_disagree(
    context: tuple[int, ...],
    batch_size: int | None,
    like: tuple[int, ...] | None,
    message: str,
) -> None:
    target = torch.zeros(like) if like is not None else None
    with pytest.raises(StateShapeError) as err:
        _conditional()(batch_size, context=torch.zeros(context), like=target)
    assert str(err.value) == message


def test_context_with_an_agreeing_batch_size_or_input() -> None:
    state = _conditional()
    ctx = torch.randn(5, 10, generator=_gen(0))
    expected = state(ctx)
    assert torch.equal(state(5, context=ctx), expected)
    assert torch.equal(state(context=ctx, like=torch.zeros(6, 5, 3)), expected)
    assert state(context=ctx[0], like=torch.zeros(6, 3)).shape == (1, 8)


def test_a_call_generator_overrides_the_constructions() -> None:
    rnn = nn.LSTM(3, 8)
    one = InitialState(rnn, "normal", generator=_gen(1))
    two = InitialState(rnn, "normal", generator=_gen(2))
    assert not torch.equal(one(4)[0], two(4)[0])  # the construction generators differ
    a = one(4, generator=_gen(7))
    b = two(4, generator=_gen(7))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    noisy = InitialState(rnn, "learned_noisy", generator=_gen(1))
    c = noisy(4, generator=_gen(7))[0]
    assert torch.allclose(c, 0.1 * torch.randn((1, 4, 8), generator=_gen(7)))


def test_conditional_state_takes_the_inputs_dtype_like_the_learned_state() -> None:
    rnn = nn.GRU(3, 8)
    x = torch.randn(6, 4, 3, generator=_gen(0))
    learned = InitialState(rnn, "learned").double()
    assert learned(like=x).dtype == torch.float32  # the input's dtype wins
    state = InitialState(rnn, ("conditional", {"context_size": 5})).double()
    h = state(torch.randn(4, 5, dtype=torch.float64, generator=_gen(1)), like=x)
    assert h.dtype == torch.float32
    assert math.isfinite(rnn(x, h)[0].sum().item())


# --- Recurrent: construction -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rnn", "message"),
    [
        (
            nn.LSTMCell(IN, H),
            "Recurrent wraps sequence modules (nn.RNN, nn.LSTM, nn.GRU); LSTMCell is a Cell: "
            "loop over time yourself and build the state with rnninit.InitialState(cell, ...) "
            "or rnninit.initial_state(cell)",
        ),
        (nn.Linear(IN, H), "Recurrent wraps nn.RNN, nn.LSTM or nn.GRU, got Linear"),
    ],
)
def test_recurrent_refuses_what_it_cannot_wrap(rnn: nn.Module, message: str) -> None:
    with pytest.raises(TypeError) as err:
        Recurrent(rnn)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "kwargs", [{"generator": torch.Generator()}, {"eval_random": True}], ids=["gen", "eval"]
)
def test_an_initial_state_module_keeps_its_own_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError) as err:
        Recurrent(nn.GRU(IN, H), InitialState(nn.GRU(IN, H)), **kwargs)  # type: ignore[arg-type]
    assert str(err.value) == (
        "init is an InitialState module: give generator and eval_random to it, not to Recurrent"
    )


def test_an_initial_state_module_that_does_not_fit() -> None:
    with pytest.raises(InitializerError) as err:
        Recurrent(nn.GRU(IN, H), InitialState(nn.GRU(IN, H + 1, num_layers=2)))
    assert str(err.value) == (
        "init was built for nn.GRU(hidden_size=7, num_layers=2, bidirectional=False, "
        "batch_first=False), whose states do not fit nn.GRU(hidden_size=6, num_layers=1, "
        "bidirectional=False, batch_first=False)"
    )


def test_an_initial_state_module_is_kept_and_options_reach_a_built_one() -> None:
    state = InitialState(nn.GRU(IN, H), "learned")
    assert Recurrent(nn.GRU(IN, H), state).initial_state is state
    gen = _gen(0)
    rec = Recurrent(nn.GRU(IN, H), "normal", 1, generator=gen, eval_random=True)  # type: ignore[arg-type]
    assert rec.initial_state.generator is gen and rec.initial_state.eval_random is True
    assert rec.stateful is True
    assert rec.extra_repr() == "stateful=True"
    assert Recurrent(nn.GRU(IN, H)).extra_repr() == "stateful=False"


def test_every_forwarded_attribute_reads_through() -> None:
    rnn = nn.LSTM(IN, 8, num_layers=2, bias=False, batch_first=True, dropout=0.25,
                  bidirectional=True, proj_size=5)  # fmt: skip
    rec = Recurrent(rnn)
    for name in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "proj_size", "mode"):  # fmt: skip
        assert getattr(rec, name) == getattr(rnn, name), name
    assert (rec.input_size, rec.hidden_size, rec.proj_size, rec.mode) == (IN, 8, 5, "LSTM")
    assert rec.bias is False and rec.bidirectional is True and rec.dropout == 0.25
    assert len(rec.all_weights) == 4
    assert all(a is b for x, y in zip(rec.all_weights, rnn.all_weights, strict=True)
               for a, b in zip(x, y, strict=True))  # fmt: skip
    with pytest.raises(AttributeError) as err:
        _ = rec.weight_ih_l0  # a parameter of the wrapped module, not a forwarded attribute
    assert str(err.value) == "'Recurrent' object has no attribute 'weight_ih_l0'"
