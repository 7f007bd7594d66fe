"""Overhead of ``rnninit.Recurrent`` with a learned initial state over a bare ``nn.LSTM``.

Run: ``python benchmarks/overhead_recurrent.py [--sizes 64 256 512] [--batch 32] [--seq 100]
[--repeats N] [--threads 1]``.

Each repetition times forward + backward (``out.sum().backward()``) of

* ``bare``: ``nn.LSTM(H, H)`` called with ``hx=None`` (PyTorch builds the zero state);
* ``learned``: ``Recurrent(lstm, "learned")`` around the *same* LSTM (learned ``h0``/``c0``
  expanded over the batch, gradient summed back);
* ``stateful``: ``Recurrent(lstm, "learned", stateful=True)`` (carried, detached state; the
  learned state stays in the graph with zero gradient);
* ``bare (A/A)``: the bare LSTM again, a control that shows the noise floor.

The variants run interleaved, in a rotating order, inside every repetition, so drifts of a
shared machine hit all of them alike. Reported: median milliseconds, and the median over
repetitions of the per-repetition ratio to ``bare`` (minus 1, in percent).

On a shared machine the A/A control shows a noise floor of a few percent, larger than the
overhead itself. So the script also measures the overhead directly: the same comparison at
``seq = 1``, where the LSTM's own work is small and thousands of repetitions are cheap, gives
the fixed cost of ``Recurrent`` per call (microseconds; it does not grow with the sequence
length), and ``fixed cost / bare time`` is the overhead at the full sequence length.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from rnninit.states import Recurrent


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _step(module: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        out, _ = module(x)
        out.sum().backward()

    return run


def _bench(hidden: int, batch: int, seq: int, repeats: int) -> dict[str, list[float]]:
    torch.manual_seed(0)
    lstm = nn.LSTM(hidden, hidden)
    x = torch.randn(seq, batch, hidden)
    variants = {
        "bare": _step(lstm, x),
        "learned": _step(Recurrent(lstm, "learned"), x),
        "stateful": _step(Recurrent(lstm, "learned", stateful=True), x),
        "bare (A/A)": _step(lstm, x),
    }
    names = list(variants)
    for fn in variants.values():  # warm-up
        fn()
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            lstm.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 512])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=0, help="0: per size, ~10 s each")
    parser.add_argument("--fixed-repeats", type=int, default=2000, help="repeats at seq 1")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"date: {now}")
    print(f"machine: {_cpu_name()}, {platform.system()} {platform.machine()}")
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {args.batch}, "
        f"seq {args.seq}, input size = hidden size, 1 layer, forward + backward"
    )
    print()
    print(
        "| H | repeats | bare ms | learned ms | learned overhead | stateful ms "
        "| stateful overhead | A/A control | fixed cost learned / stateful (seq 1) "
        "| = overhead learned / stateful |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for hidden in args.sizes:
        repeats = args.repeats
        if repeats <= 0:
            probe = _bench(hidden, args.batch, args.seq, 1)
            repeats = max(15, min(400, int(10.0 / (4 * statistics.median(probe["bare"])))))
        t = _bench(hidden, args.batch, args.seq, repeats)

        def ratio(name: str, t: dict[str, list[float]] = t) -> str:
            r = statistics.median(a / b for a, b in zip(t[name], t["bare"], strict=True))
            return f"{100 * (r - 1):+.2f}%"

        def ms(name: str, t: dict[str, list[float]] = t) -> str:
            return f"{1000 * statistics.median(t[name]):.2f}"

        one = _bench(hidden, args.batch, 1, args.fixed_repeats)
        bare_s = statistics.median(t["bare"])

        def fixed(name: str, one: dict[str, list[float]] = one) -> float:
            return statistics.median(a - b for a, b in zip(one[name], one["bare"], strict=True))

        fl, fs = fixed("learned"), fixed("stateful")
        print(
            f"| {hidden} | {repeats} | {ms('bare')} | {ms('learned')} | {ratio('learned')} | "
            f"{ms('stateful')} | {ratio('stateful')} | {ratio('bare (A/A)')} | "
            f"{1e6 * fl:.0f} / {1e6 * fs:.0f} us | "
            f"{100 * fl / bare_s:+.2f}% / {100 * fs / bare_s:+.2f}% |",
            flush=True,
        )


if __name__ == "__main__":
    main()
