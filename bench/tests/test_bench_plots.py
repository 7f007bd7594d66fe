"""The benchmark plots: a fixed colour per start, distinct colours within a plot, every start of
a group drawn (up to the limit), and no steps-to-solve chart where no start solved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from rnninit_bench.plots import (
    COLOURS,
    MAX_SERIES,
    SPARE_COLOURS,
    colours,
    plot_curves,
    plot_selection,
    plot_solve_bars,
    plotted,
)
from rnninit_bench.report import write_report
from rnninit_bench.summary import Entry, group_entries

_TASK = {"metric": "mse", "baseline": 1 / 6, "solve_loss": 0.01}


def _record(scheme: str, seed: int, solved_at: int | None, *, length: int = 50) -> dict[str, Any]:
    """A results-file record of the adding task whose loss falls to 0.005 at ``solved_at``."""
    steps = list(range(25, 1001, 25))
    end = solved_at if solved_at is not None else 1000
    loss = [0.17 if s < end / 2 else max(0.005, 0.17 * (end / 2) / s * 0.1) for s in steps]
    steps, loss = zip(*[(s, v) for s, v in zip(steps, loss, strict=True) if s <= end], strict=True)
    config = {
        "task": "adding",
        "length": length,
        "cell": "lstm",
        "scheme": scheme,
        "state": "zeros",
        "seed": seed,
        "steps": 1000,
    }
    return {
        "id": f"{scheme}-{length}-{seed}",
        "config": config,
        "task": _TASK,
        "curve": {"step": list(steps), "train_loss": list(loss)},
        "evals": {"step": [end], "test_loss": [loss[-1]]},
        "solved": solved_at is not None,
        "steps_to_solve": solved_at,
        "steps_run": end,
        "final": {"test_loss": loss[-1]},
        "seconds_per_step": 0.01,
        "wall_seconds": 1.0,
        "versions": {"torch": "x", "rnninit": "x", "python": "x"},
    }


def _write(folder: Path, records: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def _pixels_of(path: Path, colour: str) -> int:
    """How many pixels of the PNG at ``path`` have ``colour`` (#rrggbb), within rounding."""
    image = matplotlib.image.imread(path)[..., :3]
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(image - rgb).max(axis=-1) < 1.5 / 255).sum())


def test_every_named_start_has_its_own_colour_in_every_plot() -> None:
    assert colours(["auto", "pytorch"]) == [COLOURS["auto"], COLOURS["pytorch"]]
    assert colours(["chrono", "flax", "auto"])[2] == COLOURS["auto"]  # same colour anywhere
    schemes = ["auto", "pytorch", "flax", "sonnet", "chrono", "keras", "orthogonal"]
    schemes += ["uniform_gate", "irnn", "folk_normal", "folk_xavier"]
    assert len({COLOURS[s] for s in schemes}) == len(schemes)  # no two schemes share one
    states = ["zeros", "normal", "xavier_uniform", "learned", "learned_noisy", "folk_randn"]
    assert len({COLOURS[s] for s in [*states, "folk_xavier"]}) == len(states) + 1
    assert not set(SPARE_COLOURS) & set(COLOURS.values())
    assert len(set(SPARE_COLOURS)) == len(SPARE_COLOURS) >= MAX_SERIES


@pytest.mark.parametrize(
    "labels",
    [
        ["flax", "normal"],  # two starts whose fixed colours coincide meet in one plot
        [f"chrono+gain={g}" for g in range(MAX_SERIES)],  # every one a spare
        ["auto", "auto+reach=1", "zeros", "pytorch", "learned", "folk_xavier", "chrono+x=1"],
    ],
)
def test_the_colours_of_one_plot_are_distinct(labels: list[str]) -> None:
    got = colours(labels)
    assert len(set(got)) == len(labels)
    assert got[0] == COLOURS.get(labels[0], SPARE_COLOURS[0])


def test_colours_rejects_more_series_than_it_can_tell_apart() -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_SERIES}"):
        colours([f"s{i}" for i in range(MAX_SERIES + 1)])
    with pytest.raises(ValueError, match="distinct"):
        colours(["auto", "auto"])


def test_a_crowded_group_plots_its_named_starts_and_a_small_one_plots_all() -> None:
    def entry(scheme: str) -> Entry:
        return Entry("adding", 200, "lstm", scheme, "zeros", (_record(scheme, 0, 100),))

    small = [entry(s) for s in ("auto", "auto+reach=1", "pytorch")]
    assert plotted(small) == small
    specs = [entry(f"chrono+gain={g}") for g in range(MAX_SERIES)]
    crowded = [entry("auto"), *specs, entry("pytorch")]
    assert [e.scheme for e in plotted(crowded)] == ["auto", "pytorch"]


