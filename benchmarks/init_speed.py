"""How long ``rnninit.init_`` takes per scheme, against PyTorch's own ``reset_parameters()``.

Run: ``python benchmarks/init_speed.py [--repeats 7]``. Prints a Markdown table of medians (ms)
and the ratio to ``reset_parameters()`` on the same module. Times on a shared machine are noisy:
compare the ratios, which are measured interleaved within one run.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from torch import nn

import rnninit

CONFIGS = {
    "LSTM(256, 256) x2": lambda: nn.LSTM(256, 256, num_layers=2),
    "LSTM(512, 1024) x4 bi": lambda: nn.LSTM(512, 1024, num_layers=4, bidirectional=True),
    "GRU(128, 512) x2": lambda: nn.GRU(128, 512, num_layers=2),
}
SCHEMES = {
    "pytorch": {},
    "orthogonal": {},
    "keras": {},
    "chrono": {"max_timescale": 1000},
    "flax": {},
    "sonnet": {},
}


def _time(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(2)
    warnings.simplefilter("ignore")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, repeats {args.repeats}")
    print()
    print("| module | params | reset_parameters ms | " + " | ".join(SCHEMES) + " |")
    print("|---|---|---|" + "---|" * len(SCHEMES))
    for label, make in CONFIGS.items():
        mod = make()
        n = sum(p.numel() for p in mod.parameters())
        base = _time(mod.reset_parameters, args.repeats)
        cells = []
        for scheme, kw in SCHEMES.items():
            g = torch.Generator().manual_seed(0)
            ms = _time(
                lambda m=mod, s=scheme, k=kw, g=g: rnninit.init_(m, s, generator=g, **k),
                args.repeats,
            )
            cells.append(f"{ms:.1f} ({ms / base:.1f}x)")
        print(f"| {label} | {n / 1e6:.1f}M | {base:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
