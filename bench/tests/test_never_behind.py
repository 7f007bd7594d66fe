"""benchmarks/never_behind.py (issue 29, point 5) on records written here: the recommended
start per kind of task, "first or tied" and "behind the default" by the real-data page's tie
rule, and a task with too few seeds left out."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("scipy")

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def nb() -> ModuleType:
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(BENCHMARKS))
    try:
        return importlib.import_module("never_behind")
    finally:
        mp.undo()


def _realdata(folder: Path, task: str, values: dict[str, list[float]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    metric = "accuracy" if task.startswith("cls") else "mase"
    key = {"accuracy": "test_accuracy", "mase": "test_mase"}[metric]
    with (folder / "results.jsonl").open("a") as f:
        for scheme, vals in values.items():
            for seed, v in enumerate(vals):
                config = {
                    "task": task,
                    "cell": "lstm",
                    "hidden": 64,
                    "scheme": scheme,
                    "seed": seed,
                }
                rec = {
                    "id": f"{task}-{scheme}-{seed}",
                    "config": config,
                    "task": {"metric": metric},
                    "final": {key: v},
                }
                f.write(json.dumps(rec) + "\n")


def _library(folder: Path, task: str, values: dict[str, list[float]]) -> None:
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    for start, vals in values.items():
        for seed, v in enumerate(vals):
            rec = {"task": task, "start": start, "seed": seed, "test_mase": v}
            (folder / "runs" / f"{task}__{start}__s{seed}.json").write_text(json.dumps(rec))


def test_rows_follow_the_tie_rule(nb: ModuleType, tmp_path: Path) -> None:
    real, libs = tmp_path / "realdata", tmp_path / "libs"
    # classification: auto clearly behind pytorch (accuracy, higher is better)
    _realdata(real, "cls-GunPoint", {
        "pytorch": [0.90, 0.91, 0.92, 0.90, 0.91], "auto": [0.70, 0.71, 0.72, 0.70, 0.71],
        "auto+targets=every_step": [0.95, 0.96, 0.95, 0.94, 0.95],
    })  # fmt: skip
    # forecasting: every_step within the spread of the first, and ahead of pytorch
    _realdata(real, "fc-Lynx", {
        "pytorch": [1.0, 1.1, 1.2, 1.0, 1.1], "auto": [0.50, 0.60, 0.70, 0.50, 0.60],
        "auto+targets=every_step": [0.55, 0.65, 0.75, 0.55, 0.65],
    })  # fmt: skip
    _library(libs, "pf_deepar_ar", {
        "library": [2.0, 2.1, 2.2, 2.0, 2.1], "auto_every_step": [3.0, 3.1, 3.2, 3.0, 3.1],
    })  # fmt: skip
    _library(libs, "short", {"library": [1.0] * 4, "auto_every_step": [1.0] * 4})
    rows = nb.realdata_rows(real) + nb.library_rows(libs, min_seeds=5)
    by = {r["problem"]: r for r in rows}
    assert set(by) == {"GunPoint", "Lynx", "pf_deepar_ar"}  # "short" has 4 seeds
    assert by["GunPoint"]["recommended"] == "auto"
    assert (by["GunPoint"]["first_or_tied"], by["GunPoint"]["vs_default"]) == (False, "loss")
    assert by["Lynx"]["recommended"] == "auto+targets=every_step"
    assert (by["Lynx"]["first_or_tied"], by["Lynx"]["vs_default"]) == (True, "win")
    assert by["Lynx"]["first"] == "auto" and by["Lynx"]["median"] == pytest.approx(0.65)
    lib = by["pf_deepar_ar"]
    assert (lib["first_or_tied"], lib["vs_default"], lib["first"]) == (False, "loss", "library")
    page = nb.write(rows, tmp_path / "out").read_text()
    assert "| forecasting libraries | `auto_every_step` | 0/1 | 1/1: pf_deepar_ar |" in page
