"""``register``: the signature is checked at registration; random and deterministic entries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn

import rnninit
from rnninit.errors import InitializerError, UnknownNameError
from rnninit.initializers import INITIALIZERS, register, unregister
from rnninit.initializers._registry import _REGISTERED


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    before = dict(INITIALIZERS)
    yield
    _REGISTERED.clear()  # the registry behind the read-only INITIALIZERS
    _REGISTERED.update(before)


def test_a_random_fn_without_generator_is_refused_at_register_time() -> None:
    def noisy_(t: torch.Tensor, std: float = 0.1) -> torch.Tensor:
        return t.normal_(0.0, std)

    with pytest.raises(InitializerError, match="noisy_ takes no generator= keyword") as info:
        rnninit.initializers.register("noisy", noisy_, {"std": 0.1})
    assert "random=False" in str(info.value)
    assert "noisy" not in INITIALIZERS


def test_a_deterministic_fn_is_called_without_generator() -> None:
    calls: list[dict[str, object]] = []

    def shift_(t: torch.Tensor, by: float = 1.0) -> torch.Tensor:
        calls.append({"by": by, "meta": t.is_meta})
        return t.fill_(by)

    rnninit.initializers.register("shift", shift_, {"by": 1.0}, random=False)
    lstm = rnninit.init_(nn.LSTM(3, 4), None, bias=("shift", {"by": 0.25}))
    # once per gate block of b_ih (4 LSTM gates), after a dry run of each on the meta device;
    # no generator= was passed (shift_ would raise TypeError)
    assert calls == [{"by": 0.25, "meta": True}] * 4 + [{"by": 0.25, "meta": False}] * 4
    eff = lstm.bias_ih_l0.detach() + lstm.bias_hh_l0.detach()
    assert torch.all(eff == 0.25)


def test_a_random_fn_gets_the_generator() -> None:
    def draw_(t: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return t.uniform_(-1.0, 1.0, generator=generator)

    rnninit.initializers.register("draw", draw_)
    a = rnninit.init_(
        nn.GRU(3, 4), None, recurrent="draw", generator=torch.Generator().manual_seed(3)
    )
    b = rnninit.init_(
        nn.GRU(3, 4), None, recurrent="draw", generator=torch.Generator().manual_seed(3)
    )
    assert torch.equal(a.weight_hh_l0, b.weight_hh_l0)


def test_declared_params_must_be_accepted() -> None:
    def fill_(t: torch.Tensor) -> torch.Tensor:
        return t.fill_(0.0)

    with pytest.raises(InitializerError, match="takes no keyword 'value'"):
        rnninit.initializers.register("fill", fill_, {"value": 1.0}, random=False)


def test_kwargs_catch_all_is_accepted() -> None:
    def anything_(t: torch.Tensor, **kw: object) -> torch.Tensor:
        return t.zero_()

    rnninit.initializers.register(
        "anything", anything_, {"x": 1.0}
    )  # **kw accepts generator= and x=
    assert "anything" in INITIALIZERS


@pytest.mark.parametrize("bad", ["", 3])
def test_bad_names_and_fns(bad: object) -> None:
    with pytest.raises(InitializerError, match="name"):
        rnninit.initializers.register(bad, lambda t: t, random=False)  # type: ignore[arg-type]
    with pytest.raises(InitializerError, match="callable"):
        rnninit.initializers.register("x", 3, random=False)  # type: ignore[arg-type]


def test_the_registry_is_read_only_so_register_is_the_only_way_in() -> None:
    with pytest.raises(TypeError):
        INITIALIZERS["mine"] = INITIALIZERS["zeros"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        INITIALIZERS.clear()  # type: ignore[attr-defined]
    register("mine", lambda t, generator=None: t.zero_())
    assert INITIALIZERS["mine"].name == "mine"
    unregister("mine")
    assert "mine" not in INITIALIZERS
    with pytest.raises(UnknownNameError, match="'mine'"):
        unregister("mine")
