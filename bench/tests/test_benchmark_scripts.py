"""The benchmark scripts of issue 9 (benchmarks/ablation.py, evidence.py): every cell they name
is a scheme spec the harness runs, their selections, and the factor table built from records."""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
from pathlib import Path
from types import ModuleType

import pytest
from rnninit_bench.config import RunConfig
from rnninit_bench.realdata_sweep import realdata_sweep
from rnninit_bench.runner import run_config

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
TINY = {"hidden": 6, "batch": 8, "steps": 4, "log_every": 2, "eval_every": 2, "test_size": 16}


@pytest.fixture(scope="module")
def scripts() -> dict[str, ModuleType]:
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(BENCHMARKS))
    try:
        names = ("ablation", "evidence", "_sweep_cli", "forecast_null")
        return {n: importlib.import_module(n) for n in names}
    finally:
        mp.undo()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_ablation_cell_is_a_spec_the_harness_runs(
    scripts: dict[str, ModuleType], cell: str
) -> None:
    for label, spec in scripts["ablation"].CELLS.items():
        record = run_config(RunConfig("adding", 7, cell, spec, **TINY))
        assert record["config"]["scheme"] == spec, label
        assert record["steps_run"] == TINY["steps"] and not record["diverged"], label


def test_ablation_order_is_seed_major_and_skips_the_screens(
    scripts: dict[str, ModuleType],
) -> None:
    ablation = scripts["ablation"]
    todo = ablation.configs(3, None)
    seeds = [c.seed for c in todo]
    assert seeds == sorted(seeds) and set(seeds) == {0, 1, 2}
    assert not {c.scheme for c in todo} & ablation.PARTIAL
    full = {spec for spec in ablation.CELLS.values() if spec not in ablation.PARTIAL}
    assert {c.scheme for c in todo} == full
    keys = {(c.task, c.length, c.cell) for c in todo}
    assert keys == set(ablation.TASKS)
    assert len(todo) == 3 * len(full) * len(ablation.TASKS)
    assert len({c.id for c in todo}) == len(todo)


def test_ablation_only_selects_a_task_or_one_task_length_cell(
    scripts: dict[str, ModuleType],
) -> None:
    ablation = scripts["ablation"]
    by_name = {(c.task, c.length, c.cell) for c in ablation.configs(1, ["adding"])}
    assert by_name == {
        ("adding", 200, "lstm"),
        ("adding", 200, "gru"),
        ("adding", 750, "lstm"),
        ("adding", 750, "gru"),
    }
    one = ablation.configs(2, ["adding:200:gru", "copy"])
    assert {(c.task, c.length, c.cell) for c in one} == {
        ("adding", 200, "gru"),
        ("copy", 100, "lstm"),
    }
    with pytest.raises(
        ValueError, match=r"\['adding:201:gru'\] \(did you mean adding:200:gru\?\); valid: adding, "
    ):
        ablation.configs(1, ["adding:201:gru", "copy"])  # a typo is an error, not zero runs
    with pytest.raises(ValueError, match=r"\['addng'\] \(did you mean adding\?\)"):
        ablation.configs(1, ["addng"])


def test_factor_table_counts_seeds_and_takes_medians_from_the_records(
    scripts: dict[str, ModuleType], tmp_path: Path
) -> None:
    ablation = scripts["ablation"]
    task, length, cell = ablation.TASKS[0]
    spec = ablation.CELLS["pytorch default"]
    lines = [run_config(RunConfig(task, length, cell, spec, seed=s, **TINY)) for s in range(3)]
    unsolved_median = statistics.median(r["final"]["test_loss"] for r in lines)
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    text = ablation.table(str(tmp_path))
    title, _, header, _, *rest = text.splitlines()
    rows = rest[: rest.index("")]  # the LSTM table's rows
    assert title == "**LSTM**" and "**GRU**" not in text  # a table per cell that ran
    assert header == f"| start | adding T={length} |"  # only tasks with records are shown
    (row,) = [r for r in rows if r.startswith("| pytorch default |")]  # one row per cell
    assert row.endswith(f"| 0/3, mse {unsolved_median:.3g} |")  # no seed solved: the median
    assert len(rows) == 1  # the cells that never ran have no row
    assert f"| pytorch default | `{spec}` |" in text  # the spec of each row, in its own table
    # two of three seeds solved at 100 and 300 steps: "2/3 @200"
    for r, at in zip(lines, (100, None, 300), strict=True):
        r["solved"], r["steps_to_solve"] = at is not None, at
    assert ablation._cell_text(lines) == "2/3 @200"


def test_evidence_plan_runs_every_target_once(scripts: dict[str, ModuleType]) -> None:
    evidence = scripts["evidence"]
    todo = evidence.configs()
    assert len({c.id for c in todo}) == len(todo)
    for task, length, seeds, steps in evidence.PLAN:
        ours = [c for c in todo if (c.task, c.length, c.scheme) == (task, length, "auto")]
        assert sorted(c.seed for c in ours) == list(range(seeds))
        assert {c.steps for c in ours} == {steps}
    fixed = [c for c in todo if c.scheme != "auto"]
    assert {c.scheme for c in fixed} == set(evidence.FIXED_SCALE)
    assert len(fixed) == sum(evidence.FIXED_SCALE.values())


