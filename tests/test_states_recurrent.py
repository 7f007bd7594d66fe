"""Recurrent: drop-in behaviour, stateful carry (chunks = whole), reset(mask), gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnninit.errors import ArgumentValueError, InitializerError, StateShapeError
from rnninit.states import InitialState, Recurrent

IN, H = 3, 6


def _parts(state: object) -> tuple[torch.Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)  # type: ignore[return-value]


def _randomize(rec: Recurrent, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in rec.initial_state.parameters():
            p.normal_(generator=g)


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
@pytest.mark.parametrize("layout", ["batched", "batch_first", "unbatched", "packed"])
def test_zero_state_wrapper_equals_the_bare_module(cls: type[nn.RNNBase], layout: str) -> None:
    torch.manual_seed(0)
    rnn = cls(IN, H, num_layers=2, bidirectional=True, batch_first=layout == "batch_first")
    x: object = {
        "batched": torch.randn(7, 4, IN),
        "batch_first": torch.randn(4, 7, IN),
        "unbatched": torch.randn(7, IN),
        "packed": pack_padded_sequence(
            torch.randn(7, 4, IN), torch.tensor([3, 7, 5, 2]), enforce_sorted=False
        ),
    }[layout]
    out, final = Recurrent(rnn, "zeros")(x)
    ref, ref_final = rnn(x)
    out_t = out.data if layout == "packed" else out
    ref_t = ref.data if layout == "packed" else ref
    assert torch.equal(out_t, ref_t)
    assert all(torch.equal(a, b) for a, b in zip(_parts(final), _parts(ref_final), strict=True))
    assert type(final) is type(ref_final)


def test_learned_state_feeds_the_module() -> None:
    torch.manual_seed(0)
    rnn = nn.LSTM(IN, H, num_layers=2, batch_first=True)
    rec = Recurrent(rnn)  # learned by default
    _randomize(rec)
    x = torch.randn(4, 5, IN)
    out, _ = rec(x)
    h0 = rec.initial_state.h0.unsqueeze(1).expand(2, 4, H)
    c0 = rec.initial_state.c0.unsqueeze(1).expand(2, 4, H)
    ref, _ = rnn(x, (h0.contiguous(), c0.contiguous()))
    assert torch.allclose(out, ref)
    assert {"rnn.weight_ih_l0", "initial_state.h0", "initial_state.c0"} <= set(rec.state_dict())


def test_construction_errors_and_forwarded_attributes() -> None:
    with pytest.raises(TypeError, match="Cell"):
        Recurrent(nn.LSTMCell(IN, H))
    with pytest.raises(TypeError, match="nn.RNN, nn.LSTM or nn.GRU"):
        Recurrent(nn.Linear(IN, H))  # type: ignore[arg-type]
    with pytest.raises(InitializerError, match="do not fit"):
        Recurrent(nn.GRU(IN, H), InitialState(nn.GRU(IN, H + 1)))
    with pytest.raises(InitializerError, match="not an initializer"):
        Recurrent(nn.GRU(IN, H), object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not to Recurrent"):
        Recurrent(nn.GRU(IN, H), InitialState(nn.GRU(IN, H)), generator=torch.Generator())
    rec = Recurrent(nn.GRU(IN, H, num_layers=2, batch_first=True))
    assert (rec.hidden_size, rec.num_layers, rec.batch_first) == (H, 2, True)
    rec.flatten_parameters()  # no-op on CPU, but part of the drop-in surface
    with pytest.raises(AttributeError):
        _ = rec.no_such_attribute


def _chunks(x: torch.Tensor, dim: int, cut: int) -> tuple[torch.Tensor, torch.Tensor]:
    return x.narrow(dim, 0, cut), x.narrow(dim, cut, x.shape[dim] - cut)


@pytest.mark.parametrize("cls", [nn.GRU, nn.LSTM])
@pytest.mark.parametrize("batch_first", [False, True])
def test_stateful_chunks_equal_the_whole_sequence(cls: type[nn.RNNBase], batch_first: bool) -> None:
    torch.manual_seed(0)
    rec = Recurrent(cls(IN, H, num_layers=2, batch_first=batch_first), "learned", stateful=True)
    _randomize(rec)
    tdim = 1 if batch_first else 0
    x = torch.randn(4, 9, IN) if batch_first else torch.randn(9, 4, IN)
    whole, whole_final = Recurrent(rec.rnn, rec.initial_state)(x)
    a, b = _chunks(x, tdim, 4)
    out_a, _ = rec(a)
    out_b, final = rec(b)
    assert torch.allclose(torch.cat([out_a, out_b], tdim), whole, atol=1e-6)
    for p, q in zip(_parts(final), _parts(whole_final), strict=True):
        assert torch.allclose(p, q, atol=1e-6)


@pytest.mark.parametrize("cls", [nn.GRU, nn.LSTM])
def test_stateful_packed_unsorted_chunks_equal_the_whole(cls: type[nn.RNNBase]) -> None:
    torch.manual_seed(0)
    rec = Recurrent(cls(IN, H, num_layers=2), "learned", stateful=True)
    _randomize(rec)
    lengths = torch.tensor([10, 12, 9, 6])  # chunk 1: all 5 long; chunk 2: [5, 7, 4, 1]
    x = torch.randn(12, 4, IN)
    whole_in = pack_padded_sequence(x, lengths, enforce_sorted=False)
    whole, whole_final = Recurrent(rec.rnn, rec.initial_state)(whole_in)
    cut = 5
    first = pack_padded_sequence(x[:cut], lengths.clamp(max=cut), enforce_sorted=False)
    second = pack_padded_sequence(x[cut:], lengths - cut, enforce_sorted=False)
    out_a, _ = rec(first)
    out_b, final = rec(second)
    pa, _ = pad_packed_sequence(out_a)
    pb, _ = pad_packed_sequence(out_b)
    pw, _ = pad_packed_sequence(whole)
    assert torch.allclose(pa, pw[:cut], atol=1e-6)
    assert torch.allclose(pb, pw[cut : cut + pb.shape[0]], atol=1e-6)
    for p, q in zip(_parts(final), _parts(whole_final), strict=True):  # caller's batch order
        assert torch.allclose(p, q, atol=1e-6)


def test_carried_state_is_detached_and_not_in_state_dict() -> None:
    rec = Recurrent(nn.LSTM(IN, H), "learned", stateful=True)
    assert rec.carried_state is None
    rec(torch.randn(5, 2, IN))
    carried = _parts(rec.carried_state)
    assert all(t.grad_fn is None and not t.requires_grad for t in carried)
    assert set(rec.state_dict()) == {f"rnn.{n}" for n, _ in rec.rnn.named_parameters()} | {
        "initial_state.h0",
        "initial_state.c0",
    }


def test_reset_mask_restarts_chosen_rows_at_the_initial_state() -> None:
    torch.manual_seed(0)
    rnn = nn.LSTM(IN, H, num_layers=2)
    rec = Recurrent(rnn, "learned", stateful=True)
    _randomize(rec)
    fresh = Recurrent(rnn, rec.initial_state)
    x1, x2 = torch.randn(3, 4, IN), torch.randn(3, 4, IN)
    rec(x1)
    carried = rec.carried_state
    rec.reset(torch.tensor([False, True, False, True]))
    out, _ = rec(x2)
    restarted, _ = fresh(x2)
    continued, _ = rnn(x2, carried)
    assert torch.allclose(out[:, [1, 3]], restarted[:, [1, 3]], atol=1e-6)
    assert torch.allclose(out[:, [0, 2]], continued[:, [0, 2]], atol=1e-6)
    assert not torch.allclose(out[:, 0], restarted[:, 0])
    # indices, accumulated over two calls
    carried = rec.carried_state
    rec.reset([0])
    rec.reset(torch.tensor([2]))
    out, _ = rec(x1)
    restarted, _ = fresh(x1)
    continued, _ = rnn(x1, carried)
    assert torch.allclose(out[:, [0, 2]], restarted[:, [0, 2]], atol=1e-6)
    assert torch.allclose(out[:, [1, 3]], continued[:, [1, 3]], atol=1e-6)


def test_reset_validation_and_batch_size_change() -> None:
    rec = Recurrent(nn.GRU(IN, H), "zeros", stateful=True)
    with pytest.raises(ArgumentValueError, match="nothing is carried"):
        rec.reset(torch.tensor([True]))  # nothing carried: nothing to check the mask against
    rec(torch.randn(5, 4, IN))
    with pytest.raises(StateShapeError, match=r"shape \(4,\)"):
        rec.reset(torch.tensor([True, False]))
    with pytest.raises(StateShapeError, match="out of range"):
        rec.reset([4])
    with pytest.raises(TypeError, match="mask"):
        rec.reset(torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="mask"):
        rec.reset("all")  # type: ignore[arg-type]
    with pytest.raises(StateShapeError) as err:
        rec(torch.randn(5, 3, IN))
    assert "batch size 4" in str(err.value) and "batch size 3" in str(err.value)
    assert "reset()" in str(err.value)
    rec.reset()
    out, _ = rec(torch.randn(5, 3, IN))
    assert out.shape == (5, 3, H)
    with pytest.raises(StateShapeError, match="unbatched"):
        rec(torch.randn(5, IN))


def test_unbatched_stateful() -> None:
    torch.manual_seed(0)
    rec = Recurrent(nn.GRU(IN, H), "learned", stateful=True)
    _randomize(rec)
    x = torch.randn(8, IN)
    whole, _ = Recurrent(rec.rnn, rec.initial_state)(x)
    out_a, _ = rec(x[:3])
    out_b, _ = rec(x[3:])
    assert torch.allclose(torch.cat([out_a, out_b]), whole, atol=1e-6)
    with pytest.raises(StateShapeError, match="reset\\(\\) without a mask"):
        rec.reset([0])


def test_stateful_gradient_reaches_the_learned_state_only_where_it_starts() -> None:
    torch.manual_seed(0)
    rec = Recurrent(nn.LSTM(IN, H), "learned", stateful=True)
    _randomize(rec)
    x = torch.randn(3, 4, IN)

    def grad_of_chunk() -> torch.Tensor:
        rec.zero_grad()
        out, _ = rec(x)
        out.pow(2).sum().backward()
        g = rec.initial_state.h0.grad
        assert g is not None  # always in the graph (DDP needs every parameter used)
        return g.clone()

    assert grad_of_chunk().abs().sum() > 0  # first chunk starts from the learned state
    assert torch.equal(grad_of_chunk(), torch.zeros(1, H))  # carried: no gradient
    rec.reset([2])
    g_reset = grad_of_chunk()
    assert g_reset.abs().sum() > 0  # restarted row: gradient again
    # equals the gradient of that row run alone from the learned state
    single = Recurrent(rec.rnn, rec.initial_state)
    rec.zero_grad()
    out, _ = single(x[:, 2:3])
    out.pow(2).sum().backward()
    assert rec.initial_state.h0.grad is not None
    assert torch.allclose(g_reset, rec.initial_state.h0.grad, atol=1e-6)


def test_explicit_state_overrides_the_carry() -> None:
    rnn = nn.GRU(IN, H)
    rec = Recurrent(rnn, "learned", stateful=True)
    x = torch.randn(4, 2, IN)
    rec(x)
    rec.reset([0])
    h = torch.randn(1, 2, H)
    out, final = rec(x, h)
    ref, ref_final = rnn(x, h)
    assert torch.equal(out, ref) and torch.equal(final, ref_final)
    assert rec.carried_state is not None and torch.equal(rec.carried_state, ref_final.detach())
    assert rec._pending is None


def test_eval_mode_is_deterministic_unless_asked() -> None:
    torch.manual_seed(0)
    rnn = nn.GRU(IN, H)
    x = torch.randn(4, 3, IN)
    rec = Recurrent(rnn, ("normal", {"std": 0.5})).eval()
    ref, _ = rnn(x)
    assert torch.equal(rec(x)[0], ref)
    assert torch.equal(rec(x)[0], rec(x)[0])
    loose = Recurrent(rnn, ("normal", {"std": 0.5}), eval_random=True).eval()
    assert not torch.equal(loose(x)[0], loose(x)[0])
    noisy = Recurrent(rnn, ("learned_noisy", {"noise_std": 0.5}))
    _randomize(noisy)
    train_out = noisy(x)[0]
    noisy.eval()
    mean_out, _ = rnn(x, noisy.initial_state.h0.unsqueeze(1).expand(1, 3, H).contiguous())
    assert torch.allclose(noisy(x)[0], mean_out) and not torch.allclose(train_out, mean_out)


def test_random_kind_is_reproducible_with_a_generator() -> None:
    rnn = nn.LSTM(IN, H)
    x = torch.randn(4, 3, IN)
    a = Recurrent(rnn, "uniform", generator=torch.Generator().manual_seed(1))(x)[0]
    b = Recurrent(rnn, "uniform", generator=torch.Generator().manual_seed(1))(x)[0]
    c = Recurrent(rnn, "uniform", generator=torch.Generator().manual_seed(2))(x)[0]
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_conditional_recurrent() -> None:
    torch.manual_seed(0)
    rec = Recurrent(nn.LSTM(IN, H, batch_first=True), ("conditional", {"context_size": 5}))
    x, ctx = torch.randn(4, 6, IN), torch.randn(4, 5)
    out, _ = rec(x, context=ctx)
    ref, _ = rec.rnn(x, rec.initial_state(ctx))
    assert torch.allclose(out, ref)
    with pytest.raises(TypeError, match="context="):
        rec(x)
    with pytest.raises(StateShapeError, match="batch size: 3"):
        rec(x, context=torch.randn(3, 5))
    with pytest.raises(StateShapeError, match="no batch dimension"):
        rec(torch.randn(6, 3), context=ctx)  # unbatched input, batched context
    unbatched, _ = rec(torch.randn(6, 3), context=ctx[0])
    assert unbatched.shape == (6, H)
    with pytest.raises(TypeError, match="either state= or context="):
        rec(x, rec.initial_state(ctx), context=ctx)
    with pytest.raises(TypeError, match="context= is for"):
        Recurrent(nn.GRU(IN, H))(torch.randn(2, 4, IN), context=ctx)
    stateful = Recurrent(nn.GRU(IN, H), ("conditional", {"context_size": 5}), stateful=True)
    stateful(torch.randn(2, 4, IN), context=ctx)
    stateful(torch.randn(2, 4, IN))  # carried: no context needed
    stateful.reset([1])
    with pytest.raises(TypeError, match="context="):
        stateful(torch.randn(2, 4, IN))
    stateful(torch.randn(2, 4, IN), context=ctx)


def test_reset_rows_are_in_the_callers_order_for_unsorted_packed_input() -> None:
    torch.manual_seed(0)
    rnn = nn.GRU(IN, H)
    rec = Recurrent(rnn, "learned", stateful=True)
    _randomize(rec)
    fresh = Recurrent(rnn, rec.initial_state)
    lengths = torch.tensor([2, 6, 4])  # sorted order 1, 2, 0: not the caller's order
    rec(pack_padded_sequence(torch.randn(6, 3, IN), lengths, enforce_sorted=False))
    carried = rec.carried_state
    rec.reset([0])  # caller's row 0 (the shortest sequence)
    x = pack_padded_sequence(torch.randn(6, 3, IN), lengths, enforce_sorted=False)
    _, final = rec(x)
    _, restarted = fresh(x)
    _, continued = rnn(x, carried)
    assert torch.allclose(final[:, 0], restarted[:, 0], atol=1e-6)
    assert torch.allclose(final[:, 1:], continued[:, 1:], atol=1e-6)
    assert not torch.allclose(final[:, 0], continued[:, 0])


def test_double_precision_flows_through() -> None:
    rec = Recurrent(nn.LSTM(IN, H).double(), "learned", stateful=True)
    x = torch.randn(4, 2, IN, dtype=torch.float64)
    out, (h, c) = rec(x)
    out, (h, c) = rec(x)
    assert out.dtype == h.dtype == c.dtype == torch.float64
    assert rec.initial_state.h0.dtype == torch.float64
