"""Scaffolding shared by the DDP tests: WORLD gloo processes on 127.0.0.1 (loopback only)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD = 2


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gloo_group(rank: int, port: int) -> Iterator[None]:
    """Join the process group; on success wait for every rank before leaving (rank 0 hosts the
    store), and always destroy the group."""
    os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD
    )
    try:
        yield
        dist.barrier()
    finally:
        dist.destroy_process_group()


def spawn(worker: Callable[[int, int, str], None], out_dir: Path) -> None:
    """Run ``worker(rank, port, out_dir)`` in WORLD processes and wait for them."""
    mp.spawn(worker, args=(free_port(), str(out_dir)), nprocs=WORLD, join=True)
