"""One-step-ahead forecasting of aeon's shipped series (tasks ``fc-NAME``), scored by MASE.

Data: aeon's own loaders (``aeon.datasets.load_airline`` etc., files shipped in the wheel).
Split: the last ``ceil(0.2 n)`` points are the test part, the earlier ``n_train`` the training
part; of these, the last ``ceil(0.2 n_train)`` are the validation part and the earlier
``n_fit`` the fitting part.

Model: one LSTM/GRU layer reads a window of the ``W`` previous values (``W = min(24,
n_train // 4)``) and a linear head predicts the next one; MSE, trained on random windows whose
targets lie in the fitting part. Validation and test: a rolling origin over the part, each point
predicted from the ``W`` actual values before it (the model is not refitted).

Early stopping (the task's third version; see
:data:`~rnninit_bench.realdata_registry.TASK_VERSIONS`): the validation MASE is measured every
``eval_every`` steps; the run reports the test error measured at the evaluation with the lowest
validation MASE (the first, on a tie), and stops after :data:`PATIENCE` steps without a lower
one. The test points never choose anything. The second version trained a fixed 300 steps on the
whole training part and reported the last test error: on the small series the test error was
lowest long before the end, so the ranking measured overfitting as much as the start.

The head starts at zero (the fourth version): the untrained model of every start is the naive
forecast, and what the starts change is how training moves away from it. With the head's
random start (the third version), a series on which training does not beat the naive forecast
(PBS: 63 of 70 runs chose step 10 or 20, 52 the first evaluation) ranked the starts by how far
the random head's output happened to be from 0 there, not by training.

Inputs are taken **relative to the window's last value**, in units of the training part's
one-step change ``s`` (the standard deviation of ``y_t - y_{t-1}`` over the training part):
the model reads ``(y_{t-W+k} - y_{t-1}) / s`` and predicts ``(y_t - y_{t-1}) / s``, so the
forecast is ``yhat_t = y_{t-1} + s * model(window)``. A model that outputs 0 is the naive
forecast; the network learns the change. This is NLinear's normalization (Zeng et al.,
"Are Transformers Effective for Time Series Forecasting?", AAAI 2023: subtract the window's
last value, add it back to the prediction). It makes the task level-free: a series that trends
out of its training range (Airline, ShampooSales) is forecast from its recent shape, where a
model of globally standardized levels (this task's first version) could not extrapolate and
every start was worse than the seasonal naive forecast.

Metric (Hyndman & Koehler 2006), on the original scale::

    MASE = mean_t |y_t - yhat_t| / ( mean_{t=m+1..n_train} |y_t - y_{t-m}| )

over the test points ``t``, with ``m`` the seasonal period (12 for the monthly series, else 1):
the model's error relative to the in-sample (seasonal) naive forecast. MASE < 1 beats it. The
record also holds ``rel_mae``: the model's test MAE over that of the naive forecast
``yhat_t = y_{t-m}`` on the same test points.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from .models import build_rnn
from .realdata_registry import FORECAST_SERIES, MissingDataError

__all__ = [
    "PATIENCE",
    "ForecastData",
    "ForecastModel",
    "fit_size",
    "load_forecast",
    "mase",
    "split_sizes",
    "windows",
]

#: Steps without a lower validation MASE after which a forecasting run stops.
PATIENCE = 200


def mase(actual: torch.Tensor, forecast: torch.Tensor, train: torch.Tensor, period: int) -> float:
    """Mean absolute scaled error of ``forecast`` against ``actual`` (see the module docstring).

    The naive forecast scored on the very data its scale comes from gives exactly 1:

    >>> y = torch.tensor([1.0, 3.0, 2.0, 5.0, 4.0])
    >>> mase(y[1:], y[:-1], y, 1)
    1.0
    """
    if train.numel() <= period:
        raise ValueError(f"the training part ({train.numel()}) must be longer than the period")
    scale = (train[period:] - train[:-period]).abs().mean()
    if not float(scale) > 0:
        raise ValueError("MASE is undefined: the training part's naive error is 0")
    return float((actual - forecast).abs().mean() / scale)


def windows(series: torch.Tensor, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of ``width`` values (N, width, 1) and the value after it (N, 1).

    >>> x, y = windows(torch.arange(5.0), 3)
    >>> x[:, :, 0].tolist(), y[:, 0].tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]], [3.0, 4.0])
    """
    n = series.numel() - width
    if n < 1:
        raise ValueError(f"a series of {series.numel()} values has no window of {width} + 1")
    idx = torch.arange(width).unsqueeze(0) + torch.arange(n).unsqueeze(1)
    return series[idx].unsqueeze(-1), series[width:].unsqueeze(-1)


