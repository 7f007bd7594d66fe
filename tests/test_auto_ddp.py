"""``auto`` under DistributedDataParallel (2 gloo processes on 127.0.0.1): ranks see different
data and start from different random states, yet end with the same weights, whether ``auto``
runs before or after the model is wrapped: the statistics are pooled over ranks (the result
equals a calibration on both ranks' data at once) and rank 0's draws are broadcast."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from ddp_support import gloo_group, spawn
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from rnninit.auto import auto_init_


def _net() -> nn.Module:
    return nn.Sequential(nn.LSTM(3, 8, num_layers=2))


def _data(rank: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(100 + rank)
    return (1 + 5 * rank) * torch.randn(10 + 4 * rank, 3, 3, generator=g)  # scale, T differ


def _worker(rank: int, port: int, out_dir: str) -> None:
    with gloo_group(rank, port):
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


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed not built")
def test_auto_gives_every_rank_the_same_weights_before_or_after_wrapping(tmp_path: Path) -> None:
    spawn(_worker, tmp_path)
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
