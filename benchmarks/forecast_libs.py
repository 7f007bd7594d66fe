"""Forecasting libraries' own training loops (issue 29, point 4): the model exactly as the library
builds it, trained by the library's own fit, only the start of its recurrent layers differing.

Three tasks, each one model of one library on one data set:

* ``pf_deepar_ar``: pytorch-forecasting's ``DeepAR.from_dataset`` (its defaults: LSTM,
  ``hidden_size=10``, ``rnn_layers=2``, dropout 0.1, ``NormalDistributionLoss``, Adam at 1e-3)
  on the library's own generated data (``generate_ar_data(n_series=30, timesteps=400,
  seasonality=10, seed=42)``: the DeepAR tutorial's call, 30 series instead of 100), the
  tutorial's ``max_encoder_length=60``, ``max_prediction_length=20``, batch size 128 and
  ``gradient_clip_val=0.1``, trained with ``lightning.pytorch.Trainer``.
* ``pf_deepar_co2``: the same DeepAR on the Mauna Loa CO2 series shipped with statsmodels
  (``sm.datasets.co2``: weekly 1958-2001, resampled to monthly means, the 5 empty months
  filled by linear interpolation: 526 months), encoder 60 months, horizon 12. Chosen because it
  is a real series long enough for DeepAR's windows (a few hundred training windows of one
  series), with a trend and a yearly season, and not one of the series of the real-data page
  (Airline, Lynx, PBS, ShampooSales, solar); statsmodels' other series are short (nile: 100,
  sunspots: 309 yearly points) or a table (elnino).
* ``nf_lstm_airpassengers``: neuralforecast's ``LSTM`` with its defaults (encoder 2 x 128,
  MLP decoder 2 x 128, ``input_size`` 3 h, MAE loss, robust scaler, Adam at 1e-3) on
  ``neuralforecast.utils.AirPassengersDF`` (shipped in the package; the same data as aeon's
  Airline of the real-data page, here in neuralforecast's own loop), ``h=12``, trained by
  ``NeuralForecast(models=[...], freq="MS").fit(df)``.

Each task holds out its last horizon (per series) as the test window; DeepAR also validates on
the horizon before it (its per-epoch ``val_loss`` is recorded as a curve; no early stopping,
and the library's ``ReduceLROnPlateau`` has patience 1000, so it never reads it).
neuralforecast trains on everything before the test window (no validation: a validation part
would change its training windows); its training loss is recorded at step 1 and every 50 steps.

Metric: test MASE, the mean absolute error of the point forecast (DeepAR: the mean of its 100
default samples, drawn after ``seed_everything(seed)``; neuralforecast: its forecast) over the
test window, divided by the mean absolute error of the in-sample seasonal naive forecast
(``y_t - y_{t-m}``, m = 12 for the monthly series, 1 for the generated data) over the series
before the test window, averaged over the series. Lower is better; below 1 beats the naive
forecast in sample.

Starts: ``library`` (the model as built: PyTorch's default), and through the
:class:`rnninit.integrations.lightning.RnnInit` callback (in the trainer's callbacks, the
generator seeded with ``1000 + seed``) ``flax``, ``orthogonal``, ``auto``, ``auto_every_step``
(``targets="every_step"``) and ``auto_every_step_target0.1`` (``target=0.1`` as well: the input
scale that auto's calibration sets, the suspect of point 5). The seed drives the library's own
seeding (``lightning.pytorch.seed_everything(seed)`` before the model is built; neuralforecast's
``random_seed=seed``), so for one seed every start begins from the same library model.

Departures from the libraries' defaults, all for the budget of one core (about 35 s a run;
``BUDGET``): DeepAR trains a fixed number of epochs, no early stopping: on the generated data 8
epochs of at most 50 batches (the tutorial's ``limit_train_batches=50``; the tutorial trains up
to 30 epochs with early stopping): 400 steps; on CO2 150 epochs of its 3 batches (the library's
training loader drops the last, incomplete batch): 450 steps. neuralforecast's LSTM trains
``max_steps=300`` (its default 1000; its loader yields the one series once per epoch, so 300
epochs). The learning rates are the libraries' defaults (1e-3 both; the DeepAR tutorial uses
1e-2 with the multivariate normal loss). Every trainer: CPU, ``logger=False``, no
checkpointing, no progress bar, no model summary. The data-side choices that have no library
default (window lengths, horizon, batch size 128) are the DeepAR tutorial's where it has them.

A run is one JSON file, OUT/runs/TASK__START__sSEED.json, so the sweep is resumable (a run
whose file exists is skipped) and workers claim runs with an exclusive ``.claim`` file.
``--max-runs 1`` in a shell loop re-reads the job order before every run (exit status 3 when
nothing is left). The jobs are in priority order, seed by seed (seed 0 of every task and start,
then seed 1, ...):

    OMP_NUM_THREADS=1 python benchmarks/forecast_libs.py --only pf_deepar_ar library 0
    while OMP_NUM_THREADS=1 python benchmarks/forecast_libs.py --worker-id f1 --max-runs 1
    do :; done
    python benchmarks/forecast_libs_report.py benchmarks/results/forecast_libs --min-seeds 5
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _report_common import run_claimed

import rnninit

#: The budget per task (see the docstring): DeepAR's epochs and batches per epoch (the generated
#: data has 73 training batches of 128 an epoch, CO2 3), neuralforecast's steps.
BUDGET: dict[str, dict[str, int]] = {
    "pf_deepar_ar": {"max_epochs": 8, "limit_train_batches": 50},
    "pf_deepar_co2": {"max_epochs": 150, "limit_train_batches": 50},
    "nf_lstm_airpassengers": {"max_steps": 300},
}
#: ``--tiny``: a few seconds a run (the smoke test).
TINY: dict[str, int] = {"max_epochs": 1, "limit_train_batches": 2, "max_steps": 3}

#: start -> the RnnInit arguments (None: the library's own start, no callback).
STARTS: dict[str, dict[str, Any] | None] = {
    "library": None,
    "flax": {"scheme": "flax"},
    "orthogonal": {"scheme": "orthogonal"},
    "auto": {"scheme": "auto"},
    "auto_every_step": {"scheme": "auto", "targets": "every_step"},
    "auto_every_step_target0.1": {"scheme": "auto", "targets": "every_step", "target": 0.1},
}
SEEDS = range(5)


def _quiet() -> dict[str, Any]:
    return {
        "accelerator": "cpu",
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }


def _callbacks(start: str, seed: int, bases: tuple[type, ...]) -> tuple[list[Any], Any]:
    """The start's RnnInit (if any) followed by the probe that reads the weights it left."""
    from rnninit.integrations.lightning import RnnInit

    probe_cls, clock_cls = _probe_classes(bases)
    probe = probe_cls()
    spec = STARTS[start]
    if spec is None:
        return [clock_cls(probe), probe], probe
    kw = dict(spec)
    init = RnnInit(kw.pop("scheme"), generator=1000 + seed, **kw)
    return [clock_cls(probe), init, probe], probe


