"""What the ``auto`` scheme's calibration costs, against one forward pass and the QR floor.

For each model: ``forward`` is one no-grad eval pass of the model over the calibration batches;
``base`` is the same layers initialized by the fixed part of ``auto`` (log-spaced chrono
keep-gate bias, LeCun input blocks, orthogonal recurrent blocks: the QR floor); ``auto`` is
the whole call. The target (issue 9) is ``auto - base <= 2 x forward``. Interleaved repeats on
one thread, medians; compare ratios only, within one run. Usage::

    python benchmarks/auto_cost.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from rnninit import init_
from rnninit.auto import auto_init_

MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "LSTM(32, 256), 1 layer": (lambda: nn.LSTM(32, 256), (100, 64, 32)),
    "LSTM(32, 256), 2 layers, bidirectional": (
        lambda: nn.LSTM(32, 256, num_layers=2, bidirectional=True),
        (100, 64, 32),
    ),
    "GRU(64, 512), 3 layers": (lambda: nn.GRU(64, 512, num_layers=3), (50, 32, 64)),
}
BATCHES = 4


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(model: nn.Module, data: list[torch.Tensor], repeats: int) -> tuple[float, ...]:
    """Median seconds of (forward over data, base init, auto), interleaved ``repeats`` times."""
    g = torch.Generator()
    t_max = data[0].shape[0]

    def forward() -> None:
        with torch.no_grad():
            for x in data:
                model(x)

    def base() -> None:
        init_(
            model,
            "chrono",
            max_timescale=t_max,
            input="lecun_normal",
            forget_bias=("chrono_log", {"max_timescale": t_max}),
            generator=g,
        )

    def auto() -> None:
        auto_init_(model, data, generator=g)

    times: list[list[float]] = [[], [], []]
    for _ in range(repeats):
        for k, fn in enumerate((forward, base, auto)):
            times[k].append(_time(fn))
    return tuple(statistics.median(t) for t in times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(1)
    print("| model | forward (s) | base init (s) | auto (s) | (auto - base) / forward |")
    print("|---|---|---|---|---|")
    for label, (make, shape) in MODELS.items():
        data = [torch.randn(*shape) for _ in range(BATCHES)]
        f, b, a = measure(make().eval(), data, args.repeats)
        print(f"| {label} | {f:.3f} | {b:.3f} | {a:.3f} | {(a - b) / f:.2f} |")


if __name__ == "__main__":
    main()
