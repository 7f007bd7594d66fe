"""``attach_initial_state``: a learned (or any) initial state on the user's own module.

The state a hooked call uses is compared with an explicit ``hx`` built by hand from the raw
Parameter (``theta.unsqueeze(1).expand(L*D, N, width)``), on modules whose sizes cannot
coincide (batch 5, L*D in {1, 2, 4}, hidden 6, proj 4, input 3).
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnninit.errors import InitializerError, NoRecurrentModuleError, UnknownNameError
from rnninit.states import InitialState, Recurrent, attach_initial_state, remove_initial_state

IN, H, P, N, T = 3, 6, 4, 5, 7


def _learned(rnn: nn.Module) -> nn.Module:
    """Attach a learned state and give it nonzero values (zeros would hide a missing state)."""
    attach_initial_state(rnn, "learned")
    with torch.no_grad():
        for p in rnn.initial_state.parameters():
            p.copy_(torch.randn(p.shape))
    return rnn


def _explicit(rnn: nn.Module, batch: int | None) -> object:
    """``hx`` built by hand from the raw learned Parameters, PyTorch's documented shapes."""
    st = rnn.initial_state
    parts = []
    for name in ("h0", "c0"):
        theta = getattr(st, name, None)
        if theta is None:
            continue
        if batch is None:
            parts.append(theta.detach().clone())
        elif theta.dim() == 1:  # cell: (H,) -> (N, H)
            parts.append(theta.detach().unsqueeze(0).expand(batch, -1).clone())
        else:  # (L*D, W) -> (L*D, N, W)
            parts.append(theta.detach().unsqueeze(1).expand(-1, batch, -1).clone())
    return tuple(parts) if len(parts) == 2 else parts[0]


def _zeros_like(state: object) -> object:
    if isinstance(state, tuple):
        return tuple(torch.zeros_like(s) for s in state)
    assert isinstance(state, torch.Tensor)
    return torch.zeros_like(state)


def _flat(out: object) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if hasattr(out, "data") and hasattr(out, "batch_sizes"):  # PackedSequence
        return [out.data]  # type: ignore[attr-defined]
    assert isinstance(out, tuple | list)
    return [t for o in out for t in _flat(o)]


def _same(a: object, b: object) -> bool:
    """Equal up to float32 rounding (a contiguous and an expanded ``hx`` may take kernels
    that differ in the last bit); a different state changes the outputs by far more."""
    return all(
        torch.allclose(x, y, rtol=0.0, atol=1e-6) for x, y in zip(_flat(a), _flat(b), strict=True)
    )


SEQUENCE_MODULES: dict[str, Callable[[bool], nn.Module]] = {
    "lstm_2x_bidir_proj": lambda bf: nn.LSTM(
        IN, H, num_layers=2, bidirectional=True, proj_size=P, batch_first=bf
    ),
    "gru_2x": lambda bf: nn.GRU(IN, H, num_layers=2, batch_first=bf),
    "rnn_bidir": lambda bf: nn.RNN(IN, H, bidirectional=True, batch_first=bf),
    "lstm_1x": lambda bf: nn.LSTM(IN, H, batch_first=bf),
}


def _sequence_inputs(batch_first: bool) -> dict[str, tuple[object, int | None]]:
    x = torch.randn(N, T, IN) if batch_first else torch.randn(T, N, IN)
    padded = torch.randn(N, T, IN) if batch_first else torch.randn(T, N, IN)
    lengths = torch.tensor([4, 7, 2, 6, 5])  # unsorted
    packed = pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)
    return {"batched": (x, N), "unbatched": (torch.randn(T, IN), None), "packed": (packed, N)}


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("name", list(SEQUENCE_MODULES))
def test_hooked_call_equals_an_explicit_hx_from_the_learned_parameters(
    name: str, batch_first: bool
) -> None:
    torch.manual_seed(0)
    rnn = _learned(SEQUENCE_MODULES[name](batch_first))
    for kind, (x, batch) in _sequence_inputs(batch_first).items():
        explicit = _explicit(rnn, batch)
        got = rnn(x)
        assert _same(got, rnn(x, explicit)), kind
        assert _same(got, rnn(x, None)) and _same(got, rnn(x, hx=None)), kind
        assert _same(got, rnn(input=x)), kind
        assert not _same(got, rnn(x, _zeros_like(explicit))), f"{kind}: the state was not used"


