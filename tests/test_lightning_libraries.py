"""RnnInit in the forecasting libraries' own training loops, with their real model classes at tiny
sizes (CPU, a few steps): pytorch-forecasting (``DeepAR``, ``RecurrentNetwork``; built in
``__init__``, lightning), GluonTS (``DeepAREstimator``; built lazily in ``train``, lightning) and
darts (``RNNModel``, ``BlockRNNModel``; built lazily in ``fit``, pytorch_lightning).

For each: the raw gate rows of the library's recurrent layer read when training starts (after
RnnInit), the optimizer holding the module's own Parameters, and for pytorch-forecasting a
resume from a checkpoint that does not start again. ``make setup-libs`` installs the pinned
versions; a library that is not installed is skipped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from rnninit.integrations.lightning import RnnInit, _callback_bases

H = 8


class Probe(*_callback_bases()):  # type: ignore[misc]
    """The recurrent layer's raw parameters and the optimizer's Parameters when training starts."""

    def __init__(self, rnn_of: Any) -> None:
        self.rnn_of = rnn_of
        self.state: dict[str, torch.Tensor] = {}
        self.same_parameters = False
        self.kind = ""

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        rnn = self.rnn_of(pl_module)
        self.kind = type(rnn).__name__
        self.state = {k: v.detach().clone() for k, v in rnn.state_dict().items()}
        held = {id(p) for opt in trainer.optimizers for g in opt.param_groups for p in g["params"]}
        self.same_parameters = {id(p) for p in rnn.parameters()} <= held


def _bias(state: dict[str, torch.Tensor]) -> torch.Tensor:
    return state["bias_ih_l0"] + state["bias_hh_l0"]


def _quiet(tmp_path: Any) -> dict[str, Any]:
    return {
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "accelerator": "cpu",
        "default_root_dir": str(tmp_path),
    }


def _auto_forget_rows(probe: Probe, horizon_max: float) -> None:
    """auto's LSTM start: forget-gate rows H:2H of b_ih + b_hh, log timescales in [2, 3 T]."""
    tau = 1.0 + _bias(probe.state)[H : 2 * H].exp()
    assert float(tau.min()) >= 2.0 - 1e-5
    assert float(tau.max()) <= 3.0 * horizon_max + 1e-3
    assert float(tau.max()) > 2.5  # not every unit at the every-step start (timescale 2)
    assert probe.same_parameters


# --- pytorch-forecasting ------------------------------------------------------------------------


@pytest.fixture
def pf_dataset() -> Any:
    pytest.importorskip("pytorch_forecasting")
    from pytorch_forecasting import TimeSeriesDataSet
    from pytorch_forecasting.data.examples import generate_ar_data

    data = generate_ar_data(seasonality=10.0, timesteps=60, n_series=4, seed=0)
    data["series"] = data["series"].astype(str).astype("category")
    return TimeSeriesDataSet(
        data,
        time_idx="time_idx",
        target="value",
        group_ids=["series"],
        time_varying_unknown_reals=["value"],
        max_encoder_length=20,
        max_prediction_length=5,
        static_categoricals=["series"],
    )


def _pf_trainer(tmp_path: Any, callbacks: list[Any], max_steps: int) -> Any:
    import lightning.pytorch as pl

    return pl.Trainer(
        max_steps=max_steps, callbacks=callbacks, enable_checkpointing=False, **_quiet(tmp_path)
    )


def test_pytorch_forecasting_deepar_auto_on_its_dict_batches(
    pf_dataset: Any, tmp_path: Any
) -> None:
    from pytorch_forecasting import DeepAR

    torch.manual_seed(0)
    model = DeepAR.from_dataset(pf_dataset, hidden_size=H, rnn_layers=1)
    probe = Probe(lambda m: m.rnn)
    cb = RnnInit("auto", generator=0)  # the default inputs: DeepAR's own training_step
    loader = pf_dataset.to_dataloader(train=True, batch_size=16, num_workers=0)
    _pf_trainer(tmp_path, [cb, probe], max_steps=2).fit(model, train_dataloaders=loader)
    assert probe.kind == "LSTM" and cb.applied
    _auto_forget_rows(probe, horizon_max=25)  # encoder 20 + decoder 5 steps at most


def test_pytorch_forecasting_recurrent_network_gru_chrono(pf_dataset: Any, tmp_path: Any) -> None:
    from pytorch_forecasting import RecurrentNetwork

    model = RecurrentNetwork.from_dataset(pf_dataset, cell_type="GRU", hidden_size=H, rnn_layers=1)
    probe = Probe(lambda m: m.rnn)
    cb = RnnInit("chrono", max_timescale=40, generator=0)
    loader = pf_dataset.to_dataloader(train=True, batch_size=16, num_workers=0)
    _pf_trainer(tmp_path, [cb, probe], max_steps=2).fit(model, train_dataloaders=loader)
    b = _bias(probe.state)  # nn.GRU rows: r, z, n; chrono's b_z = log U(1, T_max - 1)
    z = b[H : 2 * H]
    assert probe.kind == "GRU" and bool(z.any())
    assert bool((z >= 0).all()) and bool((z <= math.log(39.0) + 1e-6).all())
    assert float(b[:H].abs().max()) == 0.0 and float(b[2 * H :].abs().max()) == 0.0
    assert probe.same_parameters


