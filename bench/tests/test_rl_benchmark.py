"""The recurrent-RL sweep (benchmarks/rl.py) and its report, as a tiny smoke run: every start
of the sweep runs through RecurrentPPO on a POPGym task, and the report reads the records."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest.importorskip("sb3_contrib")
pytest.importorskip("popgym")

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def rl() -> tuple[ModuleType, ModuleType]:
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(BENCHMARKS))
    try:
        return importlib.import_module("rl"), importlib.import_module("rl_report")
    finally:
        mp.undo()


def test_every_start_runs_and_the_report_reads_it(
    rl: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    sweep, report = rl
    starts = [*sweep.STARTS, *sweep.ABLATION]
    for start in starts:
        assert (
            sweep.main(
                ["--out", str(tmp_path), "--steps", "64", "--only", "RepeatFirstEasy", start, "0"]
            )
            == 0
        )
    runs = sorted((tmp_path / "runs").glob("*.json"))
    assert len(runs) == len(starts) and not list((tmp_path / "runs").glob("*.claim"))
    rec = json.loads(runs[0].read_text())
    assert rec["steps"] == 64 and rec["episodes"] and rec["versions"]["sb3_contrib"]
    text = report.report(tmp_path, min_seeds=1).read_text()
    for start in starts:
        assert f"| {start} | 1 |" in text
    assert (tmp_path / "plots" / "curves_RepeatFirstEasy.png").stat().st_size > 0


def test_a_finished_run_is_skipped(rl: tuple[ModuleType, ModuleType], tmp_path: Path) -> None:
    sweep, _ = rl
    args = ["--out", str(tmp_path), "--steps", "64", "--only", "RepeatFirstEasy", "library", "1"]
    sweep.main(args)
    path = tmp_path / "runs" / "RepeatFirstEasy__library__s1.json"
    stamp = path.stat().st_mtime_ns
    sweep.main(args)
    assert path.stat().st_mtime_ns == stamp


def test_tuple_observations_become_the_one_hot_sb3_would_make(
    rl: tuple[ModuleType, ModuleType],
) -> None:
    import gymnasium as gym

    sweep, _ = rl
    env = sweep._wrap(gym.make("popgym-AutoencodeEasy-v0"))  # Tuple(Discrete(2), Discrete(4))
    assert env.observation_space.shape == (6,)
    assert env.observation(np.array([1, 2])).tolist() == [0, 1, 0, 0, 1, 0]
    assert env.observation(np.array([0, 3])).tolist() == [1, 0, 0, 0, 0, 1]
