"""DistributedDataParallel, 2 processes on gloo (127.0.0.1): learned initial states (in a
``Recurrent`` or attached to the user's module) stay identical across ranks after training
steps; carried states stay per rank."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from ddp_support import gloo_group, spawn
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from rnninit.states import Recurrent, attach_initial_state

STEPS = 6


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rec = Recurrent(nn.LSTM(3, 8, num_layers=2), "learned", stateful=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rec(x)
        return self.head(out)


def _worker(rank: int, port: int, out_dir: str) -> None:
    with gloo_group(rank, port):
        torch.manual_seed(rank)  # different starts: DDP must broadcast rank 0's parameters
        net = _Net()
        model = DistributedDataParallel(net)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        data = torch.Generator().manual_seed(100 + rank)  # per-rank data
        for step in range(STEPS):
            if step == 3:
                net.rec.reset([rank])  # per-rank episode end: learned state used again
            x = torch.randn(5, 4, 3, generator=data)
            loss = (model(x) - 1.0).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        carried = net.rec.carried_state
        assert isinstance(carried, tuple)
        torch.save(
            {
                "h0": net.rec.initial_state.h0.detach(),
                "c0": net.rec.initial_state.c0.detach(),
                "w": net.rec.rnn.weight_hh_l1.detach(),
                "carried_h": carried[0],
            },
            Path(out_dir) / f"rank{rank}.pt",
        )


class _AttachedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = attach_initial_state(nn.LSTM(3, 8, num_layers=2), "learned")
        self.head = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)  # hx=None: the attached state, a parameter DDP must sync
        return self.head(out)


def _attached_worker(rank: int, port: int, out_dir: str) -> None:
    with gloo_group(rank, port):
        torch.manual_seed(rank)
        net = _AttachedNet()
        model = DistributedDataParallel(net)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        data = torch.Generator().manual_seed(100 + rank)
        for _ in range(STEPS):
            x = torch.randn(5, 4, 3, generator=data)
            loss = (model(x) - 1.0).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        torch.save(
            {k: v.detach() for k, v in net.lstm.state_dict().items()},
            Path(out_dir) / f"attached{rank}.pt",
        )


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_ddp_learned_states_sync_and_carried_states_stay_per_rank(tmp_path: Path) -> None:
    spawn(_worker, tmp_path)
    r0 = torch.load(tmp_path / "rank0.pt")
    r1 = torch.load(tmp_path / "rank1.pt")
    assert r0["h0"].abs().sum() > 0 and r0["c0"].abs().sum() > 0  # trained away from zero
    assert torch.equal(r0["h0"], r1["h0"]) and torch.equal(r0["c0"], r1["c0"])
    assert torch.equal(r0["w"], r1["w"])
    assert r0["carried_h"].shape == (2, 4, 8)
    assert not torch.allclose(r0["carried_h"], r1["carried_h"])


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_ddp_syncs_an_attached_learned_state(tmp_path: Path) -> None:
    spawn(_attached_worker, tmp_path)
    r0 = torch.load(tmp_path / "attached0.pt")
    r1 = torch.load(tmp_path / "attached1.pt")
    assert list(r0) == [
        *nn.LSTM(3, 8, num_layers=2).state_dict(),
        "initial_state.h0",
        "initial_state.c0",
    ]
    assert r0["initial_state.h0"].abs().sum() > 0  # trained away from zero
    assert all(torch.equal(r0[k], r1[k]) for k in r0)
