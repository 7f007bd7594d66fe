"""Smoke runs of the benchmark pipeline: results file, resume, purity, report and plots, CLI."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from rnninit_bench.config import RunConfig
from rnninit_bench.report import write_report
from rnninit_bench.results import ResultsStore, load_results
from rnninit_bench.runner import run_config, run_sweep

from rnninit.cli import main

TINY = {"hidden": 6, "batch": 8, "steps": 6, "log_every": 2, "eval_every": 3, "test_size": 16}


def tiny_configs() -> list[RunConfig]:
    return [
        RunConfig("adding", 6, "lstm", "pytorch", **TINY),
        RunConfig("adding", 6, "lstm", "chrono", **TINY),
        RunConfig("adding", 6, "rnn_relu", "irnn", lr=1e-4, **TINY),
        RunConfig("copy", 3, "gru", "uniform_gate", **TINY),
        RunConfig("digits", 64, "lstm", "keras", **{**TINY, "steps": 3}),
        RunConfig("echo", 5, "lstm", "pytorch", state="learned_noisy", **TINY),
        RunConfig("echo", 5, "gru", "pytorch", state="folk_xavier", **TINY),
        RunConfig("echo", 5, "lstm", "pytorch", state="folk_randn", **TINY),
    ]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    ran, skipped = run_sweep(tiny_configs(), out, show_progress=False)
    assert (ran, skipped) == (len(tiny_configs()), 0)
    return out


def test_sweep_writes_one_json_line_per_run_with_the_documented_fields(swept: Path) -> None:
    lines = (swept / "results.jsonl").read_text().splitlines()
    assert len(lines) == len(tiny_configs())
    recs = [json.loads(line) for line in lines]
    assert {r["id"] for r in recs} == {c.id for c in tiny_configs()}
    for r in recs:
        cfg = RunConfig.from_dict(r["config"])
        assert cfg.id == r["id"]
        logged = [*range(2, cfg.steps + 1, 2), *([cfg.steps] if cfg.steps % 2 else [])]
        assert r["curve"]["step"] == logged[: len(r["curve"]["step"])]
        assert len(r["curve"]["train_loss"]) == len(r["curve"]["step"])
        assert r["steps_run"] <= cfg.steps
        assert r["seconds_per_step"] > 0 and r["versions"]["torch"] == torch.__version__
        assert "test_loss" in r["final"]
        assert r["evals"]["step"][-1] == r["steps_run"]
        assert (r["steps_to_solve"] is None) == (not r["solved"])
    echo = [r for r in recs if r["config"]["task"] == "echo"]
    assert all({"start_loss", "rest_loss", "test_accuracy"} <= set(r["final"]) for r in echo)


def test_resume_skips_finished_runs_and_runs_only_new_ones(swept: Path, tmp_path: Path) -> None:
    out = tmp_path / "resume"
    out.mkdir()
    shutil.copy(swept / "results.jsonl", out / "results.jsonl")
    configs = tiny_configs()
    assert run_sweep(configs, out, show_progress=False) == (0, len(configs))
    extra = replace(configs[0], seed=7)
    assert run_sweep([*configs, extra], out, show_progress=False) == (1, len(configs))
    assert len(ResultsStore(out / "results.jsonl").records()) == len(configs) + 1


def test_a_torn_last_line_loses_nothing_finished(swept: Path, tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    text = (swept / "results.jsonl").read_text()
    path.write_text(text + text.splitlines()[0][:40])  # killed while writing
    store = ResultsStore(path)
    assert len(store.records()) == len(tiny_configs())
    store.append({"id": "new", "x": 1})
    assert [r["id"] for r in store.records()][-1] == "new"
    assert len(store.records()) == len(tiny_configs()) + 1


def test_a_run_is_a_pure_function_of_its_config() -> None:
    cfg = RunConfig("echo", 5, "lstm", "pytorch", state="learned_noisy", **TINY)
    torch.manual_seed(123)  # global state must not matter
    a = run_config(cfg)
    torch.manual_seed(456)
    b = run_config(cfg)
    assert a["curve"] == b["curve"] and a["final"] == b["final"]
    c = run_config(replace(cfg, seed=1))
    assert c["curve"]["train_loss"] != a["curve"]["train_loss"]


def test_a_solved_run_stops_at_the_first_window_under_the_threshold() -> None:
    cfg = RunConfig(
        "adding",
        4,
        "lstm",
        "pytorch",
        hidden=16,
        lr=1e-2,
        steps=600,
        log_every=10,
        eval_every=100,
        test_size=100,
    )
    rec = run_config(cfg)
    assert rec["solved"], rec["final"]
    losses = rec["curve"]["train_loss"]
    first = next(i for i, v in enumerate(losses) if v < 0.01)
    assert rec["steps_to_solve"] == rec["curve"]["step"][first] == rec["steps_run"]
    assert first == len(losses) - 1


def test_report_is_written_from_the_results_file_alone(swept: Path, tmp_path: Path) -> None:
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(swept / "results.jsonl", only / "results.jsonl")
    assert main(["report", str(only)]) == 0
    report = (only / "REPORT.md").read_text()
    for heading in (
        "## Verdict per task",
        "## Summary",
        "## Longest T solved",
        "## Initial-state task (echo)",
        "## Plots",
    ):
        assert heading in report
    pngs = sorted((only / "plots").glob("*.png"))
    assert pngs
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"plots/{png.name}" in report
    assert "curves_adding_T6_lstm.png" in {p.name for p in pngs}
    # no start solves anything in 6 steps: bars that all read "not solved" carry no information
    assert not any(r["solved"] for r in load_results(only))
    assert not [p.name for p in pngs if p.name.startswith("solve_")]
    assert "folk_xavier" in report and "learned_noisy" in report


def test_report_reads_several_shard_files_and_keeps_one_record_per_id(
    swept: Path, tmp_path: Path
) -> None:
    lines = (swept / "results.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "results-0.jsonl").write_text("".join(lines[:5]))
    (tmp_path / "results-1.jsonl").write_text("".join(lines[3:]))  # overlap of two
    assert len(load_results(tmp_path)) == len(lines)
    path = write_report(tmp_path)
    assert f"{len(lines)} runs" in path.read_text()


def test_report_without_results_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "results" in capsys.readouterr().err


def test_workers_run_in_spawned_processes_with_the_same_results(tmp_path: Path) -> None:
    configs = [
        RunConfig("echo", 5, "gru", "pytorch", **TINY),
        RunConfig("adding", 6, "lstm", "keras", **TINY),
    ]
    assert run_sweep(configs, tmp_path, workers=2, show_progress=False) == (2, 0)
    recs = {r["id"]: r for r in ResultsStore(tmp_path / "results.jsonl").records()}
    for c in configs:
        serial = run_config(c)
        assert recs[c.id]["curve"] == serial["curve"]


def test_cli_bench_runs_writes_report_and_resumes(tmp_path: Path) -> None:
    argv = [
        "bench",
        "--task",
        "adding",
        "--length",
        "5",
        "--cell",
        "lstm",
        "--scheme",
        "pytorch,chrono",
        "--seeds",
        "1",
        "--steps",
        "4",
        "--hidden",
        "4",
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    assert main(argv) == 0
    recs = ResultsStore(tmp_path / "results.jsonl").records()
    assert sorted(r["config"]["scheme"] for r in recs) == ["chrono", "pytorch"]
    assert all(r["config"]["hidden"] == 4 and r["config"]["steps"] == 4 for r in recs)
    chrono = next(r for r in recs if r["config"]["scheme"] == "chrono")
    assert chrono["task"]["chrono_tmax"] == 5
    assert (tmp_path / "REPORT.md").exists()
    assert main(argv) == 0
    assert len(ResultsStore(tmp_path / "results.jsonl").records()) == 2


def test_cli_rejects_unknown_names_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--scheme", "chrno", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "chrno" in err and "chrono" in err
    assert not (tmp_path / "results.jsonl").exists()


def test_cli_list_and_shard_partition_the_configs(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["bench", "--task", "adding,copy", "--cell", "lstm", "--seeds", "2", "--list"]
    assert main(base) == 0
    everything = capsys.readouterr().out.splitlines()
    parts = []
    for i in range(3):
        assert main([*base, "--shard", f"{i}/3"]) == 0
        parts.append(capsys.readouterr().out.splitlines())
    assert sorted(line for part in parts for line in part) == sorted(everything)
    assert len(everything) == 2 * 3 * 2 * 10  # 2 tasks x 3 lengths x 2 seeds x 10 LSTM schemes


def test_cli_list_marks_the_runs_already_in_out_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "bench",
        "--task",
        "adding",
        "--length",
        "10",
        "--cell",
        "lstm",
        "--scheme",
        "pytorch,flax",
    ]
    base += ["--seeds", "2", "--out", str(tmp_path), "--list"]
    assert main(base) == 0
    printed = capsys.readouterr()
    ids = [line.split()[0] for line in printed.out.splitlines()]
    assert [line.split()[1] for line in printed.out.splitlines()] == ["todo"] * 4
    assert printed.err == f"4 to do, 0 done in {tmp_path}\n"
    ResultsStore(tmp_path / "results.jsonl").append({"id": ids[2]})
    assert main(base) == 0
    printed = capsys.readouterr()
    status = [line.split()[1] for line in printed.out.splitlines()]
    assert status == ["todo", "todo", "done", "todo"]
    assert printed.err == f"3 to do, 1 done in {tmp_path}\n"
    assert len(ResultsStore(tmp_path / "results.jsonl").records()) == 1  # nothing ran


def test_quick_preset_covers_every_task_and_state_kind_and_is_small() -> None:
    from rnninit_bench.sweep import quick_sweep

    configs = quick_sweep()
    assert {c.task for c in configs} == {"adding", "adding_x100", "copy", "digits", "echo"}
    assert "auto" in {c.scheme for c in configs}
    assert {"pytorch", "chrono", "flax", "keras"} <= {c.scheme for c in configs}
    assert {"zeros", "folk_randn", "folk_xavier", "learned", "learned_noisy"} <= {
        c.state for c in configs
    }
    # the budget in LSTM-64 step equivalents stays small (under 2 minutes on 2 idle cores:
    # 1.37e6 ran in 1 min 43 s on 2026-11-26; the preset of 3.4e6 took 2 min 44 s that day)
    work = sum(c.steps * c.length * c.hidden / 64 for c in configs)
    assert work < 1.5e6
    assert not math.isnan(work)


def test_pool_progress_bar_counts_every_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configs = [
        RunConfig("echo", 5, "lstm", "pytorch", **TINY),
        RunConfig(
            "adding",
            4,
            "lstm",
            "pytorch",
            hidden=16,
            lr=1e-2,
            steps=400,
            log_every=10,
            eval_every=100,
            test_size=100,
        ),  # solves early: the bar still reaches 406
    ]
    assert run_sweep(configs, tmp_path, workers=2, show_progress=True) == (2, 0)
    err = capsys.readouterr().err
    assert "406/406" in err
    assert len(ResultsStore(tmp_path / "results.jsonl").records()) == 2
