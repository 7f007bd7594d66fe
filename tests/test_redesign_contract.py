"""Contracts of code the package redesign (issue 30) added or moved, written against the
survivors of its first mutation run: where a warning points, ``lengths`` on the ``auto``-with-
overrides path, declarations read back from plain data, and the weight a declared cell keeps in
a submodule."""

from __future__ import annotations

import json
import os
import warnings

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import LayoutError, SchemeWarning
from rnninit.layouts import Declaration, effective_weight, register_layout, unregister_layout

IN, H, B = 3, 5, 7


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.skipif(
    "MUTANT_UNDER_TEST" in os.environ,
    reason="under mutmut a trampoline frame outside rnninit sits between each function and its "
    "caller, so the stack walk stops there (docs/mutation.md)",
)
def test_a_warning_from_deep_inside_rnninit_points_at_the_users_line() -> None:
    """``init_`` -> plan -> validation -> ``warn_caller``: several frames inside the package,
    yet the warning is attributed to this file, at the line of the call."""
    lstm = nn.LSTM(IN, H)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = _line_of_next_call()
        rnninit.init_(lstm, "irnn")  # designed for plain RNNs: a SchemeWarning
    hits = [w for w in caught if issubclass(w.category, SchemeWarning)]
    assert hits, [str(w.message) for w in caught]
    assert hits[0].filename == __file__
    assert hits[0].lineno == line


def _line_of_next_call() -> int:
    import inspect

    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


def test_lengths_reach_the_calibration_when_auto_is_given_overrides() -> None:
    """``init_(m, "auto", data=x, lengths=L, forget_bias=...)``: padding beyond ``lengths`` is
    left out of the statistics, so calibrating on the padded batch with its lengths writes the
    same input weights as calibrating on the batch cut to those lengths; a padded batch without
    lengths writes other weights."""
    valid = 12
    x = torch.randn(B, valid, IN, generator=_gen(0))
    padded = torch.cat([x, 50.0 * torch.ones(B, 8, IN)], dim=1)  # loud padding

    def start(data: torch.Tensor, **kw: object) -> torch.Tensor:
        lstm = nn.LSTM(IN, H, batch_first=True)
        rnninit.init_(lstm, "auto", data=data, forget_bias=0.5, generator=_gen(1), **kw)
        assert torch.all((lstm.bias_ih_l0 + lstm.bias_hh_l0)[H : 2 * H] == 0.5)
        return lstm.weight_ih_l0.detach().clone()

    with_lengths = start(padded, lengths=torch.full((B,), valid))
    assert torch.allclose(with_lengths, start(x), atol=1e-6)
    assert not torch.allclose(with_lengths, start(padded), atol=1e-3)


def test_a_declaration_reads_back_from_json_lists_as_tuples() -> None:
    decl = Declaration(family="LSTM", gates="ifgo", input="ih.weight", recurrent="hh.weight")
    data = json.loads(json.dumps(decl.to_dict()))  # JSON has lists, no tuples
    assert isinstance(data["gates"], list) and isinstance(data["directions"], list)
    back = Declaration.from_dict(data)
    assert back == decl
    assert back.gates == ("i", "f", "g", "o") and isinstance(back.directions, tuple)


@pytest.mark.parametrize("given", [["family", "LSTM"], "LSTM", 3])
def test_a_declaration_dict_that_is_not_a_mapping_is_named(given: object) -> None:
    with pytest.raises(LayoutError) as err:
        Declaration.from_dict(given)  # type: ignore[arg-type]
    assert str(err.value) == f"a declaration dict is a mapping, got {type(given).__name__}"


class _TwoLinears(nn.Module):
    """An LSTM cell whose weights live in two submodules (``ih.weight``, ``hh.weight``)."""

    def __init__(self) -> None:
        super().__init__()
        self.ih = nn.Linear(IN, 4 * H)
        self.hh = nn.Linear(H, 4 * H)


def test_the_effective_weight_of_a_declared_cell_is_read_from_its_submodule() -> None:
    decl = Declaration(
        family="LSTM",
        gates="ifgo",
        input="ih.weight",
        recurrent="hh.weight",
        bias_ih="ih.bias",
        bias_hh="hh.bias",
    )
    register_layout(_TwoLinears, decl)
    try:
        cell = _TwoLinears()
        assert effective_weight(cell, "ih.weight").data_ptr() == cell.ih.weight.data_ptr()
        assert effective_weight(cell, "hh.weight").data_ptr() == cell.hh.weight.data_ptr()
        assert effective_weight(cell, "hh.bias").shape == (4 * H,)
    finally:
        unregister_layout(_TwoLinears)


def test_every_entry_point_raises_the_one_not_a_module_error_naming_its_argument() -> None:
    from rnninit.errors import ArgumentTypeError, NotAModuleError, UnsupportedModuleError

    expected = "{}='lstm' (str) is not valid; expected a torch.nn.Module"
    calls = [
        ("module", lambda: rnninit.init_("lstm", "orthogonal")),  # type: ignore[arg-type]
        ("module", lambda: rnninit.auto.auto_init_("lstm", torch.zeros(2, 3, IN))),  # type: ignore[arg-type]
        ("module", lambda: rnninit.gates("lstm")),  # type: ignore[arg-type]
        ("module", lambda: rnninit.diagnose.timescales("lstm")),  # type: ignore[arg-type]
        ("model", lambda: rnninit.check("lstm")),  # type: ignore[arg-type]
    ]
    for argument, call in calls:
        with pytest.raises(NotAModuleError) as err:
            call()
        assert str(err.value) == expected.format(argument)
        assert isinstance(err.value, ArgumentTypeError)
        assert isinstance(err.value, UnsupportedModuleError)