@pytest.mark.parametrize("cell_cls", [nn.LSTMCell, nn.GRUCell, nn.RNNCell])
def test_cells_get_the_attached_state(cell_cls: type[nn.Module]) -> None:
    torch.manual_seed(0)
    cell = _learned(cell_cls(IN, H))
    for x, batch in ((torch.randn(N, IN), N), (torch.randn(IN), None)):
        explicit = _explicit(cell, batch)
        got = cell(x)
        assert _same(got, cell(x, explicit)) and _same(got, cell(x, hx=None))
        assert not _same(got, cell(x, _zeros_like(explicit)))


def test_a_given_hx_is_used_unchanged() -> None:
    torch.manual_seed(0)
    plain = nn.LSTM(IN, H, num_layers=2, proj_size=P)
    rnn = _learned(copy.deepcopy(plain))
    x = torch.randn(T, N, IN)
    hx = (torch.randn(2, N, P), torch.randn(2, N, H))
    assert _same(rnn(x, hx), plain(x, hx)) and _same(rnn(x, hx=hx), plain(x, hx=hx))


def test_the_module_stays_the_same_object_with_its_attributes() -> None:
    lstm = nn.LSTM(IN, H, num_layers=2)
    weight = lstm.weight_hh_l0
    out = attach_initial_state(lstm, "learned")
    assert out is lstm and isinstance(lstm, nn.LSTM) and type(lstm) is nn.LSTM
    assert lstm.weight_hh_l0 is weight and lstm.hidden_size == H and lstm.num_layers == 2
    assert isinstance(lstm.initial_state, InitialState)
    assert lstm.initial_state.h0.shape == (2, H) and lstm.initial_state.c0.shape == (2, H)
    assert list(lstm.state_dict()) == [
        *nn.LSTM(IN, H, num_layers=2).state_dict(),
        "initial_state.h0",
        "initial_state.c0",
    ]
    lstm.flatten_parameters()
    assert lstm.all_weights[0][1] is weight


def test_learned_state_is_trained_by_an_optimizer_over_rnn_parameters() -> None:
    torch.manual_seed(0)
    rnn = attach_initial_state(nn.GRU(IN, H, num_layers=2), "learned")
    h0 = rnn.initial_state.h0
    assert any(p is h0 for p in rnn.parameters())
    opt = torch.optim.SGD(rnn.parameters(), lr=0.5)
    x, target = torch.randn(T, N, IN), torch.randn(T, N, H)
    before = h0.detach().clone()
    losses = []
    for _ in range(20):
        loss = (rnn(x)[0] - target).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        assert h0.grad is not None and float(h0.grad.abs().sum()) > 0
        if not losses:
            expected = before - 0.5 * h0.grad
        opt.step()
        if not losses:
            assert torch.allclose(h0.detach(), expected)
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_checkpoint_saved_before_attaching_loads_strictly_and_keeps_the_state() -> None:
    torch.manual_seed(0)
    model = nn.ModuleDict({"enc": nn.LSTM(IN, H, num_layers=2), "head": nn.Linear(H, 1)})
    old = copy.deepcopy(model.state_dict())  # a checkpoint from before the state existed
    attach_initial_state(model["enc"], "learned")
    with torch.no_grad():
        model["enc"].initial_state.h0.fill_(0.25)
        model["enc"].weight_hh_l0.zero_()
    result = model.load_state_dict(old, strict=True)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(model["enc"].weight_hh_l0, old["enc.weight_hh_l0"])  # weights loaded
    assert torch.equal(model["enc"].initial_state.h0, torch.full((2, H), 0.25))  # state kept
    assert torch.equal(model["enc"].initial_state.c0, torch.zeros(2, H))
    assert set(old) == set(model.state_dict()) - {"enc.initial_state.h0", "enc.initial_state.c0"}


