"""Cross-data-set statistics of the real-data results: medians, ties, Wilcoxon, CD diagram."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from rnninit_bench.crossdata import (
    BEGIN,
    END,
    Problem,
    compare,
    first_or_tied,
    problems,
    wilcoxon_p,
    write_crossdata,
)
from rnninit_bench.realdata_sweep import realdata_sweep
from rnninit_bench.results import ResultsStore
from rnninit_bench.sweep import build_sweep


def _record(task: str, scheme: str, seed: int, value: float, cell: str = "lstm",
            hidden: int = 64) -> dict[str, Any]:  # fmt: skip
    metric = "accuracy" if task.startswith("cls") else ("bpc" if "charlm" in task else "mase")
    key = {"accuracy": "test_accuracy", "bpc": "test_bpc", "mase": "test_mase"}[metric]
    return {
        "id": f"{task}-{cell}-{hidden}-{scheme}-{seed}",
        "config": {"task": task, "cell": cell, "hidden": hidden, "scheme": scheme, "seed": seed},
        "task": {"metric": metric},
        "final": {key: value, "test_loss": 9.0},
        "wall_seconds": 2.0,
    }


def test_tie_is_a_difference_within_the_larger_seed_spread() -> None:
    p = Problem("cls-GunPoint", "lstm", 64, "accuracy",
                {"a": (0.80, 0.82, 0.84, 0.86, 0.88), "b": (0.70, 0.80, 0.81, 0.90, 0.95),
                 "c": (0.60, 0.61, 0.62, 0.63, 0.64)})  # fmt: skip
    assert p.median("a") == 0.84 and p.spread("a") == pytest.approx(0.02)
    assert p.median("b") == 0.81 and p.spread("b") == pytest.approx(0.09)
    assert p.outcome("a", "b") == "tie" == p.outcome("b", "a")  # 0.03 <= MAD of b (0.09)
    assert p.outcome("a", "c") == "win" and p.outcome("c", "a") == "loss"


def test_lower_is_better_metrics_and_diverged_seeds() -> None:
    p = Problem(
        "fc-Lynx",
        "gru",
        32,
        "mase",
        {"x": (0.5, 0.5, 0.5), "y": (0.9, 0.9, 0.9), "z": (math.nan, math.nan, 0.1)},
    )
    assert not p.higher_better and p.score("x") == -0.5
    assert p.outcome("x", "y") == "win"
    assert p.median("z") == math.inf and p.outcome("z", "y") == "loss"  # NaN counts as worst


def test_first_or_tied_counts_ties_with_the_best_median_within_the_larger_spread() -> None:
    # "best" has median 0.50 and spread (MAD) 0.10; "near" is 0.10 behind, "far" 0.11
    best = (0.40, 0.50, 0.60)
    probs = [
        Problem("fc-Lynx", "lstm", 32, "mase", {"best": best, "near": (0.6, 0.6, 0.6),
                                                 "far": (0.61, 0.61, 0.61)}),
        Problem("fc-PBS", "lstm", 32, "mase", {"best": (0.9, 0.9, 0.9), "near": (0.5, 0.5, 0.5),
                                                "far": (0.5, 0.5, 0.5)}),
        Problem("cls-GunPoint", "lstm", 64, "accuracy", {"best": (0.9, 0.9, 0.9),
                                                          "near": (0.8, 0.9, 1.0),
                                                          "far": (0.2, 0.2, 0.2)}),
    ]  # fmt: skip
    starts = ("best", "near", "far")
    counts = {s: first_or_tied(probs, s, starts) for s in starts}
    # Lynx: best first, near tied, far not; PBS: near and far tied first; GunPoint: best and
    # near share the median 0.9 (the first named is "first"), far is far behind
    assert counts == {"best": 2, "near": 3, "far": 1}
    # without "best", near is first on Lynx and far, 0.01 behind with no spread, is not tied
    assert first_or_tied(probs[:1], "far", ("far", "near")) == 0
    assert first_or_tied(probs[:1], "near", ("far", "near")) == 1


def test_wilcoxon_exact_p_of_six_differences_of_one_sign() -> None:
    # every one of 6 paired differences favours a: exact two-sided p = 2 / 2^6
    assert wilcoxon_p([1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]) == pytest.approx(2 / 64)
    assert math.isnan(wilcoxon_p([1, 2], [1, 2]))


def test_problems_keep_complete_ones_and_compare_counts_over_them() -> None:
    recs = []
    for i, name in enumerate(["GunPoint", "ArrowHead", "UnitTest", "OSULeaf", "ACSF1", "Lynx"]):
        task = f"fc-{name}" if name == "Lynx" else f"cls-{name}"
        for seed in range(5):
            good, bad = 0.9 - 0.01 * seed, 0.5 + 0.01 * seed
            if task.startswith("fc"):
                good, bad = 0.5, 1.5
            recs.append(_record(task, "auto", seed, good))
            recs.append(_record(task, "pytorch", seed, bad if i != 2 else good))
    recs.append(_record("cls-BasicMotions", "auto", 0, 0.9))  # one seed only: left out
    recs.append(_record("adding", "auto", 0, 0.9))  # synthetic: ignored
    probs = problems(recs)
    assert sorted(p.label for p in probs) == sorted(
        ["GunPoint", "ArrowHead", "UnitTest", "OSULeaf", "ACSF1", "Lynx"]
    )
    cls = [p for p in probs if p.task.startswith("cls-")]
    w, t, l_, pv = compare(cls, "auto", "pytorch")
    assert (w, t, l_) == (4, 1, 0)
    assert pv == pytest.approx(2 / 16)  # 4 non-zero differences of one sign
    fc = [p for p in probs if p.task.startswith("fc-")]
    assert compare(fc, "auto", "pytorch")[:3] == (1, 0, 0)  # lower MASE wins


def test_write_crossdata_makes_the_report_the_cd_diagram_and_updates_a_page(
    tmp_path: Path,
) -> None:
    pytest.importorskip("aeon")
    store = ResultsStore.in_folder(tmp_path / "res")
    names = ["GunPoint", "ArrowHead", "UnitTest", "OSULeaf", "ACSF1", "ItalyPowerDemand"]
    for k, name in enumerate(names):
        for s, scheme in enumerate(["pytorch", "auto", "flax"]):
            for seed in range(5):
                store.append(_record(f"cls-{name}", scheme, seed, 0.5 + 0.1 * s + 0.01 * k))
    page = tmp_path / "docs" / "PAGE.md"
    page.parent.mkdir()
    page.write_text(f"# Title\n\nkeep me\n\n{BEGIN}\nSTALE TEXT\n{END}\n\n## After\n")
    path = write_crossdata(tmp_path / "res", update=page)
    text = path.read_text()
    assert "| flax | 1.00 | 6/6 | 6/0/0 | 0.0312 | 6/0/0 | 0.0312 |" in text
    assert "| pytorch | 3.00 | 0/6 |" in text
    assert (tmp_path / "res" / "plots" / "cd_lstm.png").stat().st_size > 1000
    updated = page.read_text()
    assert updated.startswith("# Title\n\nkeep me\n\n" + BEGIN) and "STALE TEXT" not in updated
    assert updated.endswith(END + "\n\n## After\n")
    assert "](../res/plots/cd_lstm.png)" in updated
    write_crossdata(tmp_path / "res", update=page)
    assert page.read_text() == updated  # idempotent


def test_the_cli_sweep_of_a_real_data_task_is_the_driver_sweep() -> None:
    driver = {c.id for c in realdata_sweep("a", seeds=5) if c.task == "cls-GunPoint"}
    cli = build_sweep(["cls-GunPoint"], ["pytorch", "auto", "flax", "keras", "chrono",
                                         "orthogonal"], ["lstm"], seeds=5)  # fmt: skip
    assert {c.id for c in cli} == driver
    lm = build_sweep(["charlm-kjv"], ["auto"], seeds=1, hidden=128)
    assert {c.cell for c in lm} == {"lstm", "gru"} and {c.hidden for c in lm} == {128}