@dataclass(frozen=True)
class ForecastData:
    """A series split for forecasting, with its window width and one-step scale ``step``.

    >>> d = load_forecast("Airline")
    >>> d.n_train, d.n_fit, d.width, d.period, tuple(d.test_windows()[0].shape)
    (115, 92, 24, 12, (29, 24, 1))
    """

    name: str
    values: torch.Tensor  # the whole series, original scale (float64)
    n_train: int
    period: int
    width: int
    step: float  # standard deviation of the training part's one-step changes

    @property
    def train(self) -> torch.Tensor:
        """The training part, original scale."""
        return self.values[: self.n_train]

    def relative(self, part: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every window of ``part`` relative to its last value, in units of ``step``.

        Returns the inputs ``(y_{t-W+k} - y_{t-1}) / step`` (N, W, 1) and targets
        ``(y_t - y_{t-1}) / step`` (N, 1) as float32, and each window's last value ``y_{t-1}``
        (N,) on the original scale:

        >>> d = ForecastData("x", torch.zeros(0), 0, 1, 2, step=2.0)
        >>> x, y, last = d.relative(torch.tensor([1.0, 3.0, 4.0, 8.0], dtype=torch.float64))
        >>> x[:, :, 0].tolist(), y[:, 0].tolist(), last.tolist()
        ([[-1.0, 0.0], [-0.5, 0.0]], [0.5, 2.0], [3.0, 4.0])
        """
        x, y = windows(part, self.width)
        last = x[:, -1, 0]
        inputs = ((x - last[:, None, None]) / self.step).float()
        targets = ((y[:, 0] - last) / self.step).float().unsqueeze(-1)
        return inputs, targets, last

    @property
    def n_fit(self) -> int:
        """Length of the fitting part: the training part before its validation part."""
        return fit_size(self.n_train)

    @property
    def fit(self) -> torch.Tensor:
        """The fitting part, original scale."""
        return self.values[: self.n_fit]

    def fit_windows(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`relative` windows whose targets lie in the fitting part."""
        return self.relative(self.fit)

    def valid_windows(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`relative` rolling-origin windows whose targets are the validation points.

        >>> d = load_forecast("Airline")
        >>> tuple(d.fit_windows()[0].shape), tuple(d.valid_windows()[0].shape)
        ((68, 24, 1), (23, 24, 1))
        """
        return self.relative(self.values[self.n_fit - self.width : self.n_train])

    def test_windows(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`relative` rolling-origin windows whose targets are the test points."""
        return self.relative(self.values[self.n_train - self.width :])

    def forecast(self, last: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
        """The forecast ``last + step * change`` on the original scale (float64)."""
        return last + self.step * change.double()

    def naive_test(self) -> torch.Tensor:
        """The seasonal naive forecast ``y_{t-m}`` of every test point (original scale)."""
        return self.values[self.n_train - self.period : self.values.numel() - self.period]


def split_sizes(n: int) -> tuple[int, int]:
    """``(n_train, width)`` for a series of ``n`` values (see the module docstring).

    >>> split_sizes(144)
    (115, 24)
    """
    n_test = math.ceil(0.2 * n)
    n_train = n - n_test
    return n_train, min(24, n_train // 4)


def fit_size(n_train: int) -> int:
    """The fitting part of a training part of ``n_train`` values: all but the last
    ``ceil(0.2 n_train)``, which are the validation part.

    >>> fit_size(115), fit_size(28)
    (92, 22)
    """
    return n_train - math.ceil(0.2 * n_train)


def load_forecast(name: str) -> ForecastData:
    """The series ``name`` of :data:`~rnninit_bench.realdata_registry.FORECAST_SERIES`.

    Raises:
        MissingDataError: aeon is not installed.

    >>> d = load_forecast("Lynx")
    >>> d.values.numel(), d.n_train, d.width, float(d.values[0])
    (114, 91, 22, 269.0)
    """
    meta = FORECAST_SERIES[name]
    try:
        import aeon.datasets as datasets
    except ImportError:
        raise MissingDataError(
            f"task 'fc-{name}' loads aeon's shipped series, but aeon is not installed: "
            "pip install 'rnninit-bench[realdata]'"
        ) from None
    with warnings.catch_warnings():  # aeon 1.6 deprecates PBS and ShampooSales (gone in 1.7)
        warnings.simplefilter("ignore", FutureWarning)
        raw = getattr(datasets, meta.loader)()
    values = torch.as_tensor(raw, dtype=torch.float64).reshape(-1)
    n_train, width = split_sizes(values.numel())
    train = values[:n_train]
    step = float((train[1:] - train[:-1]).std())
    return ForecastData(name, values, n_train, meta.period, width, step)


class ForecastModel(nn.Module):
    """One LSTM/GRU layer over a window (N, W, 1), a linear head on the last step -> (N, 1).

    The head starts at zero: before training every start predicts no change (the naive
    forecast), and the starts differ only in the recurrent layer.

    >>> out = ForecastModel("gru", 6)(torch.randn(4, 10, 1))
    >>> tuple(out.shape), float(out.abs().max())
    ((4, 1), 0.0)
    """

    def __init__(self, cell: str, hidden: int) -> None:
        super().__init__()
        self.rnn = build_rnn(cell, 1, hidden)
        self.head = nn.Linear(hidden, 1)
        with torch.no_grad():  # the untrained model is the naive forecast (version 4)
            self.head.weight.zero_()
            self.head.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The next value of each window."""
        out, _ = self.rnn(x)
        return self.head(out[:, -1])  # type: ignore[no-any-return]