def test_a_checkpoint_with_part_of_the_state_is_still_reported() -> None:
    rnn = attach_initial_state(nn.LSTM(IN, H), "learned")
    partial = {k: v for k, v in rnn.state_dict().items() if k != "initial_state.c0"}
    with pytest.raises(RuntimeError, match="initial_state.c0"):
        rnn.load_state_dict(partial, strict=True)


def test_checkpoint_saved_after_attaching_round_trips_the_learned_state() -> None:
    torch.manual_seed(0)
    src = _learned(nn.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=P))
    buf = io.BytesIO()
    torch.save(src.state_dict(), buf)
    buf.seek(0)
    dst = attach_initial_state(nn.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=P))
    dst.load_state_dict(torch.load(buf, weights_only=True), strict=True)
    assert torch.equal(dst.initial_state.h0, src.initial_state.h0)
    assert torch.equal(dst.initial_state.c0, src.initial_state.c0)
    x = torch.randn(T, N, IN)
    assert _same(dst(x), src(x))


def test_whole_module_pickles_and_deep_copies_with_its_hooks() -> None:
    torch.manual_seed(0)
    rnn = _learned(nn.GRU(IN, H))
    buf = io.BytesIO()
    torch.save(rnn, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=False)
    twin = copy.deepcopy(rnn)
    x = torch.randn(T, N, IN)
    assert _same(loaded(x), rnn(x)) and _same(twin(x), rnn(x))
    with torch.no_grad():
        twin.initial_state.h0.zero_()  # the copy's hook uses the copy's own state
    assert not _same(twin(x), rnn(x))


def _snapshot(m: nn.Module) -> tuple[object, ...]:
    return (
        list(m._modules),
        dict(m._forward_pre_hooks),
        dict(m._load_state_dict_pre_hooks),
        {k: v.clone() for k, v in m.state_dict().items()},
    )


def _untouched(m: nn.Module, snap: tuple[object, ...]) -> bool:
    now = _snapshot(m)
    same_values = all(
        torch.equal(a, b)
        for a, b in zip(snap[3].values(), now[3].values(), strict=True)  # type: ignore[attr-defined]
    )
    return snap[:3] == now[:3] and list(snap[3]) == list(now[3]) and same_values  # type: ignore[call-overload]


def test_attaching_twice_is_a_typed_error_and_changes_nothing() -> None:
    rnn = _learned(nn.LSTM(IN, H))
    snap = _snapshot(rnn)
    with pytest.raises(InitializerError, match="remove_initial_state"):
        attach_initial_state(rnn, "learned")
    assert _untouched(rnn, snap)


@pytest.mark.parametrize(
    ("factory", "fragment"),
    [
        (lambda: nn.Linear(IN, H), "got Linear"),
        (lambda: nn.Sequential(nn.Linear(IN, IN), nn.LSTM(IN, H)), "'1'"),
        (lambda: Recurrent(nn.GRU(IN, H), "zeros"), "'rnn'"),
    ],
)
def test_non_recurrent_modules_are_refused_untouched(
    factory: Callable[[], nn.Module], fragment: str
) -> None:
    m = factory()
    snap = _snapshot(m)
    with pytest.raises(NoRecurrentModuleError, match="rnn= must be") as err:
        attach_initial_state(m, "learned")
    assert fragment in str(err.value)
    assert _untouched(m, snap)


def _conditional(rnn: nn.Module) -> InitialState:
    # the init= spelling of a kind with parameters changes with the one-vocabulary rename
    try:
        return InitialState(rnn, ("conditional", {"context_size": 4}))  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError):
        return InitialState(rnn, "conditional", context_size=4)  # type: ignore[call-arg,unused-ignore]


