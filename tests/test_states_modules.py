"""InitialState: learned, learned_noisy and conditional states, on sequence modules and cells."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnninit.errors import InitializerError, StateShapeError
from rnninit.states import InitialState, initial_state


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_learned_parameters_shapes_and_state_dict() -> None:
    rnn = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=5)
    state = InitialState(rnn, "learned")
    assert dict(state.state_dict()).keys() == {"h0", "c0"}
    assert state.h0.shape == (4, 5) and state.c0.shape == (4, 8)
    assert not state.h0.any()  # starts exactly like the zero state
    with torch.no_grad():
        state.h0.normal_(generator=_gen(0))
        state.c0.normal_(generator=_gen(1))
    h, c = state(6)
    assert h.shape == (4, 6, 5) and c.shape == (4, 6, 8)
    assert h.is_contiguous()  # one copy: the exporters reject a stride-0 state (test_export)
    assert torch.equal(h[:, 3], state.h0) and torch.equal(c[:, 0], state.c0)
    hu, cu = state()  # unbatched
    assert hu.shape == (4, 5) and cu.shape == (4, 8) and torch.equal(hu, state.h0)
    # round trip through state_dict
    other = InitialState(rnn, "learned")
    other.load_state_dict(state.state_dict())
    assert torch.equal(other(2)[0], state(2)[0])


def test_learned_state_gets_a_gradient_and_training_changes_it() -> None:
    torch.manual_seed(0)
    rnn = nn.GRU(2, 8, batch_first=True)
    state = InitialState(rnn, "learned")
    head = nn.Linear(8, 1)
    # the target at the first step depends only on h0 when the input is zero there
    x = torch.zeros(16, 3, 2)
    target = torch.full((16, 1), 0.7)

    def loss_fn() -> torch.Tensor:
        out, _ = rnn(x, state(like=x))
        return ((head(out[:, 0]) - target) ** 2).mean()

    loss = loss_fn()
    loss.backward()
    assert state.h0.grad is not None and state.h0.grad.abs().sum() > 0
    before = state.h0.detach().clone()
    first = loss.item()
    opt = torch.optim.Adam(state.parameters(), lr=0.05)  # only the state trains
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    assert not torch.allclose(state.h0, before)
    assert loss.item() < 0.5 * first


def test_learned_noisy_noise_in_training_mean_in_eval() -> None:
    rnn = nn.LSTM(3, 64, num_layers=2)
    state = InitialState(rnn, ("learned_noisy", {"noise_std": 0.2}), generator=_gen(0))
    with torch.no_grad():
        state.h0.fill_(0.5)
    h, c = state(256)
    assert h.mean().item() == pytest.approx(0.5, abs=0.01)
    assert (h - 0.5).std().item() == pytest.approx(0.2, rel=0.03)
    assert not torch.equal(h[:, 0], h[:, 1])  # per-sample noise
    a = InitialState(rnn, "learned_noisy", generator=_gen(3))(4)[0]
    b = InitialState(rnn, "learned_noisy", generator=_gen(3))(4)[0]
    assert torch.equal(a, b)  # deterministic with a generator
    state.eval()
    h, c = state(256)
    assert torch.all(h == 0.5) and not c.any()
    # the noise does not stop the gradient to the mean
    state.train()
    state(4)[0].sum().backward()
    assert state.h0.grad is not None
    assert torch.allclose(state.h0.grad, torch.full_like(state.h0, 4.0))


def test_conditional_state_from_a_context() -> None:
    torch.manual_seed(0)
    rnn = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=4, batch_first=True)
    state = InitialState(rnn, ("conditional", {"context_size": 10}))
    ctx = torch.randn(5, 10)
    h, c = state(ctx)
    assert h.shape == (4, 5, 4) and c.shape == (4, 5, 8)
    assert h.is_contiguous()
    assert h.abs().max() < 1  # tanh
    # row i of the state depends on context row i only
    h2, _ = state(torch.cat([ctx[:1], torch.randn(4, 10)]))
    assert torch.allclose(h2[:, 0], h[:, 0]) and not torch.allclose(h2[:, 1], h[:, 1])
    # layer/direction k of sample i is slice k of the projection of context i
    expected = torch.tanh(state.proj_h(ctx[2])).view(4, 4)
    assert torch.allclose(h[:, 2], expected)
    hu, cu = state(ctx[0])  # unbatched context
    assert hu.shape == (4, 4) and cu.shape == (4, 8)
    assert torch.allclose(hu, h[:, 0], atol=1e-6) and torch.allclose(cu, c[:, 0], atol=1e-6)
    out, _ = rnn(torch.randn(5, 7, 3), (h, c))
    out.sum().backward()
    assert state.proj_h.weight.grad is not None and state.proj_h.weight.grad.abs().sum() > 0
    assert state.proj_c.weight.grad is not None
    linear = InitialState(rnn, ("conditional", {"context_size": 10, "activation": "identity"}))
    assert torch.allclose(linear(ctx[0])[0], linear.proj_h(ctx[0]).view(4, 4))


def test_conditional_context_errors() -> None:
    state = InitialState(nn.GRU(3, 8), ("conditional", {"context_size": 10}))
    with pytest.raises(StateShapeError) as err:
        state(torch.randn(5, 7))
    assert "(N, 10)" in str(err.value) and "got (5, 7)" in str(err.value)
    with pytest.raises(StateShapeError, match="context_size"):
        state(torch.randn(2, 5, 10))
    with pytest.raises(TypeError, match="needs a context"):
        state(5)
    with pytest.raises(StateShapeError, match="batch size 5"):
        state(torch.randn(5, 10), like=torch.randn(7, 4, 3))
    h = state(torch.randn(4, 10), like=torch.randn(7, 4, 3))
    assert h.shape == (1, 4, 8)


@pytest.mark.parametrize("cell_cls", [nn.RNNCell, nn.GRUCell, nn.LSTMCell])
@pytest.mark.parametrize("kind", ["learned", "learned_noisy", "conditional", "xavier_normal"])
def test_cells(cell_cls: type[nn.Module], kind: str) -> None:
    cell = cell_cls(3, 6)
    params = {"context_size": 2} if kind == "conditional" else {}
    state = InitialState(cell, (kind, params))
    arg: object = torch.randn(4, 2) if kind == "conditional" else 4
    built = state(arg)  # type: ignore[arg-type]
    parts = built if isinstance(built, tuple) else (built,)
    assert len(parts) == (2 if cell_cls is nn.LSTMCell else 1)
    assert all(p.shape == (4, 6) for p in parts)
    cell(torch.randn(4, 3), built)
    arg = torch.randn(2) if kind == "conditional" else None
    built = state(arg)  # type: ignore[arg-type]
    parts = built if isinstance(built, tuple) else (built,)
    assert all(p.shape == (6,) for p in parts)
    cell(torch.randn(3), built)


def test_parameter_free_kinds_follow_to_dtype() -> None:
    state = InitialState(nn.GRU(3, 8), "normal").double()
    assert state(2).dtype == torch.float64
    learned = InitialState(nn.GRU(3, 8), "learned").double()
    assert learned(2).dtype == torch.float64
    assert learned(like=torch.randn(4, 2, 3)).dtype == torch.float32  # the input's dtype wins


def test_call_errors() -> None:
    state = InitialState(nn.GRU(3, 8), "learned")
    with pytest.raises(TypeError, match="like=input"):
        state(torch.randn(4, 2, 3))
    with pytest.raises(TypeError, match="context= is for"):
        state(2, context=torch.randn(2, 3))
    with pytest.raises(TypeError, match="Cell"):
        InitialState(nn.Linear(3, 3))  # not recurrent
    with pytest.raises(TypeError, match="generator"):
        InitialState(nn.GRU(3, 8), "normal", generator=1)  # type: ignore[arg-type]


def test_initial_state_accepts_an_initial_state_module_as_init() -> None:
    rnn = nn.LSTM(3, 8)
    state = InitialState(rnn, "learned")
    with torch.no_grad():
        state.h0.fill_(0.3)
    h, _ = initial_state(rnn, state, like=torch.randn(5, 2, 3))
    assert h.shape == (1, 2, 8) and torch.all(h == 0.3)
    with pytest.raises(InitializerError, match="do not fit"):
        initial_state(nn.LSTM(3, 9), state, 2)
    with pytest.raises(TypeError, match="eval_random"):
        initial_state(rnn, state, 2, eval_random=True)
