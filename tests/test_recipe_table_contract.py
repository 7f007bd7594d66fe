"""The per-gate table of a recipe (``print(recipe)``, issue 30) says exactly what the recipe
sets, cell by cell: the source line, per-gate and per-layer-0 overrides, ``(whole)``, ties with
their sign, GRU's ``b_hn``, the projection, the later layers and the families it was designed
for. Each expectation below is read off the recipe's own fields as written in the test (never
off the table), and the GRU ``b_hn`` rule is checked against what ``init_`` writes."""

from __future__ import annotations

import re

import torch
from torch import nn

import rnninit
from rnninit.initializers import Init
from rnninit.schemes import Recipe

LSTM_ONLY = {"families": ("LSTM",), "designed_for": ("LSTM",)}
GRU_ONLY = {"families": ("GRU",), "designed_for": ("GRU",)}


def _rows(r: Recipe, family: str) -> dict[str, list[str]]:
    """gate -> [W_x, W_h, b] of ``family``'s block of the table (columns 2+ spaces apart)."""
    lines = r.table().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(family + " "))
    out: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        gate, *cells = re.split(r"\s{2,}", line.strip())
        out[gate] = cells
    return out


def test_the_first_line_is_the_name_and_the_source_when_there_is_one() -> None:
    assert Recipe("bare", **LSTM_ONLY).table().splitlines()[0] == "bare"
    sourced = Recipe("cited", source="Some et al. 2001", **LSTM_ONLY)
    assert sourced.table().splitlines()[0] == "cited: Some et al. 2001"


def test_a_recipe_that_sets_nothing_keeps_every_cell() -> None:
    rows = _rows(Recipe("nothing", **LSTM_ONLY), "LSTM")
    assert set(rows) == {"i", "f", "g", "o"}
    for gate, (w_x, w_h, b) in rows.items():
        assert (w_x, w_h) == ("kept", "kept"), gate
        assert b == "b_ih kept, b_hh kept", gate  # no effective bias: the raw ones, kept


def test_a_gate_override_shows_in_its_own_row_only() -> None:
    r = Recipe(
        "per-gate",
        input=Init("lecun_normal"),
        recurrent=Init("orthogonal"),
        gates={"f": {"input": Init("zeros"), "recurrent": Init("identity")}},
        **LSTM_ONLY,
    )
    rows = _rows(r, "LSTM")
    assert rows["f"][:2] == ["zeros", "identity"]
    for gate in "igo":
        assert rows[gate][:2] == ["lecun_normal", "orthogonal"], gate


def test_layer_zero_overrides_are_the_table_and_later_layers_are_listed() -> None:
    r = Recipe(
        "layered",
        input=Init("lecun_normal"),
        bias=Init("zeros"),
        projection=Init("orthogonal"),
        whole=("input",),
        layers={
            0: {"input": Init("xavier_uniform"), "bias": Init("ones"), "projection": Init("zeros")},
            1: {"recurrent": Init("identity"), "input": Init("zeros")},
        },
        **LSTM_ONLY,
    )
    rows = _rows(r, "LSTM")
    # layer 0's own input: per gate, so not "(whole)"; its bias, not the recipe's
    assert {tuple(cells) for cells in rows.values()} == {("xavier_uniform", "kept", "ones")}
    lines = r.table().splitlines()
    assert "W_hr (projection): zeros" in lines
    assert "layer 1: recurrent=identity, input=zeros" in lines
    assert "layer 0: input=xavier_uniform, bias=ones, projection=zeros" in lines


def test_whole_is_marked_unless_layer_zero_sets_its_own() -> None:
    whole = Recipe("w", input=Init("orthogonal"), whole=("input",), **LSTM_ONLY)
    assert _rows(whole, "LSTM")["i"][0] == "orthogonal (whole)"
    later = Recipe(
        "w1",
        input=Init("orthogonal"),
        whole=("input",),
        layers={1: {"input": Init("zeros")}},
        **LSTM_ONLY,
    )
    assert _rows(later, "LSTM")["i"][0] == "orthogonal (whole)"  # layer 1 does not change it


def test_the_projection_line_is_the_recipe_level_one_without_a_layer_zero_override() -> None:
    r = Recipe("p", projection=Init("orthogonal"), layers={1: {"projection": Init("zeros")}})
    assert "W_hr (projection): orthogonal" in r.table().splitlines()
    assert "W_hr (projection): kept" in Recipe("none").table().splitlines()


def test_ties_show_their_source_and_sign() -> None:
    r = Recipe(
        "tied",
        bias=Init("zeros"),
        gates={"f": {"bias": Init("ones")}},
        tied={"i": {"bias": "-f"}, "o": {"bias": "f"}},
        **LSTM_ONLY,
    )
    rows = _rows(r, "LSTM")
    assert (rows["i"][2], rows["o"][2], rows["f"][2], rows["g"][2]) == (
        "-b_f",
        "b_f",
        "ones",
        "zeros",
    )


