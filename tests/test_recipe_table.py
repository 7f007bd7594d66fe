"""A newcomer finds what a scheme writes in one step (issue 30): ``print(rnninit.recipe(name))``
is the per-gate table of that scheme, and the table says what ``init_`` then writes."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import rnninit
from rnninit.schemes import SCHEMES, Recipe

PARAMS = {"chrono": {"max_timescale": 100}, "uniform_gate": {}}


@pytest.mark.parametrize("name", SCHEMES)
def test_every_builtin_scheme_prints_its_per_gate_table(name: str) -> None:
    r = rnninit.recipe(name, **PARAMS.get(name, {}))
    text = str(r)
    assert text == r.table() and text.splitlines()[0].startswith(name)
    for family in r.families:
        header = next(line for line in text.splitlines() if line.startswith(family + " "))
        assert header.split()[1:] == ["W_x", "W_h", "b", "=", "b_ih", "+", "b_hh"]
    assert repr(r).startswith("Recipe(name=")  # repr keeps the fields


def _row(r: Recipe, family: str, gate: str) -> list[str]:
    lines = r.table().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(family + " "))
    row = next(line for line in lines[start + 1 :] if line.split()[0] == gate)
    return re.split(r"\s{2,}", row.strip())[1:]  # columns are 2+ spaces apart


def test_the_chrono_table_is_what_init_writes() -> None:
    r = rnninit.recipe("chrono", max_timescale=100)
    assert _row(r, "LSTM", "f") == ["xavier_uniform", "orthogonal", "chrono(max_timescale=100)"]
    assert _row(r, "LSTM", "i")[2] == "-b_f"
    assert _row(r, "GRU", "n")[2] == "zeros; b_hn zeros"
    lstm = rnninit.init_(nn.LSTM(2, 4), r, generator=torch.Generator().manual_seed(0))
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    assert torch.allclose(b[0:4], -b[4:8])  # i = -b_f, as the table says
    assert b[8:16].abs().max() == 0  # g, o: zeros


def test_overrides_show_in_the_table() -> None:
    r = rnninit.recipe("orthogonal", forget_bias=1.0, layers={1: {"recurrent": "identity"}})
    assert _row(r, "LSTM", "f")[2] == "constant(value=1.0)"
    assert _row(r, "GRU", "z")[2] == "constant(value=1.0)"
    assert "layer 1: recurrent=identity" in r.table().splitlines()


def test_whole_matrix_and_raw_biases_are_marked() -> None:
    keras = rnninit.recipe("keras")
    assert _row(keras, "LSTM", "g")[:2] == ["xavier_uniform (whole)", "orthogonal (whole)"]
    pytorch = _row(rnninit.recipe("pytorch"), "GRU", "n")[2]
    assert pytorch == "b_ih pytorch_default (whole), b_hh pytorch_default (whole)"