def _probe_classes(bases: tuple[type, ...]) -> tuple[type, type]:
    class Probe(*bases):  # type: ignore[misc]
        """At train start (after RnnInit): the seconds since the Clock's mark (the start's cost)
        and per recurrent Parameter [sum, sum of squares]; at every validation epoch's end, the
        validation loss; at step 1 and every 50 steps the training loss."""

        def __init__(self) -> None:
            self.t0 = 0.0
            self.init_seconds = 0.0
            self.checksum: dict[str, list[float]] = {}
            self.val_loss: list[float] = []
            self.train_loss: list[tuple[int, float]] = []
            self.epochs = 0

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.init_seconds = time.time() - self.t0
            for name, mod in pl_module.named_modules():
                if isinstance(mod, torch.nn.RNNBase):
                    for pname, p in mod.named_parameters():
                        t = p.detach().double()
                        self.checksum[f"{name}.{pname}"] = [float(t.sum()), float((t * t).sum())]

        def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if not trainer.sanity_checking and "val_loss" in trainer.callback_metrics:
                self.val_loss.append(float(trainer.callback_metrics["val_loss"]))

        def on_train_batch_end(self, trainer: Any, pl_module: Any, *args: Any) -> None:
            step = int(trainer.global_step)
            if (step == 1 or step % 50 == 0) and "train_loss" in trainer.callback_metrics:
                self.train_loss.append((step, float(trainer.callback_metrics["train_loss"])))

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            self.epochs += 1

    class Clock(*bases):  # type: ignore[misc]
        """Runs first at train start: marks the time for the probe (RnnInit runs in between)."""

        def __init__(self, probe: Any) -> None:
            self.probe = probe

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.probe.t0 = time.time()

    return Probe, Clock


def _naive_mae(history: np.ndarray, m: int) -> float:
    return float(np.mean(np.abs(history[m:] - history[:-m])))


# --- data --------------------------------------------------------------------------------------


def co2_monthly() -> Any:
    """statsmodels' weekly Mauna Loa CO2 as monthly means, empty months interpolated."""
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    return weekly.resample("MS").mean().interpolate("linear")


