"""The report's section on the initial-state task (``echo``): what each state kind does.

Every echo run trains its whole budget (``stop_on_solve=False``), so the kinds are compared at
the same step: seeds solved and steps to solve, the test cross-entropy after the budget, and the
cross-entropy on the first 3 steps, which depend on nothing but the initial state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .summary import Entry

__all__ = ["echo_section"]

_CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn_relu": "relu RNN"}


def _g(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3g}"


def _range(e: Entry, key: str) -> str:
    vals = e.final(key)
    if len(vals) == 1:
        return _g(vals[0])
    return f"{_g(e.median_final(key))} ({_g(min(vals))}–{_g(max(vals))})"


def _steps(e: Entry) -> str:
    steps = sorted(e.steps())
    if not any(math.isfinite(s) for s in steps):
        return f"not solved in {e.budget}"
    med = e.median_steps()
    head = f"{int(med)}" if math.isfinite(med) else "not solved"
    hi = f"{int(steps[-1])}" if math.isfinite(steps[-1]) else f">{e.budget}"
    return head if len(steps) == 1 else f"{head} ({int(steps[0])}–{hi})"


def _apart(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two sets of per-seed values do not overlap (a difference beyond the spread)."""
    return max(a) < min(b) or max(b) < min(a)


def _vs(e: Entry, ref: Entry, key: str) -> str:
    m, z = e.median_final(key), ref.median_final(key)
    sign = "+" if m >= z else ""
    spread = "beyond" if _apart(e.final(key), ref.final(key)) else "within"
    return f"`{e.label}` {_g(m)} ({sign}{_g(100 * (m - z) / z)}%, {spread} the seed spread)"


def _finding(length: int, cell: str, entries: Sequence[Entry]) -> str:
    name = f"{_CELL_NAMES.get(cell, cell)}, T={length}"
    zeros = next((e for e in entries if e.state == "zeros" and not e.suffix), None)
    fastest = entries[0]
    parts = [
        f"fastest to solve `{fastest.label}` ({fastest.solved}/{fastest.n}, {_steps(fastest)})"
    ]
    if zeros is not None:
        parts.append(f"zeros {zeros.solved}/{zeros.n}, {_steps(zeros)}")
        others = [e for e in entries if e is not zeros]
        by_loss = sorted(others, key=lambda e: e.median_final("test_loss"))
        parts.append(
            f"test CE after the budget: zeros {_g(zeros.median_final('test_loss'))}; "
            + ", ".join(_vs(e, zeros, "test_loss") for e in by_loss)
        )
        by_start = sorted(others, key=lambda e: e.median_final("start_loss"))
        parts.append(
            "CE on the first 3 steps (decided by the start state alone): zeros "
            f"{_g(zeros.median_final('start_loss'))}; "
            + ", ".join(_vs(e, zeros, "start_loss") for e in by_start)
        )
    return f"{name}: " + "; ".join(parts) + "."


def echo_section(groups: dict[tuple[str, int, str], list[Entry]]) -> list[str]:
    """Markdown lines of the initial-state section (empty without echo runs)."""
    echo = {g: es for g, es in groups.items() if g[0] == "echo"}
    if not echo:
        return []
    lines = [
        "The target at step t is the input at step t-3, and a fixed start class for the first "
        "3 steps, so those outputs depend on nothing but the initial state; every sequence is a "
        "restart. Each run trains its whole budget. The test set is one batch of a different "
        "size than the training batch, which changes the scale of the batch-dependent folk "
        "Xavier state; rnninit's random kinds give their mean (zeros) in eval mode, the folk "
        "ones keep drawing.",
        "",
        "| T | cell | scheme | state | seeds solved | steps to solve | test CE after the budget "
        "| CE on the first 3 steps | CE on later steps | accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    findings: list[str] = []
    for (_task, length, cell), entries in echo.items():
        for e in entries:
            lines.append(
                f"| {length} | {cell} | {e.scheme} | {e.label} | {e.solved}/{e.n} | {_steps(e)} | "
                f"{_range(e, 'test_loss')} | {_range(e, 'start_loss')} | "
                f"{_range(e, 'rest_loss')} | {_range(e, 'test_accuracy')} |"
            )
        findings.append(_finding(length, cell, entries))
    return [*lines, "", "What it shows (medians over seeds):", "", *[f"- {f}" for f in findings]]
