"""The verdict table printed by ``rnninit bench`` and the report's verdict paragraph, on
constructed results: a group where nothing solved, initial-state groups, the legend, the reason."""

from __future__ import annotations

import re
from typing import Any

from rnninit_bench.config import RunConfig
from rnninit_bench.report import verdict
from rnninit_bench.summary import Entry, group_entries
from rnninit_bench.terminal import INPUT_SCALE_REASON, LEGEND, verdict_table

_TASKS: dict[str, dict[str, Any]] = {
    "adding": {"baseline": 1 / 6, "solve_loss": 0.01, "solve_accuracy": None, "metric": "mse"},
    "echo": {"baseline": 1.46, "solve_loss": 0.146, "solve_accuracy": None, "metric": "ce"},
}


def _rec(
    task: str, scheme: str, state: str, seed: int, steps: int | None, loss: float
) -> dict[str, Any]:
    length = 10 if task == "echo" else 100
    cfg = RunConfig(task, length, "lstm", scheme, state=state, seed=seed, steps=600)
    return {
        "id": cfg.id,
        "config": cfg.to_dict(),
        "task": _TASKS[task],
        "curve": {"step": [25], "train_loss": [loss]},
        "evals": {"step": [25], "test_loss": [loss]},
        "solved": steps is not None,
        "steps_to_solve": steps,
        "final": {"test_loss": loss},
        "steps_run": steps or 600,
        "diverged": False,
        "seconds_per_step": 0.01,
        "wall_seconds": 1.0,
        "versions": {},
    }


def _groups(recs: list[dict[str, Any]]) -> dict[tuple[str, int, str], list[Entry]]:
    return group_entries(recs)


def _rows(table: str) -> dict[str, list[str]]:
    """Table rows by their task cell, split into columns (two or more spaces apart)."""
    lines = table.splitlines()
    assert lines[0] == LEGEND
    assert re.split(r"\s{2,}", lines[1]) == ["task", "best start", "PyTorch default", "gap"]
    rows = {}
    for line in lines[3:]:
        if line.startswith("why:"):
            continue
        cols = re.split(r"\s{2,}", line)
        assert len(cols) == 4, line
        rows[cols[0]] = cols[1:]
    return rows


def _unsolved_copy_like() -> list[dict[str, Any]]:
    # auto's worst seed beats the default's best: the old table called this "beyond seed spread"
    recs = [_rec("adding", "auto", "zeros", s, None, v) for s, v in enumerate((0.11, 0.12))]
    recs += [_rec("adding", "pytorch", "zeros", s, None, v) for s, v in enumerate((0.16, 0.17))]
    return recs


def test_a_group_where_nothing_solved_names_no_winner_and_judges_no_gap() -> None:
    table = verdict_table(_groups(_unsolved_copy_like()))
    best, default, gap = _rows(table)["adding T=100, LSTM"]
    assert best.startswith("no start solved it")
    assert "auto" in best and "0.115 (0.11–0.12)" in best  # the closest start, with its numbers
    assert default == "pytorch: 0/2 solved, mse 0.165 (0.16–0.17)"
    assert "spread" not in gap and "not judged" in gap
    assert "beyond" not in table
    assert INPUT_SCALE_REASON not in table  # auto solved nothing: no reason to give


def test_a_solved_group_keeps_its_winner_the_steps_and_the_gap() -> None:
    recs = [_rec("adding", "auto", "zeros", s, n, 0.006) for s, n in enumerate((150, 200))]
    recs += [_rec("adding", "pytorch", "zeros", s, None, 0.17) for s in range(2)]
    table = verdict_table(_groups(recs))
    best, default, gap = _rows(table)["adding T=100, LSTM"]
    assert best == "auto: 2/2 solved @175, mse 0.006 (0.006–0.006)"
    assert default.startswith("pytorch: 0/2 solved,") and "@" not in default
    assert gap == "beyond seed spread"
    assert table.splitlines()[-1] == INPUT_SCALE_REASON


def test_the_reason_is_left_out_where_the_default_wins() -> None:
    recs = [_rec("adding", "pytorch", "zeros", s, 300 + s, 0.006) for s in range(2)]
    recs += [_rec("adding", "auto", "zeros", s, None, 0.17) for s in range(2)]
    table = verdict_table(_groups(recs))
    best, default, gap = _rows(table)["adding T=100, LSTM"]
    assert best.startswith("pytorch: 2/2 solved @300")
    assert default == "same as the best" and gap == "the default is best"
    assert INPUT_SCALE_REASON not in table


def test_the_legend_explains_the_step_count_and_the_range() -> None:
    legend = verdict_table({}).splitlines()[0]
    assert legend == LEGEND
    assert "@" in legend and "median training steps to solve" in legend
    assert "min–max over seeds" in legend


def test_an_initial_state_group_is_labelled_and_does_not_repeat_the_winner() -> None:
    recs = [_rec("echo", "pytorch", "zeros", s, 900 + 50 * s, 0.02) for s in range(2)]
    recs += [_rec("echo", "pytorch", "learned", s, 1000 + s, 0.03) for s in range(2)]
    table = verdict_table(_groups(recs))
    rows = _rows(table)
    assert list(rows) == ["initial state: echo T=10, LSTM"]
    best, default, gap = rows["initial state: echo T=10, LSTM"]
    assert best == "zeros state: 2/2 solved @925, ce 0.02 (0.02–0.02)"
    assert default != best and "zeros" in default and "PyTorch's default" in default
    assert "0.02" not in default  # the numbers are shown once
    assert gap == "the default is best"


def test_an_initial_state_group_shows_the_zeros_state_as_the_default() -> None:
    recs = [_rec("echo", "pytorch", "learned", s, 500 + s, 0.01) for s in range(2)]
    recs += [_rec("echo", "pytorch", "zeros", s, 900 + s, 0.02) for s in range(2)]
    best, default, gap = _rows(verdict_table(_groups(recs)))["initial state: echo T=10, LSTM"]
    assert best.startswith("learned state: 2/2 solved @500")
    assert default.startswith("zeros state: 2/2 solved @900")
    assert gap == "beyond seed spread"


def test_an_unsolved_initial_state_group_says_no_initial_state_solved_it() -> None:
    recs = [_rec("echo", "pytorch", "zeros", s, None, v) for s, v in enumerate((0.6, 0.8))]
    recs += [_rec("echo", "pytorch", "folk_randn", s, None, v) for s, v in enumerate((0.9, 0.95))]
    best, default, gap = _rows(verdict_table(_groups(recs)))["initial state: echo T=10, LSTM"]
    assert best == "no initial state solved it (best ce: zeros 0.7 (0.6–0.8))"
    assert default.startswith("same as the best") and "not judged" in gap


def test_the_report_verdict_names_no_winner_where_nothing_solved() -> None:
    ((group, entries),) = _groups(_unsolved_copy_like()).items()
    text = verdict(group, entries)
    assert text.startswith("no start solved it within the budget of 600 steps")
    assert "winner" not in text and "spread" not in text
    assert "`auto`" in text and "0/2 seeds solved" in text  # the default's line is kept


def test_the_report_verdict_on_an_initial_state_group() -> None:
    recs = [_rec("echo", "pytorch", "zeros", s, 900 + s, 0.02) for s in range(2)]
    recs += [_rec("echo", "pytorch", "learned", s, 1000 + s, 0.03) for s in range(2)]
    ((group, entries),) = _groups(recs).items()
    text = verdict(group, entries)
    assert text.startswith("best initial state: `zeros`")
    assert "the zeros state (PyTorch's default) is best" in text