def test_pytorch_forecasting_resume_does_not_start_again(pf_dataset: Any, tmp_path: Any) -> None:
    from pytorch_forecasting import DeepAR

    torch.manual_seed(0)
    model = DeepAR.from_dataset(pf_dataset, hidden_size=H, rnn_layers=1, learning_rate=0.05)
    loader = pf_dataset.to_dataloader(train=True, batch_size=16, num_workers=0)
    trainer = _pf_trainer(tmp_path, [RnnInit("orthogonal", forget_bias=1.0)], max_steps=3)
    trainer.fit(model, train_dataloaders=loader)
    path = tmp_path / "deepar.ckpt"
    trainer.save_checkpoint(path)
    trained = {k: v.detach().clone() for k, v in model.rnn.state_dict().items()}
    assert not torch.equal(_bias(trained)[H : 2 * H], torch.ones(H))  # training moved it

    resumed = DeepAR.from_dataset(pf_dataset, hidden_size=H, rnn_layers=1, learning_rate=0.05)
    again, probe = RnnInit("orthogonal", forget_bias=1.0), Probe(lambda m: m.rnn)
    _pf_trainer(tmp_path, [again, probe], max_steps=4).fit(
        resumed,
        train_dataloaders=loader,
        ckpt_path=path,
        weights_only=False,  # our own file
    )
    for k, v in trained.items():
        assert torch.equal(probe.state[k], v), k
    assert again.applied and probe.same_parameters


# --- GluonTS --------------------------------------------------------------------------------------


def test_gluonts_deepar_built_lazily_in_train_gets_auto(tmp_path: Any) -> None:
    pytest.importorskip("gluonts.torch")
    import pandas as pd
    from gluonts.dataset.common import ListDataset
    from gluonts.torch import DeepAREstimator

    rng = np.random.default_rng(0)
    series = [
        {
            "start": pd.Period("2020-01-01", freq="D"),
            "target": np.sin(np.arange(80) / 5) + 0.1 * rng.standard_normal(80),
        }
        for _ in range(4)
    ]
    probe = Probe(lambda m: m.model.rnn)
    cb = RnnInit("auto", generator=0)
    estimator = DeepAREstimator(
        freq="D",
        prediction_length=5,
        context_length=10,
        hidden_size=H,
        num_layers=1,
        batch_size=8,
        num_batches_per_epoch=2,
        trainer_kwargs={"max_epochs": 1, "callbacks": [cb, probe], **_quiet(tmp_path)},
    )
    estimator.train(ListDataset(series, freq="D"))
    assert probe.kind == "LSTM" and cb.applied
    # GluonTS' DeepAR unrolls over context + prediction plus its lags' history at most
    _auto_forget_rows(probe, horizon_max=80)


# --- darts ----------------------------------------------------------------------------------------


def _darts_series() -> Any:
    from darts import TimeSeries

    return TimeSeries.from_values(np.sin(np.arange(100) / 5).astype(np.float32))


def test_darts_rnn_model_built_lazily_in_fit_gets_a_named_scheme(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("darts")
    from darts.models import RNNModel

    monkeypatch.chdir(tmp_path)  # darts writes darts_logs/ into the working directory
    probe = Probe(lambda m: m.rnn)
    cb = RnnInit("orthogonal", forget_bias=1.0, generator=0)
    model = RNNModel(
        model="LSTM",
        input_chunk_length=10,
        training_length=20,
        hidden_dim=H,
        n_rnn_layers=1,
        batch_size=8,
        n_epochs=1,
        random_state=0,
        pl_trainer_kwargs={"callbacks": [cb, probe], "max_steps": 2, **_quiet(tmp_path)},
    )
    model.fit(_darts_series())
    b = _bias(probe.state)
    assert probe.kind == "LSTM" and torch.equal(b[H : 2 * H], torch.ones(H))
    for j in range(4):
        w = probe.state["weight_hh_l0"][j * H : (j + 1) * H].double()
        torch.testing.assert_close(w @ w.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0)
    assert probe.same_parameters and cb.applied


def test_darts_block_rnn_model_gets_auto_through_its_training_step(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("darts")
    from darts.models import BlockRNNModel

    monkeypatch.chdir(tmp_path)
    probe = Probe(lambda m: m.rnn)
    cb = RnnInit("auto", generator=0)
    model = BlockRNNModel(
        model="LSTM",
        input_chunk_length=10,
        output_chunk_length=5,
        hidden_dim=H,
        n_rnn_layers=1,
        batch_size=8,
        n_epochs=1,
        random_state=0,
        pl_trainer_kwargs={"callbacks": [cb, probe], "max_steps": 2, **_quiet(tmp_path)},
    )
    model.fit(_darts_series())
    assert probe.kind == "LSTM" and cb.applied
    _auto_forget_rows(probe, horizon_max=10)  # the input chunk: 10 steps


# --- neuralforecast -------------------------------------------------------------------------------


def test_neuralforecast_lstm_through_the_wrappers_deep_copy(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("neuralforecast")
    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    monkeypatch.chdir(tmp_path)
    df = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2020-01-01", periods=120, freq="D"),
            "y": np.sin(np.arange(120) / 5),
        }
    )
    model = LSTM(
        h=12,
        input_size=24,
        encoder_hidden_size=H,
        max_steps=2,
        callbacks=[RnnInit("auto", generator=0), Probe(lambda m: m.hist_encoder)],
        **{k: v for k, v in _quiet(tmp_path).items() if k != "default_root_dir"},
    )
    nf = NeuralForecast(models=[model], freq="D")
    nf.fit(df)
    cb, probe = nf.models[0].trainer_kwargs["callbacks"]  # the wrapper trained a deep copy
    assert isinstance(cb, RnnInit) and cb.applied and probe.kind == "LSTM"
    _auto_forget_rows(probe, horizon_max=24)  # the input window: 24 steps