def test_raw_biases_show_their_per_gate_overrides() -> None:
    r = Recipe(
        "raw",
        bias_ih=Init("zeros"),
        bias_hh=Init("ones"),
        gates={"g": {"bias_ih": Init("normal", {"std": 0.5})}},
        **LSTM_ONLY,
    )
    rows = _rows(r, "LSTM")
    assert rows["g"][2] == "b_ih normal(std=0.5), b_hh ones"
    assert rows["i"][2] == "b_ih zeros, b_hh ones"


def test_initializer_arguments_and_callables_are_shown_whole() -> None:
    def mine_(tensor: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return tensor

    spec = Init("uniform", {"a": -0.1, "b": 0.1})
    call = Init("mine_", fn=mine_)
    rows = _rows(Recipe("args", input=spec, recurrent=call, **LSTM_ONLY), "LSTM")
    assert rows["i"][0] == "uniform(a=-0.1, b=0.1)"
    assert rows["i"][1] == repr(call)


def test_columns_are_left_aligned_and_no_line_has_trailing_space() -> None:
    r = Recipe(
        "aligned",
        input=Init("lecun_normal"),
        gates={"f": {"input": Init("zeros")}},
        **LSTM_ONLY,
    )
    lines = r.table().splitlines()
    header = next(line for line in lines if line.startswith("LSTM "))
    block = [line for line in lines if line.startswith("  ")]
    assert len(block) == 4 and all(line == line.rstrip() for line in lines)
    w_h = header.index("W_h")
    for line in block:
        assert line[w_h - 2 : w_h] == "  " and line[w_h] != " "  # W_h starts at the header's
        assert line[2] in "ifgo" and line[3] == " "  # rows indented two spaces, gate first


def test_designed_for_is_listed_only_when_it_differs_from_the_families() -> None:
    same = Recipe("same", families=("LSTM", "GRU"), designed_for=("LSTM", "GRU"))
    assert not any(line.startswith("designed for") for line in same.table().splitlines())
    narrower = Recipe("narrow", families=("LSTM", "GRU", "RNN"), designed_for=("LSTM", "GRU"))
    assert narrower.table().splitlines()[-1] == "designed for: LSTM, GRU"


def _gru_n_row(r: Recipe) -> str:
    return _rows(r, "GRU")["n"][2]


def test_gru_b_hn_is_shown_exactly_when_n_has_an_effective_bias() -> None:
    raw = Recipe("raw", bias_ih=Init("zeros"), bias_hh=Init("ones"), **GRU_ONLY)
    assert "b_hn" not in _gru_n_row(raw)  # b_hn is then part of the raw b_hh
    assert _gru_n_row(Recipe("eff", bias=Init("ones"), **GRU_ONLY)) == "ones; b_hn zeros"
    per_gate = Recipe("gate", gates={"n": {"bias": Init("ones")}}, **GRU_ONLY)
    assert _gru_n_row(per_gate) == "ones; b_hn zeros"
    layer0 = Recipe("l0", layers={0: {"bias": Init("ones")}}, **GRU_ONLY)
    assert _gru_n_row(layer0) == "ones; b_hn zeros"
    tied = Recipe("tied", bias=Init("ones"), tied={"n": {"bias": "-z"}}, **GRU_ONLY)
    assert _gru_n_row(tied) == "-b_z"


def test_gru_b_hn_shows_its_own_initializer() -> None:
    at_gate = Recipe("hn", bias=Init("zeros"), gates={"n": {"bias_hn": Init("ones")}}, **GRU_ONLY)
    assert _gru_n_row(at_gate) == "zeros; b_hn ones"
    recipe_level = Recipe("hn2", bias=Init("zeros"), bias_hn=Init("ones"), **GRU_ONLY)
    assert _gru_n_row(recipe_level) == "zeros; b_hn ones"
    at_layer0 = Recipe("hn3", bias=Init("zeros"), layers={0: {"bias_hn": Init("ones")}}, **GRU_ONLY)
    assert _gru_n_row(at_layer0) == "zeros; b_hn ones"


def test_gru_b_hn_zeros_in_the_table_is_what_init_writes() -> None:
    """The table's ``b_hn zeros`` (no ``bias_hn`` given) against the raw rows: ``b_hh``'s ``n``
    block is zero, every other bias entry is what the effective bias puts there."""
    r = Recipe("hn", bias=Init("ones"), **GRU_ONLY)
    assert _gru_n_row(r) == "ones; b_hn zeros"
    gru = rnninit.init_(nn.GRU(3, 5), r, generator=torch.Generator().manual_seed(0))
    assert gru.bias_hh_l0[10:15].abs().max() == 0  # b_hn: rows 2H..3H of bias_hh
    assert torch.equal(gru.bias_ih_l0.detach(), torch.ones(15))
