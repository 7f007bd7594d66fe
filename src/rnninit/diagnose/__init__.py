r"""Diagnostics: see what an initialization does before training.

* :func:`describe`: one row per gate block (statistics, spectral norm, distance from orthogonal,
  effective biases, keep-gate timescales).
* :func:`timescales`: the memory timescales $\tau = 1 / (1 - \sigma(b))$ per layer.
* :func:`gradient_horizon`: how many steps back the gradient of the last output reaches.
* :func:`check`: the common initialization pitfalls, each with why it matters and the fix.
* :mod:`rnninit.diagnose.plots`: PNG pictures; ``rnninit inspect PATH`` on the command line.
"""

from __future__ import annotations

from ..errors import CheckpointError
from .checkpoint import Loaded, infer_modules, load_checkpoint
from .checks import LONG_SEQUENCE, check
from .description import Description, describe
from .findings import SEVERITIES, Finding, Report
from .horizon import Horizon, gradient_horizon
from .layer_timescales import LayerTimescales, Timescales, timescales
from .metrics import orthogonality_distance, timescale
from .table import Table

__all__ = [
    "LONG_SEQUENCE",
    "SEVERITIES",
    "CheckpointError",
    "Description",
    "Finding",
    "Horizon",
    "LayerTimescales",
    "Loaded",
    "Report",
    "Table",
    "Timescales",
    "check",
    "describe",
    "gradient_horizon",
    "infer_modules",
    "load_checkpoint",
    "orthogonality_distance",
    "timescale",
    "timescales",
]
