"""Run configurations, sweeps, shards, state kinds, and the report's verdict logic."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import replace
from typing import Any

import pytest
import torch
from rnninit_bench.config import BENCH_SCHEMES, RunConfig, scheme_fits
from rnninit_bench.models import BENCH_STATES, SeqModel
from rnninit_bench.report import verdict
from rnninit_bench.summary import group_entries
from rnninit_bench.sweep import build_sweep, parse_shard, shard
from torch import nn

from rnninit.errors import UnknownNameError


def test_id_is_stable_canonical_and_sensitive_to_every_field() -> None:
    a = RunConfig("adding", 200, "lstm", "chrono")
    assert a.id == RunConfig("adding", 200, "lstm", "chrono").id
    assert len(a.id) == 16 and int(a.id, 16) >= 0
    assert RunConfig.from_dict(a.to_dict()) == a
    assert RunConfig.from_dict({**a.to_dict(), "future_field": 1}) == a
    ids = {a.id}
    for change in (
        {"seed": 1},
        {"lr": 2e-3},
        {"hidden": 64},
        {"state": "learned"},
        {"steps": 10},
        {"stop_on_solve": False},
        {"data_seed": 3},
    ):
        ids.add(replace(a, **change).id)
    assert len(ids) == 8


def _plain_id(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_id_carries_the_task_protocol_version_past_the_first() -> None:
    # a task whose protocol never changed keeps the id it always had: the plain hash
    for config in (
        RunConfig("adding", 200, "lstm", "chrono"),
        RunConfig("cls-GunPoint", 150, "gru", "auto", hidden=64),
    ):
        assert config.id == _plain_id(dataclasses.asdict(config))
    # forecasting is in its fourth protocol: records of the first three cannot pass for it
    fc = RunConfig("fc-Lynx", 22, "lstm", "auto", hidden=32)
    plain = dataclasses.asdict(fc)
    assert fc.id != _plain_id(plain)
    assert fc.id == _plain_id({**plain, "task_version": 4})
    assert fc.id not in {_plain_id({**plain, "task_version": v}) for v in (1, 2, 3, 5)}


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("task", "adding_", "adding"),
        ("cell", "lstn", "lstm"),
        ("scheme", "chrno", "chrono"),
        ("state", "learnd", "learned"),
    ],
)
def test_bad_names_raise_with_the_nearest_valid_name(field: str, value: str, hint: str) -> None:
    kwargs: dict[str, Any] = {"task": "adding", "length": 10, "cell": "lstm", "scheme": "pytorch"}
    kwargs[field] = value
    with pytest.raises(UnknownNameError) as info:
        RunConfig(**kwargs)
    assert info.value.suggestion == hint and field in str(info.value)


def test_bad_numbers_raise() -> None:
    with pytest.raises(ValueError, match="steps"):
        RunConfig("adding", 10, "lstm", "pytorch", steps=0)
    with pytest.raises(ValueError, match="lr"):
        RunConfig("adding", 10, "lstm", "pytorch", lr=-1.0)


def test_schemes_fit_their_cells() -> None:
    assert scheme_fits("irnn", "rnn_relu") and not scheme_fits("irnn", "lstm")
    assert scheme_fits("chrono", "gru") and not scheme_fits("chrono", "rnn_relu")
    assert scheme_fits("pytorch", "rnn_relu") and scheme_fits("folk_normal", "rnn_relu")


def test_full_sweep_shape_and_defaults() -> None:
    configs = build_sweep(seeds=3)
    assert len(set(configs)) == len(configs)
    assert all(scheme_fits(c.scheme, c.cell) for c in configs)
    assert {c.seed for c in configs} == {0, 1, 2}
    adding = [c for c in configs if c.task == "adding"]
    assert {c.length for c in adding} == {200, 400, 750}
    assert set(BENCH_SCHEMES) == {c.scheme for c in adding}
    assert all(c.state == "zeros" for c in adding)
    assert all(c.lr == 1e-4 for c in adding if c.cell == "rnn_relu")
    ref = next(c for c in adding if c.cell == "lstm" and c.length == 200)
    assert (ref.hidden, ref.batch, ref.lr, ref.clip, ref.steps) == (128, 50, 1e-3, 1.0, 3000)
    echo = [c for c in configs if c.task == "echo"]
    assert {c.state for c in echo} == set(BENCH_STATES) and {c.scheme for c in echo} == {"pytorch"}
    assert {c.length for c in configs if c.task.startswith("digits")} == {64}


def test_shards_partition_any_config_list() -> None:
    configs = build_sweep(["adding", "copy"], seeds=2)
    parts = [shard(configs, i, 4) for i in range(4)]
    assert sorted(c.id for p in parts for c in p) == sorted(c.id for c in configs)
    assert all(p for p in parts)
    assert parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "a/b", "3"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


# ---------------------------------------------------------------- initial states of the model


def test_folk_xavier_state_scale_depends_on_the_batch_but_rnninit_xavier_does_not() -> None:
    g = torch.Generator().manual_seed(0)
    folk = SeqModel("gru", 3, 32, 2, state="folk_xavier")
    ours = SeqModel("gru", 3, 32, 2, state="xavier_uniform")
    stds = {}
    for n in (1, 32, 512):
        h_folk = folk.initial(n, g)
        h_ours = ours.initial(n, g)
        assert isinstance(h_folk, torch.Tensor) and isinstance(h_ours, torch.Tensor)
        assert h_folk.shape == h_ours.shape == (1, n, 32)
        # xavier_uniform_ on (1, N, H): fan_in = N*H, fan_out = H -> std sqrt(2 / ((N+1) H))
        assert float(h_folk.std()) == pytest.approx(math.sqrt(2 / ((n + 1) * 32)), rel=0.25)
        stds[n] = float(h_ours.std())
    assert stds[1] == pytest.approx(stds[512], rel=0.35)


def test_state_kinds_shapes_and_learned_parameters() -> None:
    g = torch.Generator().manual_seed(1)
    for kind in BENCH_STATES:
        m = SeqModel("lstm", 2, 8, 3, head="every", state=kind)
        out = m(torch.randn(4, 5, 2), generator=g)
        assert out.shape == (4, 5, 3)
        h = m.initial(4, g)
        if kind == "zeros":
            assert h is None
        else:
            assert isinstance(h, tuple) and h[0].shape == (1, 4, 8) == h[1].shape
        learned = any(n.startswith("state.") for n, _ in m.named_parameters())
        assert learned == kind.startswith("learned")
    folk = SeqModel("lstm", 2, 8, 3, state="folk_randn")
    h, _c = folk.initial(1000, g)  # type: ignore[misc]
    assert float(h.std()) == pytest.approx(1.0, rel=0.05)
    assert isinstance(folk.rnn, nn.LSTM)


# ---------------------------------------------------------------- verdict honesty


def _rec(
    scheme: str, seed: int, steps: int | None, loss: float, state: str = "zeros"
) -> dict[str, Any]:
    cfg = RunConfig("adding", 200, "lstm", scheme, state=state, seed=seed, steps=3000)
    return {
        "id": cfg.id,
        "config": cfg.to_dict(),
        "task": {"baseline": 1 / 6, "solve_loss": 0.01, "solve_accuracy": None, "metric": "mse"},
        "curve": {"step": [25], "train_loss": [loss]},
        "evals": {"step": [25], "test_loss": [loss]},
        "solved": steps is not None,
        "steps_to_solve": steps,
        "final": {"test_loss": loss},
        "steps_run": steps or 3000,
        "diverged": False,
        "seconds_per_step": 0.04,
        "wall_seconds": 1.0,
        "versions": {},
    }


def test_verdict_says_so_when_the_default_wins() -> None:
    recs = [_rec("pytorch", s, 1000 + s, 0.005) for s in range(3)]
    recs += [_rec("chrono", s, None, 0.16) for s in range(3)]
    ((group, entries),) = group_entries(recs).items()
    assert entries[0].scheme == "pytorch"
    text = verdict(group, entries)
    assert "PyTorch's default wins" in text and "no rnninit scheme beats it" in text


def test_verdict_for_a_folk_winner_and_for_a_clear_rnninit_win() -> None:
    recs = [_rec("folk_normal", s, 900, 0.005) for s in range(3)]
    recs += [_rec("pytorch", s, None, 0.166) for s in range(3)]
    recs += [_rec("chrono", s, 1500, 0.008) for s in range(3)]
    ((group, entries),) = group_entries(recs).items()
    assert "rnninit's schemes do not beat `folk_normal`" in verdict(group, entries)
    recs = [r for r in recs if r["config"]["scheme"] != "folk_normal"]
    ((group, entries),) = group_entries(recs).items()
    text = verdict(group, entries)
    assert text.startswith("winner `chrono`") and "beyond the seed spread" in text
    assert "0/3 seeds solved" in text and "3/3 seeds solved" in text


def test_verdict_flags_a_lead_within_the_seed_spread() -> None:
    recs = [_rec("pytorch", s, n, 0.008) for s, n in enumerate((1000, 1200, 1600))]
    recs += [_rec("keras", s, n, 0.008) for s, n in enumerate((900, 1100, 1500))]
    ((group, entries),) = group_entries(recs).items()
    text = verdict(group, entries)
    assert text.startswith("winner `keras`") and "within the seed spread" in text


def test_verdict_names_no_winner_and_judges_no_gap_where_nothing_solved() -> None:
    recs = [_rec("pytorch", s, None, v) for s, v in enumerate((0.10, 0.12, 0.16))]
    recs += [_rec("keras", s, None, v) for s, v in enumerate((0.09, 0.11, 0.15))]
    ((group, entries),) = group_entries(recs).items()
    text = verdict(group, entries)
    assert text.startswith("no start solved it within the budget of 3000 steps")
    assert "`keras`" in text and "spread" not in text and "winner" not in text


def test_runs_differing_beyond_the_seed_are_separate_entries_labelled_by_the_difference() -> None:
    recs = [_rec("chrono", s, 1500, 0.008) for s in range(2)]
    other = _rec("chrono", 0, None, 0.1)
    other["config"]["hidden"] = 64
    ((_, entries),) = group_entries([*recs, other]).items()
    assert sorted(e.n for e in entries) == [1, 2]
    assert {e.label for e in entries} == {"chrono [hidden=128]", "chrono [hidden=64]"}
