"""Scheme specs of the benchmark (``name+key=value``) and the unnormalized-input tasks."""

from __future__ import annotations

import pytest
import torch
from rnninit_bench.config import BENCH_SCHEMES, RunConfig, scheme_fits
from rnninit_bench.models import SeqModel
from rnninit_bench.runner import _init_model
from rnninit_bench.spec import parse_scheme
from rnninit_bench.tasks import AddingTask, make_task

from rnninit.errors import SchemeError, UnknownNameError


def test_spec_parses_numbers_names_parameters_and_lists() -> None:
    spec = parse_scheme(
        "chrono+input=lecun_normal+recurrent=orthogonal:gain=0.5+whole=recurrent", BENCH_SCHEMES
    )
    assert spec.base == "chrono" and not spec.is_auto
    assert spec.kwargs(300.0) == {
        "input": "lecun_normal",
        "recurrent": ("orthogonal", {"gain": 0.5}),
        "whole": ("recurrent",),
        "max_timescale": 300.0,
    }
    keep = parse_scheme("flax+forget_bias=chrono", BENCH_SCHEMES).kwargs(90.0)
    assert keep == {"forget_bias": ("chrono", {"max_timescale": 90.0})}
    assert parse_scheme("auto+target=0.3+per_feature=0", BENCH_SCHEMES).kwargs(5.0) == {
        "target": 0.3,
        "per_feature": 0.0,
    }


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("chrno", UnknownNameError, "Did you mean 'chrono'"),
        ("chrono+inptu=zeros", UnknownNameError, "Did you mean 'input'"),
        ("chrono+input=lecun_nromal", SchemeError, "Did you mean 'lecun_normal'"),
        ("chrono+input", SchemeError, "key=value"),
        ("flax+bias=0+bias=1", SchemeError, "given twice"),
        ("auto+target=big", SchemeError, "takes a number"),
        ("auto+input=zeros", UnknownNameError, "target"),
        ("chrono+recurrent=orthogonal:gain", SchemeError, "name:key=value"),
        ("", SchemeError, "non-empty"),
    ],
)
def test_bad_specs_name_what_to_change(text: str, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        parse_scheme(text, BENCH_SCHEMES)
    with pytest.raises(error):
        RunConfig("adding", 20, "lstm", text or "", steps=5)


def test_specs_fit_cells_by_their_base_and_have_their_own_ids() -> None:
    assert scheme_fits("chrono+input=lecun_normal", "lstm")
    assert not scheme_fits("chrono+input=lecun_normal", "rnn_relu")
    assert scheme_fits("auto+target=0.3", "rnn_relu")
    ids = {RunConfig("adding", 20, "lstm", s).id for s in ("chrono", "chrono+input=zeros", "auto")}
    assert len(ids) == 3


def test_a_spec_reaches_the_raw_rows_of_the_benchmark_model() -> None:
    task = make_task("adding", 40, test_size=5)
    config = RunConfig("adding", 40, "lstm", "flax+forget_bias=3", hidden=8, steps=1)
    model = SeqModel("lstm", task.input_size, 8, task.output_size)
    _init_model(model, config, task)
    rnn = model.rnn
    eff = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach()
    assert torch.all(eff[8:16] == 3) and torch.all(eff[:8] == 0)  # LSTM rows i, f (H:2H)


def test_auto_in_the_benchmark_calibrates_on_training_batches() -> None:
    task = make_task("adding_x100", 40, test_size=5)
    config = RunConfig("adding_x100", 40, "lstm", "auto", hidden=8, batch=6, steps=1)
    model = SeqModel("lstm", task.input_size, 8, task.output_size)
    _init_model(model, config, task)
    x, _ = task.train_batch(50, torch.Generator().manual_seed(7))
    rows = x.reshape(-1, 2).double()
    w = model.rnn.weight_ih_l0.detach().double()
    ms = (rows @ w[8:16].T).pow(2).mean()  # forget block, on other training data
    assert 0.5 < float(ms) < 2.0  # mean square ~1 on the data, not ~2500 (lecun on raw values)


def test_adding_x100_scales_the_values_only_and_keeps_the_split() -> None:
    plain, scaled = (
        make_task("adding", 30, test_size=40),
        make_task("adding_x100", 30, test_size=40),
    )
    x, y = scaled.test_set()
    assert float(x[..., 0].max()) > 50 and float(x[..., 0].max()) <= 100
    assert set(x[..., 1].unique().tolist()) == {0.0, 1.0}  # markers unscaled
    marked = (x[..., 0] / 100 * x[..., 1]).sum(1, keepdim=True)
    assert torch.allclose(marked, y, atol=1e-5)  # target: the sum of the unscaled values
    assert torch.all(AddingTask.part_of(x, scale=100.0) == 0)
    xt, _ = scaled.train_batch(40, torch.Generator().manual_seed(1))
    assert torch.all(AddingTask.part_of(xt, scale=100.0) == 1)
    assert plain.baseline == scaled.baseline


def test_digits_raw_keeps_the_raw_pixel_values_and_the_split() -> None:
    raw, scaled = make_task("digits_raw"), make_task("digits")
    xr, yr = raw.test_set()
    xs, ys = scaled.test_set()
    assert float(xr.max()) == 16.0 and float(xs.max()) == 1.0
    assert torch.equal(xr / 16, xs) and torch.equal(yr, ys)


# moved from tests/test_timescales.py and tests/test_auto_targets.py (issue 30: the library's
# tests do not import the benchmark)
def test_bench_specs_take_timescales_by_name() -> None:
    spec = parse_scheme("auto+timescales=uniform+target=2", ("flax",))
    assert spec.kwargs(100.0) == {"timescales": "uniform", "target": 2.0}
    with pytest.raises(UnknownNameError) as err:
        parse_scheme("auto+timescales=logg", ("flax",))
    assert "Did you mean 'log'?" in str(err.value)


def test_the_bench_spec_takes_targets() -> None:
    spec = parse_scheme("auto+targets=every_step", ("flax",))
    assert spec.kwargs(t_max=10.0) == {"targets": "every_step"}
    with pytest.raises(UnknownNameError):
        parse_scheme("auto+targets=sometimes", ("flax",))
