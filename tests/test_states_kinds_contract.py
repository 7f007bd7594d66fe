"""Contract of the state kinds: resolution, names, exact messages, parameter bounds, the noise
formula, dtype/device of what is built.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from states_kinds_support import META, _gen, _parts
from torch import nn

from rnninit.errors import InitializerError, UnknownNameError
from rnninit.initializers._registry import REQUIRED
from rnninit.states import InitialState
from rnninit.states.kinds import LEARNED_KINDS, LearnedKind, learned_name, resolve_init

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