def _pf_frame(task: str) -> Any:
    import pandas as pd

    if task == "pf_deepar_ar":
        from pytorch_forecasting.data.examples import generate_ar_data

        df = generate_ar_data(seasonality=10.0, timesteps=400, n_series=30, seed=42)
        return df[["series", "time_idx", "value"]].copy()
    s = co2_monthly()
    return pd.DataFrame({"series": 0, "time_idx": np.arange(len(s)), "value": s.to_numpy()})


#: task -> (library, data description, encoder length, horizon, seasonal period m)
TASKS: dict[str, tuple[str, str, int, int, int]] = {
    "pf_deepar_ar": ("pytorch_forecasting", "generate_ar_data 30 x 400, seed 42", 60, 20, 1),
    "pf_deepar_co2": ("pytorch_forecasting", "statsmodels co2, monthly, 526", 60, 12, 12),
    "nf_lstm_airpassengers": ("neuralforecast", "AirPassengersDF, monthly, 144", 36, 12, 12),
}


# --- pytorch-forecasting's DeepAR ----------------------------------------------------------------


def run_deepar(task: str, start: str, seed: int, tiny: bool) -> dict[str, Any]:
    import lightning
    import lightning.pytorch as pl
    import pytorch_forecasting
    from pytorch_forecasting import DeepAR, TimeSeriesDataSet
    from pytorch_forecasting.data.encoders import NaNLabelEncoder

    _, _, enc, horizon, m = TASKS[task]
    df = _pf_frame(task)
    df["series"] = df["series"].astype(str)
    last = int(df["time_idx"].max())
    training = TimeSeriesDataSet(
        df[df.time_idx <= last - 2 * horizon],
        time_idx="time_idx",
        target="value",
        categorical_encoders={"series": NaNLabelEncoder().fit(df.series)},
        group_ids=["series"],
        static_categoricals=["series"],
        time_varying_unknown_reals=["value"],
        max_encoder_length=enc,
        max_prediction_length=horizon,
    )
    valid = TimeSeriesDataSet.from_dataset(
        training, df[df.time_idx <= last - horizon], predict=True, stop_randomization=True
    )
    test = TimeSeriesDataSet.from_dataset(training, df, predict=True, stop_randomization=True)
    pl.seed_everything(seed, verbose=False)
    model = DeepAR.from_dataset(training)  # the library's defaults
    train_dl = training.to_dataloader(train=True, batch_size=128, num_workers=0)
    valid_dl = valid.to_dataloader(train=False, batch_size=128, num_workers=0)
    test_dl = test.to_dataloader(train=False, batch_size=128, num_workers=0)
    callbacks, probe = _callbacks(start, seed, (pl.Callback,))
    epochs = (TINY if tiny else BUDGET[task])["max_epochs"]
    batches = (TINY if tiny else BUDGET[task])["limit_train_batches"]
    with tempfile.TemporaryDirectory() as tmp:
        trainer = pl.Trainer(
            max_epochs=epochs,
            limit_train_batches=batches,
            gradient_clip_val=0.1,
            callbacks=callbacks,
            default_root_dir=tmp,
            **_quiet(),
        )
        t0 = time.time()
        trainer.fit(model, train_dataloaders=train_dl, val_dataloaders=valid_dl)
        t_train = time.time() - t0
        pl.seed_everything(seed, verbose=False)  # DeepAR's point forecast: the mean of samples
        pred = model.predict(
            test_dl, return_index=True, return_y=True, trainer_kwargs=dict(_quiet())
        )
    forecast = pred.output.detach().numpy()
    actual = pred.y[0].detach().numpy()
    scores, maes = [], []
    for i, series in enumerate(pred.index["series"]):
        hist = df.loc[(df.series == series) & (df.time_idx <= last - horizon), "value"].to_numpy()
        mae = float(np.mean(np.abs(forecast[i] - actual[i])))
        maes.append(mae)
        scores.append(mae / _naive_mae(hist, m))
    return {
        "test_mase": float(np.mean(scores)),
        "test_mae": float(np.mean(maes)),
        "train_seconds": t_train,
        "init_seconds": probe.init_seconds,
        "epochs": probe.epochs,
        "steps": int(trainer.global_step),
        "val_loss": probe.val_loss,
        "train_loss": probe.train_loss,
        "checksum": probe.checksum,
        "n_series": len(scores),
        "settings": {
            "max_epochs": epochs,
            "limit_train_batches": batches,
            "batch_size": 128,
            "gradient_clip_val": 0.1,
            "max_encoder_length": enc,
            "max_prediction_length": horizon,
            "hidden_size": model.hparams.hidden_size,
            "rnn_layers": model.hparams.rnn_layers,
            "cell_type": model.hparams.cell_type,
            "learning_rate": model.hparams.learning_rate,
        },
        "library_versions": {
            "pytorch_forecasting": pytorch_forecasting.__version__,
            "lightning": lightning.__version__,
        },
    }