def test_list_marks_each_run_done_or_todo_and_runs_nothing(
    scripts: dict[str, ModuleType], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    todo = scripts["evidence"].configs()
    out = tmp_path / "out"
    args = argparse.Namespace(list=True, out=str(out), workers=1)
    assert scripts["_sweep_cli"].run(todo, args) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert [line.split()[:2] for line in lines] == [[c.id, "todo"] for c in todo]
    assert printed.err == f"{len(todo)} to do, 0 done in {out}\n"
    assert not out.exists()
    # two runs already recorded: those two, and only those, are "done"
    out.mkdir()
    recorded = {todo[1].id, todo[-1].id}
    (out / "results.jsonl").write_text("".join(json.dumps({"id": i}) + "\n" for i in recorded))
    assert scripts["_sweep_cli"].run(todo, args) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert len(lines) == len(todo)
    assert {line.split()[0] for line in lines if line.split()[1] == "done"} == recorded
    assert printed.err == f"{len(todo) - 2} to do, 2 done in {out}\n"
    assert (out / "results.jsonl").read_text().count("\n") == 2  # nothing ran


def test_the_table_in_ablation_md_is_the_one_the_recorded_results_give(
    scripts: dict[str, ModuleType], tmp_path: Path
) -> None:
    ablation = scripts["ablation"]
    doc = BENCHMARKS.parent / "docs" / "ablation.md"
    copy = tmp_path / "ablation.md"
    copy.write_text(doc.read_text())
    text = ablation.table(str(BENCHMARKS / "results" / "ablation"))
    assert text.count("\n") > len(ablation.CELLS)  # a header, a rule and a row per cell
    assert not ablation.update_doc(str(copy), text), (
        "docs/ablation.md's ablation table is stale: run "
        "python benchmarks/ablation.py --table --update docs/ablation.md"
    )


def test_update_doc_rewrites_only_between_the_markers(
    scripts: dict[str, ModuleType], tmp_path: Path
) -> None:
    ablation = scripts["ablation"]
    doc = tmp_path / "doc.md"
    before = f"# Title\n\nintro\n{ablation.START}\n\n| old |\n\n{ablation.END} (cmd) -->\n\nafter\n"
    doc.write_text(before)
    assert ablation.update_doc(str(doc), "| a |\n|---|\n| 1 |")
    assert doc.read_text() == before.replace("| old |", "| a |\n|---|\n| 1 |")
    assert not ablation.update_doc(str(doc), "| a |\n|---|\n| 1 |")  # same table: no write
    for broken in ("no markers\n", f"{ablation.END} -->\n{ablation.START}\n"):
        doc.write_text(broken)
        with pytest.raises(ValueError, match="has no ablation-table block"):
            ablation.update_doc(str(doc), "| a |")
        assert doc.read_text() == broken  # left as it was


def test_forecast_null_runs_auto_on_every_series_with_seven_groups_of_five_seeds(
    scripts: dict[str, ModuleType],
) -> None:
    null = scripts["forecast_null"]
    for cell in ("lstm", "gru"):
        todo = null._configs(cell)
        assert {c.scheme for c in todo} == {"auto"} and {c.cell for c in todo} == {cell}
        assert len({c.task for c in todo}) == 5 and len({c.id for c in todo}) == len(todo)
        assert sorted({c.seed for c in todo}) == list(range(35))
        # seeds 0-4 are the sweep's own runs of auto: the same ids
        sweep = {c.id for c in realdata_sweep("c" if cell == "lstm" else "d") if c.scheme == "auto"}
        assert {c.id for c in todo if c.seed < 5} <= sweep


def test_forecast_null_analysis_counts_each_seed_group_as_a_start(
    scripts: dict[str, ModuleType], tmp_path: Path
) -> None:
    null = scripts["forecast_null"]
    lines = []
    for task in ("fc-Lynx", "fc-PBS"):
        for seed in range(35):
            # group 2 (seeds 10-14) far ahead on Lynx, every group equal on PBS
            value = 0.5 if task == "fc-PBS" else (0.2 if seed // 5 == 2 else 0.9 + seed / 1000)
            config = {"task": task, "cell": "lstm", "seed": seed, "scheme": "auto"}
            lines.append(json.dumps({"id": f"{task}{seed}", "config": config,
                                     "final": {"test_mase": value}}))  # fmt: skip
    (tmp_path / "results.jsonl").write_text("\n".join(lines) + "\n")
    text = null.analyse(tmp_path)
    assert "| auto#2 | 2/2 |" in text
    assert "| auto#0 | 1/2 |" in text and "| auto#6 | 1/2 |" in text
    assert "Groups first or tied on every problem: 1 of 7." in text
    (tmp_path / "results.jsonl").write_text("\n".join(lines[:-1]) + "\n")  # PBS incomplete
    assert "Problems: 1 (Lynx lstm)" in null.analyse(tmp_path)
