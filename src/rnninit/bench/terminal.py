"""The verdict per task as a plain-text table, printed where ``rnninit bench`` was typed.

One row per (task, length, cell) group: the winner, its seeds solved and final metric, PyTorch's
default on the same line, and whether the gap is beyond the seed spread (the rules of
:func:`rnninit.bench.report.clearly_better`). Plain text, so it reads the same in any terminal,
log file or CI output.
"""

from __future__ import annotations

from collections.abc import Sequence

from .report import clearly_better, format_final, title_of
from .summary import Entry

__all__ = ["verdict_table"]


def _cell(e: Entry) -> str:
    metric = "acc" if e.metric == "accuracy" else e.metric
    steps = e.median_steps()
    solved = f"{e.solved}/{e.n} solved" + (f" @{int(steps)}" if e.solved == e.n else "")
    return f"{e.label}: {solved}, {metric} {format_final(e)}"


def _gap(best: Entry, default: Entry | None) -> str:
    if default is None:
        return "default not run"
    if best is default:
        return "default wins"
    if min(best.n, default.n) < 2:
        return "one seed: not judged"
    return "beyond seed spread" if clearly_better(best, default) else "within seed spread"


def verdict_table(groups: dict[tuple[str, int, str], list[Entry]]) -> str:
    """The verdict table for ranked groups (as :func:`~rnninit.bench.summary.group_entries`
    returns them): columns task, winner, PyTorch default, gap.

    >>> print(verdict_table({}))
    task  winner  PyTorch default  gap
    ----  ------  ---------------  ---
    """
    rows: list[Sequence[str]] = [("task", "winner", "PyTorch default", "gap")]
    for group, entries in groups.items():
        if group[0] == "echo":
            best = entries[0]
            zeros = next((e for e in entries if e.state == "zeros"), None)
            gap = "zeros wins" if best is zeros else _gap(best, zeros)
            rows.append((title_of(group), _cell(best), _cell(zeros) if zeros else "-", gap))
            continue
        default = next((e for e in entries if e.scheme == "pytorch" and e.state == "zeros"), None)
        best = entries[0]
        rows.append(
            (title_of(group), _cell(best), _cell(default) if default else "-", _gap(best, default))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = []
    for k, r in enumerate(rows):
        out.append("  ".join(text.ljust(w) for text, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
