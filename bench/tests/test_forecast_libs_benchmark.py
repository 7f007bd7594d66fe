"""The forecasting-libraries sweep (benchmarks/forecast_libs.py) and its report, as tiny smoke
runs: each task trains its library's model through the library's own fit for a few steps, a
start other than the library's changes the recurrent weights the training starts from, and the
report reads the records."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("lightning")
pytest.importorskip("pytorch_forecasting")
pytest.importorskip("neuralforecast")
pytest.importorskip("statsmodels")

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
FIELDS = {
    "task", "library", "data", "start", "seed", "test_mase", "test_mae", "train_seconds",
    "init_seconds", "wall_seconds", "epochs", "steps", "val_loss", "train_loss", "checksum",
    "settings", "versions", "torch_threads",
}  # fmt: skip


@pytest.fixture(scope="module")
def fl() -> tuple[ModuleType, ModuleType]:
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(BENCHMARKS))
    try:
        return importlib.import_module("forecast_libs"), importlib.import_module(
            "forecast_libs_report"
        )
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def out(fl: tuple[ModuleType, ModuleType], tmp_path_factory: pytest.TempPathFactory) -> Path:
    sweep, report = fl
    assert list(sweep.TASKS) == report.TASKS
    folder = tmp_path_factory.mktemp("forecast_libs")
    for task in sweep.TASKS:
        for start in ("library", "auto_every_step"):
            assert sweep.main(["--out", str(folder), "--tiny", "--only", task, start, "0"]) == 0
    return folder


def _record(out: Path, task: str, start: str) -> dict:
    return json.loads((out / "runs" / f"{task}__{start}__s0.json").read_text())


@pytest.mark.parametrize("task", ["pf_deepar_ar", "pf_deepar_co2", "nf_lstm_airpassengers"])
def test_a_tiny_run_records_its_fields_and_the_start_changes_the_lstm(out: Path, task: str) -> None:
    lib, auto = _record(out, task, "library"), _record(out, task, "auto_every_step")
    for rec in (lib, auto):
        assert set(rec) >= FIELDS and rec["tiny"] and rec["torch_threads"] == 1
        assert rec["test_mase"] > 0 and rec["epochs"] >= 1 and rec["versions"]["rnninit"]
    assert lib["rnninit_init"] is None
    assert auto["rnninit_init"] == {"scheme": "auto", "targets": "every_step"}
    # the same recurrent Parameters (the library's own LSTM), started differently
    assert lib["checksum"] and set(lib["checksum"]) == set(auto["checksum"])
    assert any("weight_hh" in k for k in lib["checksum"])
    assert lib["checksum"] != auto["checksum"]
    if task.startswith("pf_"):
        assert lib["val_loss"] and lib["settings"]["cell_type"] == "LSTM"


def test_the_same_seed_builds_the_same_library_model(
    fl: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    sweep, _ = fl
    again = sweep.run("pf_deepar_co2", "library", 0, tiny=True)
    first = sweep.run("pf_deepar_co2", "library", 0, tiny=True)
    assert again["checksum"] == first["checksum"]


def test_claims_skip_and_nothing_left(
    fl: tuple[ModuleType, ModuleType], out: Path, tmp_path: Path
) -> None:
    sweep, _ = fl
    path = out / "runs" / "pf_deepar_ar__library__s0.json"
    stamp = path.stat().st_mtime_ns
    args = ["--out", str(out), "--tiny", "--only", "pf_deepar_ar", "library", "0"]
    assert sweep.main(args) == 3 and path.stat().st_mtime_ns == stamp  # done: nothing left
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "pf_deepar_ar__flax__s0.claim").write_text("other")
    args = ["--out", str(tmp_path), "--tiny", "--only", "pf_deepar_ar", "flax", "0"]
    assert sweep.main(args) == 3  # claimed by another worker
    assert not (tmp_path / "runs" / "pf_deepar_ar__flax__s0.json").exists()
    jobs = sweep.jobs()
    assert len(jobs) == 3 * 6 * 5 and jobs[0] == ("pf_deepar_ar", "library", 0)
    assert {seed for _, _, seed in jobs[:18]} == {0}


def test_the_report_reads_the_records(fl: tuple[ModuleType, ModuleType], out: Path) -> None:
    _, report = fl
    text = report.report(out, min_seeds=1, tiny=True).read_text()
    for task in ("pf_deepar_ar", "pf_deepar_co2", "nf_lstm_airpassengers"):
        assert f"## {task}" in text
        assert (out / "plots" / f"curves_{task}.png").stat().st_size > 0
    assert text.index("## pf_deepar_ar") < text.index("## nf_lstm_airpassengers")
    assert "| library | 1 |" in text and "| auto_every_step | 1 |" in text
    assert "## Across tasks" in text and "| auto_every_step | " in text
    assert report.report(out, min_seeds=1).read_text().count("## pf_") == 0  # tiny left out


def test_the_cd_diagram_is_drawn_from_three_starts(tmp_path: Path) -> None:
    pytest.importorskip("aeon")
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(BENCHMARKS))
    try:
        common = importlib.import_module("_report_common")
    finally:
        mp.undo()
    from rnninit_bench.crossdata import Problem

    probs = [
        Problem(f"fc-{t}", "lstm", 0, "mase", {"a": (1.0,), "b": (2.0 + i,), "c": (3.0 + i,)})
        for i, t in enumerate(("x", "y", "z"))
    ]
    assert common.cd_section(probs, ["a", "b"], tmp_path / "two.png") == []  # aeon needs 3
    assert not (tmp_path / "two.png").exists()
    lines = common.cd_section(probs, ["a", "b", "c"], tmp_path / "cd.png", " (a note)")
    assert lines[0] == "![critical-difference diagram](plots/cd.png)" and "(a note)." in lines[2]
    assert (tmp_path / "cd.png").stat().st_size > 0
    assert common.mean_ranks(probs, ["a", "b", "c"]) == {"a": 1.0, "b": 2.0, "c": 3.0}
    assert common.mad([1.0, 2.0, 4.0]) == 1.0
