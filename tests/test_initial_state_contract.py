"""The exact contract of ``initial_state``: the batch, dtype and device a new state takes from
the input (told apart with the ``meta`` device, so a silent fallback to the CPU is caught on a
CPU build), and the InitialState form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from states_contract_support import GRU1, IN, H, N, P, T, _gen, _packed
from torch import nn

from rnninit.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    InitializerError,
    StateShapeError,
)
from rnninit.states import (
    InitialState,
    initial_state,
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
        (
            {"batch_size": 2.0},
            ArgumentTypeError,
            "batch_size must be an int >= 1 or None, got 2.0 (float)",
        ),
        (
            {"batch_size": True},
            ArgumentTypeError,
            "batch_size must be an int >= 1 or None, got True (bool)",
        ),
        ({"batch_size": -1}, ArgumentValueError, "batch_size must be an int >= 1 or None, got -1"),
        (
            {"like": [[0.0] * IN]},
            ArgumentTypeError,
            "like= must be the input tensor or PackedSequence, got list",
        ),
        ({"generator": 0}, ArgumentTypeError, "generator must be a torch.Generator, got int"),
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
