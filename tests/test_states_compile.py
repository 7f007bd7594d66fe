"""torch.compile: Recurrent and a module with an attached state compile (graph breaks at the
RNN are allowed) and match eager.

Backend "aot_eager": it traces through dynamo and AOTAutograd like inductor does, without
the C++ code generation that would take tens of seconds on a shared CPU.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnninit.states import Recurrent, attach_initial_state

pytestmark = pytest.mark.skipif(not hasattr(torch, "compile"), reason="torch.compile missing")


def _pair(stateful: bool) -> tuple[Recurrent, Recurrent]:
    torch.manual_seed(0)
    eager = Recurrent(nn.LSTM(3, 8, num_layers=2, batch_first=True), "learned", stateful)
    with torch.no_grad():
        for p in eager.initial_state.parameters():
            p.normal_()
    twin = Recurrent(nn.LSTM(3, 8, num_layers=2, batch_first=True), "learned", stateful)
    twin.load_state_dict(eager.state_dict())
    return eager, twin


def test_compiled_recurrent_matches_eager_outputs_and_gradients() -> None:
    torch._dynamo.reset()
    eager, twin = _pair(stateful=False)
    compiled = torch.compile(twin, backend="aot_eager")
    x = torch.randn(4, 6, 3)
    out_e, (h_e, c_e) = eager(x)
    out_c, (h_c, c_c) = compiled(x)
    assert torch.allclose(out_e, out_c, atol=1e-6)
    assert torch.allclose(h_e, h_c, atol=1e-6) and torch.allclose(c_e, c_c, atol=1e-6)
    out_e.pow(2).sum().backward()
    out_c.pow(2).sum().backward()
    for (name, p), q in zip(eager.named_parameters(), twin.parameters(), strict=True):
        assert p.grad is not None and q.grad is not None, name
        assert torch.allclose(p.grad, q.grad, atol=1e-5), name


def test_compiled_stateful_recurrent_matches_eager_over_chunks_and_resets() -> None:
    torch._dynamo.reset()
    eager, twin = _pair(stateful=True)
    compiled = torch.compile(twin, backend="aot_eager")
    gen = torch.Generator().manual_seed(1)
    for step in range(4):
        if step == 2:
            eager.reset([1])
            twin.reset([1])
        x = torch.randn(4, 5, 3, generator=gen)
        out_e, _ = eager(x)
        out_c, _ = compiled(x)
        assert torch.allclose(out_e, out_c, atol=1e-6), step
    assert eager.carried_state is not None and twin.carried_state is not None
    assert torch.allclose(eager.carried_state[0], twin.carried_state[0], atol=1e-6)


def test_compiled_module_with_an_attached_state_matches_eager() -> None:
    torch._dynamo.reset()
    torch.manual_seed(0)
    eager = attach_initial_state(nn.GRU(3, 8, num_layers=2, batch_first=True), "learned")
    with torch.no_grad():
        eager.initial_state.h0.normal_()
    twin = attach_initial_state(nn.GRU(3, 8, num_layers=2, batch_first=True), "learned")
    twin.load_state_dict(eager.state_dict())
    compiled = torch.compile(twin, backend="aot_eager")
    x = torch.randn(5, 6, 3)
    out_e, h_e = eager(x)
    out_c, h_c = compiled(x)
    assert torch.allclose(out_e, out_c, atol=1e-6) and torch.allclose(h_e, h_c, atol=1e-6)
    assert not torch.allclose(out_e, eager(x, torch.zeros(2, 5, 8))[0], atol=1e-3)  # state used
    out_e.pow(2).sum().backward()
    out_c.pow(2).sum().backward()
    g_e, g_c = eager.initial_state.h0.grad, twin.initial_state.h0.grad
    assert g_e is not None and g_c is not None and torch.allclose(g_e, g_c, atol=1e-5)
