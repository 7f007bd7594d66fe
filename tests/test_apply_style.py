"""``model.apply(recipe)`` and ``torch.compile``'d models (names without ``_orig_mod``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import NoRecurrentModuleError


class _Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 3)
        self.encoder = nn.ModuleDict({"lstm": nn.LSTM(3, 5, num_layers=2)})
        self.decoder = nn.GRU(5, 6)
        self.head = nn.Linear(6, 2)


def test_model_apply_initializes_recurrent_layers_and_skips_the_rest() -> None:
    model = _Model()
    others = {n: p.detach().clone() for n, p in model.named_parameters() if "lstm" not in n}
    others = {n: t for n, t in others.items() if not n.startswith("decoder")}
    torch.manual_seed(3)
    out = model.apply(rnninit.recipe("chrono", max_timescale=40))
    assert out is model
    for n, t in others.items():  # Embedding and Linear untouched
        assert torch.equal(dict(model.named_parameters())[n], t), n
    lstm = model.encoder["lstm"]
    h = 5
    for layer in (0, 1):  # raw rows: LSTM i, f, g, o; chrono ties b_i = -b_f
        b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        assert torch.equal(b[0:h], -b[h : 2 * h]) and torch.all(b[h : 2 * h] > 0)
        w = getattr(lstm, f"weight_hh_l{layer}").detach()
        assert torch.allclose(w[h : 2 * h] @ w[h : 2 * h].T, torch.eye(h), atol=1e-5)
    gru_b = model.decoder.bias_ih_l0 + model.decoder.bias_hh_l0
    assert torch.all(gru_b[6:12] > 0)  # GRU z (rows H:2H) gets chrono
    assert getattr(lstm, rnninit.schemes._apply.SCHEME_ATTRIBUTE) == "chrono"


def test_model_apply_is_reproducible_with_the_global_seed() -> None:
    a, b = _Model(), _Model()
    torch.manual_seed(0)
    a.apply(rnninit.recipe("orthogonal"))
    torch.manual_seed(0)
    b.apply(rnninit.recipe("orthogonal"))
    for (n, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        if "lstm" in n or "decoder" in n:
            assert torch.equal(p, q), n


def test_compiled_model_matches_patterns_written_for_the_plain_model() -> None:
    model = _Model()
    compiled = torch.compile(model)  # not run: only its module names matter here
    assert any(n.startswith("_orig_mod.") for n, _ in compiled.named_modules())
    gru_before = model.decoder.weight_hh_l0.detach().clone()
    rnninit.init_(compiled, "orthogonal", include="encoder.*", generator=torch.Generator())
    assert torch.equal(model.decoder.weight_hh_l0, gru_before)  # excluded
    w = model.encoder["lstm"].weight_hh_l1.detach()
    assert torch.allclose(w[0:5] @ w[0:5].T, torch.eye(5), atol=1e-5)
    names = {b.param_name for b in rnninit.gates(compiled, exclude="decoder")}
    assert "encoder.lstm.weight_hh_l1" in names  # named as the user knows them
    assert not any("_orig_mod" in n for n in names)
    with pytest.raises(NoRecurrentModuleError) as info:
        rnninit.init_(compiled, "orthogonal", include="nothing")
    assert "'encoder.lstm'" in str(info.value) and "_orig_mod" not in str(info.value)
    # a pattern that spells the prefix still matches
    assert [
        n for n, _ in rnninit.layouts.find_recurrent(compiled, include="_orig_mod.decoder")
    ] == ["decoder"]


def test_compiled_single_rnn_is_the_root() -> None:
    compiled = torch.compile(nn.GRU(3, 4))
    assert [n for n, _ in rnninit.layouts.find_recurrent(compiled)] == [""]


def test_a_recipe_is_a_scheme_not_an_initializer() -> None:
    lstm = nn.LSTM(3, 4)
    before = [p.detach().clone() for p in lstm.parameters()]
    with pytest.raises(rnninit.errors.InitializerError, match="whole scheme"):
        rnninit.init_(lstm, "keep", recurrent=rnninit.recipe("orthogonal"))  # type: ignore[arg-type]
    assert all(torch.equal(p, q) for p, q in zip(lstm.parameters(), before, strict=True))
