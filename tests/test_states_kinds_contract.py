"""Contract of the state kinds, InitialState and Recurrent: exact messages, parameter bounds,
dtype/device of what is built, the noise formula, generator overrides."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import torch
from torch import nn

from rnninit.errors import InitializerError, StateShapeError, UnknownNameError
from rnninit.registry import REQUIRED
from rnninit.states import InitialState, Recurrent
from rnninit.states.kinds import LEARNED_KINDS, LearnedKind, learned_name, resolve_init
from rnninit.states.shapes import BatchInfo

META = torch.device("meta")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _parts(state: object) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)  # type: ignore[return-value]


# --- kinds: resolution, repr, names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("learned", "Learned('learned')"),
        ("learned_noisy", "Learned('learned_noisy', noise_std=0.1)"),
        (("learned_noisy", {"noise_std": 0.25}), "Learned('learned_noisy', noise_std=0.25)"),
        (
            ("conditional", {"context_size": 3}),
            "Learned('conditional', context_size=3, activation='tanh')",
        ),
        (
            {"name": "conditional", "context_size": 2, "activation": "identity"},
            "Learned('conditional', context_size=2, activation='identity')",
        ),
    ],
)
def test_learned_repr_lists_every_resolved_parameter(value: object, expected: str) -> None:
    assert repr(resolve_init(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("learned", "learned"),
        (("learned_noisy", {"noise_std": 0.2}), "learned_noisy"),
        (["conditional", {"context_size": 3}], "conditional"),
        ({"name": "conditional", "context_size": 3}, "conditional"),
        ("normal", None),
        (("normal", {"std": 0.2}), None),
        (0.5, None),
    ],
)
def test_learned_name_is_the_kind_name_in_every_form(value: object, expected: str | None) -> None:
    assert learned_name(value) == expected


_STATE_NAMES = (
    "conditional, constant, learned, learned_noisy, normal, uniform, xavier_normal, "
    "xavier_uniform, zeros"
)


@pytest.mark.parametrize("value", ["orthogonal", ("orthogonal", {})])
def test_a_weight_only_name_is_refused_and_only_state_names_are_listed(value: object) -> None:
    with pytest.raises(UnknownNameError) as err:
        InitialState(nn.GRU(3, 8), value)  # type: ignore[arg-type]
    assert str(err.value) == (
        f"init='orthogonal' is not known; valid: {_STATE_NAMES}. Did you mean 'conditional'?"
    )


# --- kinds: parameter checks, one exact message per branch -------------------------------------


@pytest.mark.parametrize(
    ("noise_std", "message"),
    [
        ("0.1", "init: parameter 'noise_std' of 'learned_noisy' must be a number, got '0.1'"),
        (True, "init: parameter 'noise_std' of 'learned_noisy' must be a number, got True"),
        (None, "init: parameter 'noise_std' of 'learned_noisy' must be a number, got None"),
        (-0.5, "init: 'learned_noisy' needs noise_std >= 0, got -0.5"),
        (-1, "init: 'learned_noisy' needs noise_std >= 0, got -1"),
        (float("nan"), "init: 'learned_noisy' needs noise_std >= 0, got nan"),
        (float("inf"), "init: 'learned_noisy' needs noise_std >= 0, got inf"),
    ],
)
def test_noise_std_errors(noise_std: object, message: str) -> None:
    with pytest.raises(InitializerError) as err:
        InitialState(nn.GRU(3, 8), ("learned_noisy", {"noise_std": noise_std}))
    assert str(err.value) == message


@pytest.mark.parametrize(
    "size", [True, False, 2.0, "3", 0, -1], ids=["true", "false", "float", "str", "zero", "neg"]
)
def test_context_size_errors(size: object) -> None:
    with pytest.raises(InitializerError) as err:
        InitialState(nn.GRU(3, 8), ("conditional", {"context_size": size}))
    assert str(err.value) == (
        f"init: 'conditional' needs context_size = a positive int, got {size!r}"
    )


def test_unknown_activation_names_the_argument_and_the_choices() -> None:
    with pytest.raises(UnknownNameError) as err:
        InitialState(nn.GRU(3, 8), ("conditional", {"context_size": 3, "activation": "tan"}))
    assert str(err.value) == (
        "activation='tan' is not known; valid: identity, tanh. Did you mean 'tanh'?"
    )
    assert err.value.argument == "activation"


def test_context_size_one_is_a_valid_projection() -> None:
    state = InitialState(nn.GRU(3, 8, num_layers=2), ("conditional", {"context_size": 1}))
    w, b = state.proj_h.weight, state.proj_h.bias
    assert w.shape == (16, 1)
    ctx = torch.tensor([[0.5], [-2.0], [1.5]])
    h = state(ctx)
    assert h.shape == (2, 3, 8)
    for i in range(3):  # sample i, layer k: rows k*8:(k+1)*8 of W ctx_i + b
        expected = torch.tanh(w[:, 0] * ctx[i, 0] + b).view(2, 8)
        assert torch.allclose(h[:, i], expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (("learned_noisy", 0.2), "init: a (name, kwargs) pair needs a dict, got 0.2"),
        (
            ("learned_noisy", {"noise_sd": 0.2}),
            "init: 'learned_noisy' takes no parameter 'noise_sd'; its parameters: noise_std. "
            "Did you mean 'noise_std'?",
        ),
        (
            ("learned", {"noise_std": 0.1}),
            "init: 'learned' takes no parameter 'noise_std'; its parameters: none",
        ),
        (
            {"name": "conditional", "context_size": 3, "activaton": "tanh"},
            "init: 'conditional' takes no parameter 'activaton'; its parameters: context_size, "
            "activation. Did you mean 'activation'?",
        ),
        (
            ("conditional", {"context_size": 3, "zzz": 1}),
            "init: 'conditional' takes no parameter 'zzz'; its parameters: context_size, "
            "activation",
        ),
        (
            ("conditional", {}),
            "init: 'conditional' needs 'context_size', e.g. ('conditional', {'context_size': ...})",
        ),
        (
            ("normal", {"sdt": 0.1}),
            "init: initializer 'normal' takes no parameter 'sdt'; its parameters: mean, std. "
            "Did you mean 'std'?",
        ),
        (("normal", 0.1), "init: a (name, kwargs) pair needs a dict of kwargs, got 0.1"),
        ({"std": 0.1}, "init: a dict initializer needs a 'name', got {'std': 0.1}"),
    ],
)
def test_init_form_errors(value: object, message: str) -> None:
    with pytest.raises(InitializerError) as err:
        InitialState(nn.GRU(3, 8), value)  # type: ignore[arg-type]
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            ("learned", {"noise_std": 0.1}),
            "h0_init: 'learned' takes no parameter 'noise_std'; its parameters: none",
        ),
        (
            ("conditional", {}),
            "h0_init: 'conditional' needs 'context_size', e.g. "
            "('conditional', {'context_size': ...})",
        ),
        (
            ("normal", {"sdt": 0.1}),
            "h0_init: initializer 'normal' takes no parameter 'sdt'; its parameters: mean, std. "
            "Did you mean 'std'?",
        ),
    ],
)
def test_resolve_init_names_the_given_argument(value: object, message: str) -> None:
    with pytest.raises(InitializerError) as err:
        resolve_init(value, "h0_init")
    assert str(err.value) == message


@pytest.fixture
def _two_required_kind() -> Iterator[None]:
    base = LEARNED_KINDS["learned"]
    LEARNED_KINDS["learned_pair"] = LearnedKind(
        "learned_pair", {"a": REQUIRED, "b": REQUIRED, "c": 0}, base.check, base.make, base.build
    )
    yield
    del LEARNED_KINDS["learned_pair"]


@pytest.mark.usefixtures("_two_required_kind")
def test_an_added_learned_kind_names_every_missing_parameter() -> None:
    with pytest.raises(InitializerError) as err:
        resolve_init(("learned_pair", {"c": 1}))
    assert str(err.value) == (
        "init: 'learned_pair' needs 'a', 'b', e.g. ('learned_pair', {'a': ...})"
    )
    assert repr(resolve_init(("learned_pair", {"b": 2, "a": 1}))) == (
        "Learned('learned_pair', a=1, b=2, c=0)"
    )


# --- kinds: learned_noisy = h0 + noise_std * eps -----------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("noise_std", [1.0, 0.3])
def test_noisy_state_is_h0_plus_noise_std_times_the_generators_normals(
    noise_std: float, dtype: torch.dtype
) -> None:
    # L*D = 2, batch 5, width 8: h0 rows differ so a sign flip of the noise cannot hide
    rnn = nn.GRU(3, 8, num_layers=2).to(dtype)
    state = InitialState(rnn, ("learned_noisy", {"noise_std": noise_std}), generator=_gen(3))
    with torch.no_grad():
        state.h0.copy_(torch.tensor([[0.5], [-1.0]], dtype=dtype).expand(2, 8))
    h = state(5)
    assert h.dtype == dtype
    eps = torch.randn((2, 5, 8), dtype=dtype, generator=_gen(3))
    expected = state.h0.detach().unsqueeze(1) + noise_std * eps
    assert torch.allclose(h, expected, atol=1e-6)


def test_noise_std_zero_is_allowed_and_gives_exactly_h0_in_training() -> None:
    state = InitialState(nn.GRU(3, 8), ("learned_noisy", {"noise_std": 0.0}), generator=_gen(0))
    assert state.training
    with torch.no_grad():
        state.h0.fill_(0.75)
    h = state(4)
    assert torch.equal(h, torch.full((1, 4, 8), 0.75))


# --- kinds: dtype and device of what is built --------------------------------------------------


def test_conditional_projection_follows_the_rnn_dtype() -> None:
    rnn = nn.LSTM(3, 8, num_layers=2, proj_size=4).double()
    state = InitialState(rnn, ("conditional", {"context_size": 5}))
    assert state.proj_h.weight.dtype == torch.float64
    assert state.proj_c.weight.dtype == torch.float64
    ctx = torch.randn(6, 5, dtype=torch.float64, generator=_gen(0))
    h, c = state(ctx)
    assert h.dtype == c.dtype == torch.float64
    out, _ = rnn(torch.randn(7, 6, 3, dtype=torch.float64, generator=_gen(1)), (h, c))
    assert out.shape == (7, 6, 4)


@pytest.mark.parametrize("init", ["zeros", "normal", ("uniform", {"low": 0.0, "high": 1.0})])
def test_parameter_free_states_take_the_rnn_dtype(init: object) -> None:
    state = InitialState(nn.LSTM(3, 8).double(), init)  # type: ignore[arg-type]
    h, c = state(4)
    assert h.dtype == c.dtype == torch.float64
    assert state.eval()(None)[0].dtype == torch.float64


def test_a_context_of_another_dtype_is_cast_to_the_projection() -> None:
    state = InitialState(nn.GRU(3, 8), ("conditional", {"context_size": 5}))
    ctx = torch.randn(6, 5, dtype=torch.float64, generator=_gen(0))
    h = state(ctx)
    assert h.dtype == torch.float32
    w, b = state.proj_h.weight, state.proj_h.bias
    assert torch.allclose(h[0], torch.tanh(ctx.float() @ w.T + b), atol=1e-6)


@pytest.mark.parametrize(
    "init",
    [
        "zeros",
        "normal",
        ("uniform", {"low": 0.0, "high": 1.0}),
        ("learned_noisy", {"noise_std": 0.5}),
        "learned",
    ],
)
@pytest.mark.parametrize("training", [True, False])
def test_states_are_built_on_the_rnn_device(init: object, training: bool) -> None:
    # the meta device stands for an accelerator: nothing may silently land on the CPU
    rnn = nn.LSTM(3, 8, num_layers=2, device=META)
    state = InitialState(rnn, init).train(training)  # type: ignore[arg-type]
    parts = _parts(state(5))
    assert [p.device for p in parts] == [META, META]
    assert [tuple(p.shape) for p in parts] == [(2, 5, 8), (2, 5, 8)]


def test_conditional_projection_is_made_on_the_rnn_device() -> None:
    rnn = nn.LSTM(3, 8, device=META)
    state = InitialState(rnn, ("conditional", {"context_size": 5}))
    assert state.proj_h.weight.device == META and state.proj_c.bias.device == META
    h, c = state(torch.empty(6, 5, device=META))
    assert h.device == c.device == META and h.shape == (1, 6, 8)


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

IN, H = 3, 6


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


def test_a_mask_with_nothing_carried_does_nothing() -> None:
    rec, fresh = _stateful()
    rec.reset(torch.tensor([True, False, True]))  # any size: nothing is carried yet
    rec.reset([7])
    assert rec.carried_state is None
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