def test_bad_inits_are_refused_before_anything_is_written() -> None:
    rnn = nn.GRU(IN, H)
    snap = _snapshot(rnn)
    with pytest.raises(UnknownNameError, match="learned"):
        attach_initial_state(rnn, "lerned")
    for conditional in ("conditional", ("conditional", {"context_size": 4}), _conditional(rnn)):
        with pytest.raises(InitializerError, match="Recurrent"):
            attach_initial_state(rnn, conditional)  # type: ignore[arg-type]
    with pytest.raises(InitializerError, match="do not fit"):
        attach_initial_state(rnn, InitialState(nn.GRU(IN, H + 1), "learned"))
    with pytest.raises(TypeError, match="generator"):
        attach_initial_state(rnn, InitialState(rnn), generator=torch.Generator())
    assert _untouched(rnn, snap)


def test_remove_restores_the_zero_state_and_the_keys() -> None:
    torch.manual_seed(0)
    plain = nn.LSTM(IN, H, num_layers=2)
    rnn = _learned(copy.deepcopy(plain))
    x = torch.randn(T, N, IN)
    assert not _same(rnn(x), plain(x))
    assert remove_initial_state(rnn) is rnn
    assert _same(rnn(x), plain(x)) and list(rnn.state_dict()) == list(plain.state_dict())
    assert not hasattr(rnn, "initial_state")
    rnn.load_state_dict(plain.state_dict(), strict=True)
    with pytest.raises(InitializerError, match="nothing to remove"):
        remove_initial_state(rnn)
    attach_initial_state(rnn, "learned")  # and it can be attached again


def test_parameter_free_state_adds_no_keys_and_zeros_equal_the_default() -> None:
    torch.manual_seed(0)
    plain = nn.GRU(IN, H, num_layers=2)
    rnn = attach_initial_state(copy.deepcopy(plain), "zeros")
    x = torch.randn(T, N, IN)
    assert _same(rnn(x), plain(x))
    assert list(rnn.state_dict()) == list(plain.state_dict())
    rnn.load_state_dict(plain.state_dict(), strict=True)


def test_random_state_draws_from_the_generator_in_training_and_is_its_mean_in_eval() -> None:
    torch.manual_seed(0)
    plain = nn.LSTM(IN, H, num_layers=2, proj_size=P)
    gen = torch.Generator().manual_seed(7)
    rnn = attach_initial_state(copy.deepcopy(plain), "xavier_normal", generator=gen)
    x = torch.randn(T, N, IN)
    twin = InitialState(plain, "xavier_normal", generator=torch.Generator().manual_seed(7))
    first = rnn(x)
    assert _same(first, plain(x, twin(like=x)))  # same draws, same order
    assert not _same(first, plain(x))
    assert not _same(rnn(x), first)  # a new draw each call
    rnn.eval()
    a, b = rnn(x), rnn(x)
    assert _same(a, b) and _same(a, plain(x))  # xavier_normal's mean is 0


def test_init_and_describe_see_the_weights_only() -> None:
    import rnninit
    from rnninit.diagnose import describe

    rnn = attach_initial_state(nn.LSTM(IN, H, num_layers=2), "learned")
    with torch.no_grad():
        rnn.initial_state.h0.fill_(0.5)
    before = rnn.weight_hh_l0.detach().clone()
    rnninit.init_(rnn, "orthogonal", generator=torch.Generator().manual_seed(0))
    assert torch.equal(rnn.initial_state.h0, torch.full((2, H), 0.5))  # the state untouched
    assert not torch.equal(rnn.weight_hh_l0, before)
    assert torch.equal(rnn.bias_ih_l0[H : 2 * H], torch.ones(H))  # forget rows: bias 1 written
    assert not any("initial_state" in r["param"] for r in describe(rnn).rows)
