"""``auto`` under DistributedDataParallel (2 gloo processes on 127.0.0.1): ranks see different
data and start from different random states, yet end with the same weights, whether ``auto``
runs before or after the model is wrapped: the statistics are pooled over ranks (the result
equals a calibration on both ranks' data at once) and rank 0's draws are broadcast."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from rnninit.auto import auto_init_

WORLD = 2


def _net() -> nn.Module:
    return nn.Sequential(nn.LSTM(3, 8, num_layers=2))


def _data(rank: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(100 + rank)
    return (1 + 5 * rank) * torch.randn(10 + 4 * rank, 3, 3, generator=g)  # scale, T differ


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD
    )
    try:
        torch.manual_seed(rank)  # rank 0 draws as the reference below does
        before = _net()
        auto_init_(before, _data(rank))
        torch.manual_seed(10 + rank)
        inner = _net()
        auto_init_(DistributedDataParallel(inner), _data(rank))
        torch.save(
            {"before": before.state_dict(), "after": inner.state_dict()},
            Path(out_dir) / f"rank{rank}.pt",
        )
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_auto_gives_every_rank_the_same_weights_before_or_after_wrapping(tmp_path: Path) -> None:
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    r0 = torch.load(tmp_path / "rank0.pt")
    r1 = torch.load(tmp_path / "rank1.pt")
    for case in ("before", "after"):
        for key, value in r0[case].items():
            assert torch.equal(value, r1[case][key]), (case, key)
    # pooled statistics: the same as one process calibrating on both ranks' data (T padded to
    # the longer one is not needed: the layers see rows, so concatenate the time-major rows)
    torch.manual_seed(0)
    ref = _net()
    x0, x1 = _data(0), _data(1)
    auto_init_(ref, [x0, x1])
    for key, value in ref.state_dict().items():
        assert torch.allclose(value, r0["before"][key], atol=1e-5), key
    # control: rank 0's data alone gives other input weights
    torch.manual_seed(0)
    alone = _net()
    auto_init_(alone, x0)
    assert not torch.allclose(alone[0].weight_ih_l0, r0["before"]["0.weight_ih_l0"], atol=1e-3)
