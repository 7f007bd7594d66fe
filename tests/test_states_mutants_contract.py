"""Contracts of the initial-state kinds and ``InitialState`` that their surviving mutants broke:
the finiteness check on a callable ``init`` (exact message, the callable's name or
``'callable'``), that check skipped on the meta device and while tracing, the conditional
kind's own error and its dtype (the input's in ``Recurrent``, one dtype for ``h0`` and ``c0``
without ``like=``), and the whole ``torch.jit.script`` message.

The expected states are computed here from the raw ``nn.Linear`` projections
(``h0 = tanh(W c + b)``), never through the module under test.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import torch
from states_kinds_support import META, _gen
from torch import nn

from rnninit.errors import ArgumentTypeError, ArgumentValueError, ExportError
from rnninit.states import InitialState, Recurrent
from rnninit.states.kinds import LEARNED_KINDS, Part

IN, H, N, T, K = 3, 4, 5, 7, 2  # input, hidden, batch, steps, context: cannot coincide


def _nan_fill(t: torch.Tensor) -> torch.Tensor:
    return t.fill_(float("nan"))


class _InfFill:
    """A callable object without ``__name__``."""

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return t.fill_(float("inf"))


def _raises(exc: type[Exception], message: str, fn: Any, *args: Any, **kwargs: Any) -> None:
    """``fn(*args, **kwargs)`` raises exactly ``exc`` with exactly ``message``."""
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc, repr(info.value)
    assert str(info.value) == message


def _gru() -> nn.GRU:
    torch.manual_seed(0)
    return nn.GRU(IN, H, batch_first=True)


_SUFFIX = (
    ": the callable initializer wrote non-finite values (nan/inf) into a state of shape "
    f"(1, {N}, {H}); a state must be finite"
)


@pytest.mark.parametrize(
    ("init", "shown"),
    [
        (_nan_fill, "'_nan_fill'"),
        (functools.partial(_nan_fill), "'callable'"),  # a partial has no __name__
        (_InfFill(), "'callable'"),
    ],
)
def test_a_callable_writing_non_finite_values_is_named_in_the_error(init: Any, shown: str) -> None:
    state = InitialState(_gru(), init)
    _raises(ArgumentValueError, f"init={shown}{_SUFFIX}", state, N)


def test_a_finite_callable_state_is_what_it_wrote() -> None:
    state = InitialState(_gru(), lambda t: t.fill_(0.25))
    out = state(N)
    assert out.shape == (1, N, H)
    assert torch.equal(out, torch.full((1, N, H), 0.25))


def test_on_the_meta_device_the_values_are_not_read() -> None:
    rnn = nn.GRU(IN, H, device=META)
    state = InitialState(rnn, _nan_fill)  # would raise if its values were checked
    out = state(N)
    assert out.device.type == "meta"
    assert out.shape == (1, N, H)


class _StateOf(nn.Module):
    def __init__(self, init: Any) -> None:
        super().__init__()
        self.state = InitialState(_gru(), init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.state(like=x)
        assert isinstance(out, torch.Tensor)
        return out


@pytest.mark.filterwarnings("ignore:`torch.jit.trace")  # deprecated in torch 2.13, still run
def test_while_tracing_the_values_are_not_read() -> None:
    module = _StateOf(_nan_fill)
    # eager, the same call is an error (the check runs)
    with pytest.raises(ArgumentValueError):
        module(torch.zeros(N, T, IN))
    # traced, the values cannot be read: no check (check_trace would re-run it eagerly)
    traced = torch.jit.trace(module, torch.zeros(N, T, IN), check_trace=False)
    out = traced(torch.zeros(N + 1, T, IN))  # the traced state follows the input's batch
    assert out.shape == (1, N + 1, H)
    assert bool(torch.isnan(out).all())


def test_the_conditional_build_without_a_context_is_an_argument_type_error() -> None:
    state = InitialState(_gru(), ("conditional", {"context_size": K}))
    part = Part("h0", H, N, None, None, False, torch.float32)
    _raises(
        ArgumentTypeError,
        "init='conditional' needs a context",
        LEARNED_KINDS["conditional"].build,
        state,
        state.spec,
        state.init.params,  # type: ignore[union-attr]
        part,
    )


def test_in_recurrent_a_conditional_state_takes_the_input_dtype() -> None:
    gru = _gru()
    state = InitialState(gru, ("conditional", {"context_size": K}))
    state.double()  # the projection in float64, the GRU and its input in float32
    rec = Recurrent(gru, state)
    x = torch.randn(N, T, IN, generator=_gen(1))
    ctx = torch.randn(N, K, generator=_gen(2))
    out, h = rec(x, context=ctx)
    proj = state.proj_h
    assert isinstance(proj, nn.Linear)
    h0 = torch.tanh(ctx.double() @ proj.weight.T + proj.bias).float().unsqueeze(0)  # (1, N, H)
    expected_out, expected_h = gru(x, h0)
    assert out.dtype == torch.float32 and h.dtype == torch.float32
    # same float64 projection, cast once: equal up to addmm's summation order (1e-6)
    torch.testing.assert_close(out, expected_out, atol=1e-6, rtol=0)
    torch.testing.assert_close(h, expected_h, atol=1e-6, rtol=0)


def test_without_like_both_conditional_parts_take_the_module_dtype() -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(IN, H, num_layers=2)
    state = InitialState(lstm, ("conditional", {"context_size": K}))
    state.proj_c.double()  # only c0's projection cast: the module's dtype is its first (h0's)
    ctx = torch.randn(N, K, generator=_gen(3))
    h0, c0 = state(ctx)
    assert h0.dtype == torch.float32 and c0.dtype == torch.float32
    proj = state.proj_c
    assert isinstance(proj, nn.Linear)
    raw = torch.tanh(ctx.double() @ proj.weight.T + proj.bias)  # (N, L*H): layer-major columns
    expected = raw.view(N, 2, H).transpose(0, 1).float()  # (L, N, H)
    # same float64 projection, cast once: equal up to addmm's summation order (1e-6)
    torch.testing.assert_close(c0, expected, atol=1e-6, rtol=0)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_torch_jit_script_gives_the_whole_export_message() -> None:
    state = InitialState(_gru(), "zeros")
    _raises(
        ExportError,
        "torch.jit.script cannot compile an rnninit InitialState (attached by "
        "attach_initial_state, or inside rnninit.Recurrent): TorchScript types neither its "
        "Python arguments nor the keyword forward pre-hook that supplies an attached state. "
        "Use torch.jit.trace(model, example_inputs) (the state follows each input's batch "
        "size), torch.export.export(model, args, dynamic_shapes=...) or "
        "torch.onnx.export(model, args, dynamo=True, dynamic_shapes=...); or script the "
        "model after rnninit.states.remove_initial_state(rnn), passing hx yourself. "
        "See 'Export and compilation' in docs/states.md",
        torch.jit.script,
        state,
    )