# --- neuralforecast's LSTM ------------------------------------------------------------------------


def run_nf_lstm(task: str, start: str, seed: int, tiny: bool) -> dict[str, Any]:
    import neuralforecast
    import pytorch_lightning
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM
    from neuralforecast.utils import AirPassengersDF

    _, _, input_size, horizon, m = TASKS[task]
    df = AirPassengersDF.copy()
    train, actual = df.iloc[:-horizon], df["y"].to_numpy()[-horizon:]
    callbacks, _ = _callbacks(start, seed, (pytorch_lightning.Callback,))
    steps = (TINY if tiny else BUDGET[task])["max_steps"]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)  # neuralforecast's trainer may write into the working directory
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = LSTM(
                    h=horizon,
                    input_size=input_size,  # the default -1 becomes 3 h, with a warning
                    max_steps=steps,
                    random_seed=seed,
                    callbacks=callbacks,
                    **_quiet(),
                )
                nf = NeuralForecast(models=[model], freq="MS")
                t0 = time.time()
                nf.fit(train)
                t_train = time.time() - t0
                forecast = nf.predict()["LSTM"].to_numpy()
        finally:
            os.chdir(cwd)
    fitted = nf.models[0]  # the wrapper trained a deep copy of `model`, callbacks and all
    probe = fitted.trainer_kwargs["callbacks"][-1]
    mae = float(np.mean(np.abs(forecast - actual)))
    return {
        "test_mase": mae / _naive_mae(train["y"].to_numpy(), m),
        "test_mae": mae,
        "train_seconds": t_train,
        "init_seconds": probe.init_seconds,
        "epochs": probe.epochs,
        "steps": steps,
        "val_loss": probe.val_loss,
        "train_loss": probe.train_loss,
        "checksum": probe.checksum,
        "n_series": 1,
        "settings": {
            "max_steps": steps,
            "h": horizon,
            "input_size": fitted.input_size,
            "encoder_n_layers": fitted.hparams.encoder_n_layers,
            "encoder_hidden_size": fitted.hparams.encoder_hidden_size,
            "learning_rate": fitted.hparams.learning_rate,
            "batch_size": fitted.hparams.batch_size,
            "windows_batch_size": fitted.hparams.windows_batch_size,
            "scaler_type": fitted.hparams.scaler_type,
        },
        "library_versions": {
            "neuralforecast": neuralforecast.__version__,
            "pytorch_lightning": pytorch_lightning.__version__,
        },
    }


RUNNERS: dict[str, Callable[[str, str, int, bool], dict[str, Any]]] = {
    "pytorch_forecasting": run_deepar,
    "neuralforecast": run_nf_lstm,
}


def jobs() -> list[tuple[str, str, int]]:
    return [(t, s, seed) for seed in SEEDS for t in TASKS for s in STARTS]


def run(task: str, start: str, seed: int, tiny: bool = False) -> dict[str, Any]:
    library, data, *_ = TASKS[task]
    if start not in STARTS:
        raise SystemExit(f"unknown start {start!r}: one of {', '.join(STARTS)}")
    t0 = time.time()
    out = RUNNERS[library](task, start, seed, tiny)
    versions = out.pop("library_versions")
    return {
        "task": task,
        "library": library,
        "data": data,
        "start": start,
        "seed": seed,
        "tiny": tiny,
        "rnninit_init": STARTS[start],
        **out,
        "wall_seconds": time.time() - t0,
        "torch_threads": torch.get_num_threads(),
        "versions": {
            "rnninit": rnninit.__version__,
            "torch": torch.__version__,
            **versions,
            "python": platform.python_version(),
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/forecast_libs"))
    ap.add_argument("--worker-id", default=str(os.getpid()))
    ap.add_argument("--max-runs", type=int, default=None, help="stop after this many runs")
    ap.add_argument("--tiny", action="store_true", help="a few seconds a run (smoke test)")
    ap.add_argument("--only", nargs=3, metavar=("TASK", "START", "SEED"), help="one run")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    todo = [(a, b, int(c)) for a, b, c in [args.only]] if args.only else jobs()
    return run_claimed(
        todo,
        args.out / "runs",
        args.worker_id,
        args.max_runs,
        lambda task, start, seed: run(task, start, seed, args.tiny),
        lambda r: (
            f"{r['train_seconds']:.0f}s train, {r['wall_seconds']:.0f}s run, "
            f"MASE {r['test_mase']:.4f}"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
