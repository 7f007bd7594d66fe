"""rnninit.integrations.lightning.RnnInit (issue 29) on a plain LightningModule: arguments checked
at construction, the start made once when training starts (raw gate rows read back at
``on_train_start``, after it), on the Parameters the optimizer holds, never again on resume,
and a bad override a typed error that leaves the model unchanged.

The forecasting libraries' own models (pytorch-forecasting, GluonTS, darts) are in
tests/test_lightning_libraries.py.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")

from rnninit.errors import (  # noqa: E402
    ArgumentTypeError,
    ArgumentValueError,
    SchemeError,
    UnknownNameError,
)
from rnninit.integrations.lightning import RnnInit, _callback_bases  # noqa: E402

IN, H, T = 3, 8, 25


class Probe(*_callback_bases()):  # type: ignore[misc]
    """Reads the LSTM's raw parameters and the optimizer's Parameters when training starts
    (after RnnInit, which comes first in the callbacks)."""

    def __init__(self, lstm_of: Any = lambda m: m.lstm) -> None:
        self.lstm_of = lstm_of
        self.state: dict[str, torch.Tensor] = {}
        self.optimizer_params: list[int] = []
        self.module_params: list[int] = []

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        lstm = self.lstm_of(pl_module)
        self.state = {k: v.detach().clone() for k, v in lstm.state_dict().items()}
        self.optimizer_params = sorted(
            id(p) for opt in trainer.optimizers for g in opt.param_groups for p in g["params"]
        )
        self.module_params = sorted(id(p) for p in pl_module.parameters())


class Model(pl.LightningModule):
    def __init__(self, lr: float = 0.0, cell: str = "LSTM") -> None:
        super().__init__()
        self.lstm = getattr(nn, cell)(IN, H, batch_first=True)
        self.head = nn.Linear(H, 1)
        self.lr = lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x)[0][:, -1])

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        self.log("loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def _data(scale: float = 1.0) -> torch.utils.data.DataLoader[Any]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, T, IN, generator=g) * torch.tensor([1.0, 10.0, 0.1]) * scale
    y = torch.randn(32, 1, generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)


def _trainer(tmp_path: Any, callbacks: list[Any], max_steps: int = 1) -> Any:
    return pl.Trainer(
        max_steps=max_steps,
        callbacks=callbacks,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        default_root_dir=tmp_path,
    )


def _forget(state: dict[str, torch.Tensor]) -> torch.Tensor:
    return (state["bias_ih_l0"] + state["bias_hh_l0"])[H : 2 * H]  # rows H:2H


# --- construction -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "names"),
    [
        (("orthogonl",), {}, UnknownNameError, ["scheme", "orthogonal"]),
        ((5,), {}, ArgumentTypeError, ["scheme"]),
        (("chrono",), {}, SchemeError, ["max_timescale"]),
        (("orthogonal",), {"forget_bias": "x"}, UnknownNameError, ["forget_bias"]),
        (("orthogonal",), {"targets": "end"}, UnknownNameError, ["targets"]),
        (("auto",), {"targets": "every"}, UnknownNameError, ["targets", "every_step"]),
        (("auto",), {"reach": -1.0}, Exception, ["reach"]),
        (("auto",), {"inputs": "forwrd"}, UnknownNameError, ["inputs", "forward"]),
        (("auto",), {"inputs": 3}, ArgumentTypeError, ["inputs"]),
        (("auto",), {"batches": 0}, ArgumentValueError, ["batches"]),
        (("auto",), {"batches": True}, ArgumentValueError, ["batches"]),
        (("auto",), {"data": [1]}, ArgumentValueError, ["data"]),
        (("auto",), {"max_batches": 2}, ArgumentValueError, ["max_batches"]),
        (("auto",), {"generator": "seed"}, ArgumentTypeError, ["generator"]),
        (("auto",), {"generator": -1}, ArgumentTypeError, ["generator"]),
        (("auto",), {"include": 5}, ArgumentTypeError, ["include"]),
        (("orthogonal",), {"batches": 2}, ArgumentValueError, ["batches", "auto"]),
        (("orthogonal",), {"inputs": "forward"}, ArgumentValueError, ["inputs", "auto"]),
    ],
)
def test_every_argument_is_checked_at_construction(
    args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], names: list[str]
) -> None:
    with pytest.raises(error) as info:
        RnnInit(*args, **kwargs)
    for name in names:
        assert name in str(info.value), name


def test_good_arguments_are_kept() -> None:
    cb = RnnInit("auto", targets="every_step", batches=2, generator=3, include="lstm*")
    assert (cb.scheme, cb.batches, cb.generator, cb.include, cb.applied) == (
        "auto",
        2,
        3,
        "lstm*",
        False,
    )
    assert cb.overrides == {"targets": "every_step"}


# --- a plain LightningModule --------------------------------------------------------------------


def test_a_named_scheme_is_applied_when_training_starts_on_the_optimizers_parameters(
    tmp_path: Any,
) -> None:
    model, probe = Model(), Probe()
    cb = RnnInit("orthogonal", forget_bias=1.0, generator=0)
    _trainer(tmp_path, [cb, probe]).fit(model, _data())
    assert torch.equal(_forget(probe.state), torch.ones(H))
    for j in range(4):  # i, f, g, o: each raw recurrent block orthogonal
        w = probe.state["weight_hh_l0"][j * H : (j + 1) * H].double()
        torch.testing.assert_close(w @ w.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0)
    assert probe.optimizer_params == probe.module_params  # the same Parameter objects
    assert cb.applied and cb.step == 0


def test_auto_calibrates_on_the_first_training_batches(tmp_path: Any) -> None:
    model, probe = Model(), Probe()
    cb = RnnInit("auto", batches=2, generator=0, per_feature=False)
    _trainer(tmp_path, [cb, probe]).fit(model, _data())
    x = torch.cat([b[0] for b, _ in zip(_data(), range(2), strict=False)]).reshape(-1, IN)
    w = probe.state["weight_ih_l0"]
    for j in range(4):  # each raw input block: mean square contribution 1 on these batches
        m = (x.double() @ w[j * H : (j + 1) * H].double().T).pow(2).mean()
        assert float(m) == pytest.approx(1.0, rel=1e-4)
    tau = 1.0 + _forget(probe.state).exp()  # log-uniform on [2, 3 T]
    assert float(tau.min()) >= 2.0 - 1e-5 and float(tau.max()) <= 3 * T + 1e-3
    assert probe.optimizer_params == probe.module_params


@pytest.mark.parametrize("inputs", ["training_step", "forward", lambda b: b[0]])
def test_every_inputs_mode_runs_the_calibration(tmp_path: Any, inputs: Any) -> None:
    model, probe = Model(), Probe()
    _trainer(tmp_path, [RnnInit("auto", inputs=inputs, generator=0), probe]).fit(model, _data())
    assert bool((_forget(probe.state) > 0).all())


def test_every_step_targets_pass_through(tmp_path: Any) -> None:
    model, probe = Model(), Probe()
    cb = RnnInit("auto", targets="every_step", generator=0)
    _trainer(tmp_path, [cb, probe]).fit(model, _data())
    assert float(_forget(probe.state).abs().max()) == 0.0  # every gate bias 0


def test_the_same_seed_gives_the_same_start(tmp_path: Any) -> None:
    starts = []
    for _ in range(2):
        model, probe = Model(), Probe()
        _trainer(tmp_path, [RnnInit("auto", generator=7), probe]).fit(model, _data())
        starts.append(probe.state["weight_hh_l0"])
    assert torch.equal(starts[0], starts[1])


def test_a_bad_override_for_this_model_is_a_typed_error_and_leaves_it_unchanged(
    tmp_path: Any,
) -> None:
    model = Model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cb = RnnInit("orthogonal", gates={"z": {"bias": 1.0}})  # z is a GRU gate, not an LSTM's
    with pytest.raises(SchemeError, match="gate .z. does not exist"):
        _trainer(tmp_path, [cb]).fit(model, _data())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert not cb.applied


def test_resume_from_a_checkpoint_does_not_start_again(tmp_path: Any) -> None:
    model = Model(lr=0.1)
    first = RnnInit("orthogonal", forget_bias=1.0)
    trainer = _trainer(tmp_path, [first], max_steps=3)
    trainer.fit(model, _data())
    path = tmp_path / "three.ckpt"
    trainer.save_checkpoint(path)
    ckpt = torch.load(path, weights_only=False)
    assert ckpt["callbacks"][first.state_key]["applied"] is True
    trained = {k[len("lstm.") :]: v for k, v in ckpt["state_dict"].items() if k.startswith("lstm.")}
    assert not torch.equal(_forget(trained), torch.ones(H))  # 3 steps moved the forget bias

    again, probe = RnnInit("orthogonal", forget_bias=1.0), Probe()
    resumed = Model(lr=0.1)
    _trainer(tmp_path, [again, probe], max_steps=5).fit(resumed, _data(), ckpt_path=path)
    for k, v in trained.items():  # the checkpoint's weights, not a new start
        assert torch.equal(probe.state[k], v), k
    assert again.applied and again.step == 0  # its state came from the checkpoint
    assert probe.optimizer_params == probe.module_params


def test_past_step_zero_without_its_state_it_does_not_start(tmp_path: Any) -> None:
    model = Model(lr=0.1)
    trainer = _trainer(tmp_path, [], max_steps=2)  # trained without RnnInit
    trainer.fit(model, _data())
    path = tmp_path / "plain.ckpt"
    trainer.save_checkpoint(path)
    trained = {k: v.clone() for k, v in model.lstm.state_dict().items()}
    late, probe = RnnInit("orthogonal", forget_bias=1.0), Probe()
    _trainer(tmp_path, [late, probe], max_steps=3).fit(Model(lr=0.1), _data(), ckpt_path=path)
    for k, v in trained.items():
        assert torch.equal(probe.state[k], v), k
    assert not late.applied


def test_a_fresh_fit_with_the_same_callback_object_starts_the_new_model(tmp_path: Any) -> None:
    cb = RnnInit("orthogonal", forget_bias=2.0)
    for _ in range(2):
        model, probe = Model(), Probe()
        _trainer(tmp_path, [cb, probe]).fit(model, _data())
        assert torch.equal(_forget(probe.state), torch.full((H,), 2.0))


def test_a_gru_gets_its_update_gate_rows(tmp_path: Any) -> None:
    model, probe = Model(cell="GRU"), Probe()
    cb = RnnInit("chrono", max_timescale=40, generator=0)
    _trainer(tmp_path, [cb, probe]).fit(model, _data())
    b = probe.state["bias_ih_l0"] + probe.state["bias_hh_l0"]  # GRU rows: r, z, n
    z = b[H : 2 * H]
    assert bool((z >= 0).all()) and bool((z <= math.log(39.0) + 1e-6).all()) and bool(z.any())
    assert float(b[:H].abs().max()) == 0.0 and float(b[2 * H :].abs().max()) == 0.0
