"""Truncated BPTT with a carried state keeps memory flat over thousands of chunks.

Two measures that grow when the carried state is not detached: the number of autograd nodes
reachable from a chunk's output (exact), and the process's resident memory (with a generous
bound). The forward-only loop (a rollout with gradients on, as in reinforcement learning) is the
case where a leak would not raise an error, so its bound is what catches it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

from rnninit.states import Recurrent

CHUNKS = 2000


@pytest.fixture(autouse=True)
def _one_thread() -> object:
    # thousands of tiny steps: intra-op threads only add contention on a shared CPU
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _graph_size(t: torch.Tensor) -> int:
    seen: set[int] = set()
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(nxt for nxt, _ in node.next_functions)
    return len(seen)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _model() -> tuple[Recurrent, nn.Linear]:
    torch.manual_seed(0)
    return Recurrent(nn.LSTM(8, 64), "learned", stateful=True), nn.Linear(64, 1)


def test_tbptt_training_over_thousands_of_chunks_keeps_memory_flat() -> None:
    rec, head = _model()
    opt = torch.optim.SGD([*rec.parameters(), *head.parameters()], lr=1e-3)
    x = torch.randn(10, 16, 8)
    sizes, rss = [], []
    for step in range(CHUNKS):
        if step % 500 == 499:
            rec.reset(torch.arange(16) % 4 == 0)  # episode ends in some rows
        out, _ = rec(x)
        loss = head(out).pow(2).mean()
        if step in (10, CHUNKS - 1):
            sizes.append(_graph_size(loss))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 100:
            rss.append(_rss_bytes())
    rss.append(_rss_bytes())
    assert all(t.grad_fn is None and not t.requires_grad for t in rec.carried_state or ())
    assert sizes[0] == sizes[1]
    assert rss[1] - rss[0] < 32 * 2**20


def test_stateful_rollout_with_grad_enabled_does_not_grow_a_graph() -> None:
    rec, _ = _model()
    x = torch.randn(10, 16, 8)
    sizes = []
    rss_start = 0
    for step in range(CHUNKS):
        out, _ = rec(x)  # nothing calls backward: an undetached carry would chain every chunk
        if step == 10:
            sizes.append(_graph_size(out))
            rss_start = _rss_bytes()
    sizes.append(_graph_size(out))
    assert sizes[0] == sizes[1] < 50
    # each undetached chunk would keep ~10*16*4*64 floats of gates alive: > 80 MB over 2000
    assert _rss_bytes() - rss_start < 32 * 2**20


def test_the_reset_mask_errors_are_the_ones_docs_states_md_names() -> None:
    """docs/states.md (issue 30): before the first call any mask is an ArgumentValueError;
    once a state is carried, an index out of range is a StateShapeError."""
    from rnninit.errors import ArgumentValueError, StateShapeError

    rec = Recurrent(nn.GRU(3, 4), "zeros", stateful=True)
    with pytest.raises(ArgumentValueError):
        rec.reset([7])
    rec(torch.randn(5, 2, 3))
    with pytest.raises(StateShapeError):
        rec.reset([7])
    page = (Path(__file__).resolve().parent.parent / "docs" / "states.md").read_text()
    assert "any mask is an `ArgumentValueError`" in page
