"""No silent skip (issue 29): ``init_`` on a model that holds a module which looks recurrent but
has no declaration warns once, naming its path, its class and how to declare it; the declared
layers are still started, the undeclared module is left bit-identical; alone it is a typed error.

The rule (rnninit.layouts.undeclared_recurrent) is checked on real undeclared torchrecurrent
cells (every one that rnninit.contrib.torchrecurrent does not declare) and on modules written
here.
"""

from __future__ import annotations

import os
import warnings

import pytest
import torch
import torchrecurrent as tr
from torch import nn

import rnninit
import rnninit.contrib.torchrecurrent as contrib
from rnninit.errors import NoRecurrentModuleError
from rnninit.layouts import UndeclaredModuleWarning, undeclared_recurrent

IN, H = 3, 4


def _caught(fn: object, *args: object, **kwargs: object) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)  # type: ignore[operator]
    return [w for w in caught if issubclass(w.category, UndeclaredModuleWarning)]


def _model() -> nn.ModuleDict:
    torch.manual_seed(0)
    return nn.ModuleDict({"lstm": nn.LSTM(IN, H), "mgu": tr.MGUCell(IN, H)})


@pytest.mark.parametrize(
    ("scheme", "kwargs"),
    [("chrono", {"max_timescale": 50}), ("orthogonal", {}), ("auto", {"horizon": 20})],
)
def test_a_real_undeclared_cell_beside_an_lstm_warns_once_and_is_left_as_it_is(
    scheme: str, kwargs: dict[str, object]
) -> None:
    model = _model()
    before = {k: v.clone() for k, v in model["mgu"].state_dict().items()}
    caught = _caught(rnninit.init_, model, scheme, **kwargs)
    assert len(caught) == 1
    message = str(caught[0].message)
    for part in ("'mgu'", "torchrecurrent MGUCell", "register_layout(MGUCell", "Declaration"):
        assert part in message, part
    assert "custom_cells" in message and "exclude=" in message
    if "MUTANT_UNDER_TEST" not in os.environ:  # under mutmut a trampoline frame is the caller
        assert caught[0].filename == __file__  # attributed to the caller's line
    for k, v in model["mgu"].state_dict().items():
        assert torch.equal(v, before[k]), k
    lstm = model["lstm"]
    b_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[H : 2 * H]  # rows H:2H, forget gate
    if scheme == "orthogonal":
        assert torch.equal(b_f, torch.ones(H))
    else:
        assert bool((b_f > 0).all())


def test_every_cell_in_a_multi_layer_wrapper_is_named_by_its_path() -> None:
    model = nn.ModuleDict({"lstm": nn.LSTM(IN, H), "mgu": tr.MGU(IN, H, num_layers=2)})
    (w,) = _caught(rnninit.init_, model, "orthogonal")
    assert "'mgu.cells.0' (torchrecurrent MGUCell), 'mgu.cells.1'" in str(w.message)
    assert "2 modules" in str(w.message)


@pytest.mark.parametrize(
    "selection", [{"exclude": "mgu"}, {"include": "lstm"}, {"exclude": ["m*"]}]
)
def test_a_module_the_selection_leaves_out_is_not_named(selection: dict[str, object]) -> None:
    assert _caught(rnninit.init_, _model(), "orthogonal", **selection) == []


def test_alone_an_undeclared_cell_is_a_typed_error_and_is_unchanged() -> None:
    cell = tr.MGUCell(IN, H)
    before = {k: v.clone() for k, v in cell.state_dict().items()}
    with pytest.raises(NoRecurrentModuleError, match="register_layout"):
        rnninit.init_(cell, "orthogonal")
    for k, v in cell.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_declared_cells_and_their_wrappers_are_not_named() -> None:
    model = nn.ModuleDict(
        {"lstm": nn.LSTM(IN, H), "janet": tr.JANET(IN, H, num_layers=2), "cell": nn.GRUCell(H, H)}
    )
    assert _caught(rnninit.init_, model, "orthogonal") == []
    assert undeclared_recurrent(model) == []


def test_the_same_cell_once_declared_is_started_and_not_named() -> None:
    model = _model()
    rnninit.register_layout(model["mgu"], contrib._cell("GRU", "zn"))  # this instance only
    assert _caught(rnninit.init_, model, "orthogonal") == []


@pytest.mark.parametrize("name", sorted(contrib.NOT_DECLARED))
def test_every_undeclared_torchrecurrent_cell_looks_recurrent(name: str) -> None:
    size = H if name == "IntersectionRNNCell" else IN  # its output mixes x in: in == hidden
    cell = getattr(tr, name)(size, H)
    model = nn.ModuleDict({"lstm": nn.LSTM(IN, H), "x": cell})
    assert [(p, type(m).__name__) for p, m in undeclared_recurrent(model)] == [("x", name)]


class _Recurrence(nn.Module):
    """A cell written with nn.Linear, its class name saying nothing: named by ``hh``."""

    def __init__(self) -> None:
        super().__init__()
        self.ih = nn.Linear(IN, 4 * H)
        self.hh = nn.Linear(H, 4 * H)


class _Kernel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.kernel = nn.Parameter(torch.zeros(IN, 4 * H))
        self.recurrent_kernel = nn.Parameter(torch.zeros(H, 4 * H))


class MyGRUThing(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3 * H, H))


class Encoder(nn.Module):  # holds an undeclared cell: the cell, the innermost, is named
    def __init__(self) -> None:
        super().__init__()
        self.cell = _Recurrence()
        self.proj = nn.Linear(H, H)


@pytest.mark.parametrize(
    ("module", "path", "cls"),
    [
        (_Recurrence(), "m", "_Recurrence"),
        (_Kernel(), "m", "_Kernel"),
        (MyGRUThing(), "m", "MyGRUThing"),
        (Encoder(), "m.cell", "_Recurrence"),
    ],
)
def test_the_rule_names_the_innermost_module_by_class_name_or_parameter_name(
    module: nn.Module, path: str, cls: str
) -> None:
    model = nn.ModuleDict({"lstm": nn.LSTM(IN, H), "m": module})
    assert [(p, type(m).__name__) for p, m in undeclared_recurrent(model)] == [(path, cls)]
    (w,) = _caught(rnninit.init_, model, "orthogonal")
    assert f"{path!r}" in str(w.message)


class RNNModel(nn.Module):  # a wrapper named like a recurrent module, holding a declared one
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(IN, H)
        self.head = nn.Linear(H, 1)


class EmptyCell(nn.Module):  # no parameter: nothing to start
    pass


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight_out = nn.Parameter(torch.zeros(1, H))


@pytest.mark.parametrize(
    "model",
    [
        nn.Sequential(nn.LSTM(IN, H), nn.Linear(H, 1)),
        RNNModel(),
        nn.ModuleDict({"lstm": nn.LSTM(IN, H), "empty": EmptyCell(), "head": Head()}),
    ],
)
def test_modules_that_do_not_look_recurrent_are_not_named(model: nn.Module) -> None:
    assert undeclared_recurrent(model) == []
    assert _caught(rnninit.init_, model, "orthogonal") == []