def test_the_curve_plot_draws_each_start_in_its_colour(tmp_path: Path) -> None:
    records = [
        _record(s, seed, at) for s, at in (("auto", 150), ("chrono", None)) for seed in (0, 1)
    ]
    entries = next(iter(group_entries(records).values()))
    path = plot_curves(entries, "adding T=50, LSTM", tmp_path / "c.png")
    for label in ("auto", "chrono"):
        assert _pixels_of(path, COLOURS[label]) > 50, label
    assert _pixels_of(path, COLOURS["flax"]) == 0  # a start not in the group is not drawn


def test_the_bars_take_the_colour_of_their_start(tmp_path: Path) -> None:
    records = [_record("auto", 0, 150), _record("chrono", 0, 600)]
    entries = next(iter(group_entries(records).values()))
    path = plot_solve_bars(entries, "steps", tmp_path / "b.png")
    assert _pixels_of(path, COLOURS["auto"]) > 100 and _pixels_of(path, COLOURS["chrono"]) > 100


def test_the_report_draws_bars_only_where_a_start_solved(tmp_path: Path) -> None:
    solved = [_record(s, 0, 200 if s == "auto" else None, length=50) for s in ("auto", "pytorch")]
    unsolved = [_record(s, 0, None, length=80) for s in ("auto", "pytorch", "chrono")]
    folder = _write(tmp_path / "r", [*solved, *unsolved])
    stale = folder / "plots" / "solve_adding_T80_lstm.png"
    stale.parent.mkdir()
    stale.write_bytes(b"an earlier report's chart")
    report = write_report(folder).read_text()
    pngs = {p.name for p in (folder / "plots").glob("*.png")}
    assert {"curves_adding_T50_lstm.png", "curves_adding_T80_lstm.png"} <= pngs
    assert "solve_adding_T50_lstm.png" in pngs
    assert "solve_adding_T80_lstm.png" not in pngs  # three bars of "not solved": no chart
    assert "solve_adding_T80_lstm.png" not in report
    assert all(f"plots/{name}" in report for name in pngs)


def test_the_report_says_when_a_plot_leaves_starts_out(tmp_path: Path) -> None:
    schemes = ["auto", "pytorch", *[f"chrono+gain={g}" for g in range(MAX_SERIES)]]
    folder = _write(tmp_path / "r", [_record(s, 0, 100 + 10 * i) for i, s in enumerate(schemes)])
    report = write_report(folder).read_text()
    assert f"the plots show 2 of the {len(schemes)} starts" in report
    path = folder / "plots" / "curves_adding_T50_lstm.png"
    assert _pixels_of(path, COLOURS["auto"]) > 50 and _pixels_of(path, COLOURS["pytorch"]) > 50
    assert all(_pixels_of(path, c) == 0 for c in SPARE_COLOURS)  # no spec drawn


def _selected(scheme: str, seed: int, best: int, level: float) -> dict[str, Any]:
    """A forecasting record whose validation MASE is lowest (``level``) at step ``best``."""
    steps = list(range(10, 301, 10))
    valid = [level + abs(s - best) / 300 for s in steps]
    test = [v + 0.1 for v in valid]
    rec = _record(scheme, seed, None)
    rec["config"] = {**rec["config"], "task": "fc-Lynx", "length": 22, "hidden": 32}
    rec["task"] = {"metric": "mase", "baseline": 1.0, "solve_loss": None}
    rec["evals"] = {"step": steps, "valid_mase": valid, "test_mase": test, "test_loss": test}
    rec["selected_step"] = best
    rec["final"] = {"test_mase": test[steps.index(best)], "test_loss": test[steps.index(best)]}
    return rec


def test_the_selection_plot_draws_each_start_and_the_report_links_it(tmp_path: Path) -> None:
    records = [
        _selected(s, seed, 100 + 50 * seed, level)
        for s, level in (("auto", 0.3), ("keras", 0.6))
        for seed in (0, 1)
    ]
    entries = next(iter(group_entries(records).values()))
    path = plot_selection(entries, "Lynx, LSTM", tmp_path / "s.png")
    for label in ("auto", "keras"):
        assert _pixels_of(path, COLOURS[label]) > 50, label
    assert _pixels_of(path, COLOURS["chrono"]) == 0
    text = write_report(_write(tmp_path / "r", records)).read_text()
    assert "](plots/selection_fc-Lynx_T22_lstm.png)" in text
    assert (tmp_path / "r" / "plots" / "selection_fc-Lynx_T22_lstm.png").exists()
    other = _write(tmp_path / "o", [_record("auto", 0, 150)])  # no selection, no such plot
    assert "selection_" not in write_report(other).read_text()
