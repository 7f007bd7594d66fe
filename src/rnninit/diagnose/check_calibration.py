r"""The check of :func:`rnninit.diagnose.check` on layers that ``auto`` calibrated.

``one_step_calibration`` (warning)
    ``auto`` took the horizon of a layer from ``data`` (no ``horizon=`` given, ``targets="end"``)
    and the layer saw one step per forward: typically a Cell calibrated on one 2-D batch
    ``(N, in)`` rather than through the model that runs it over a sequence. The keep-gate
    timescales were then drawn on $[2, T_{\max}]$ with $T_{\max}$ = ``reach`` times a horizon of
    1, i.e. 3 steps by default: a cell meant for sequences starts with almost no memory.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ..schemes._apply import DATA_HORIZON_ATTRIBUTE
from .findings import Finding

__all__ = ["one_step_calibration"]


def one_step_calibration(recurrent: Sequence[tuple[str, nn.Module]]) -> list[Finding]:
    """A finding for every selected module that ``auto`` calibrated on one step per forward.

    >>> import torch, rnninit
    >>> cell = torch.nn.LSTMCell(3, 8)
    >>> _ = rnninit.init_(cell, "auto", data=torch.randn(5, 3))  # one step: horizon 1
    >>> [f.code for f in one_step_calibration([("", cell)])]
    ['one_step_calibration']
    """
    out: list[Finding] = []
    for name, mod in recurrent:
        horizon = getattr(mod, DATA_HORIZON_ATTRIBUTE, None)
        if horizon is None or horizon > 1:
            continue
        what = name or type(mod).__name__
        out.append(
            Finding(
                "one_step_calibration",
                "warning",
                (what,),
                f"auto calibrated {what} on data of one step per forward (horizon 1), so its "
                "keep-gate timescales lie in [2, 3] steps",
                "a cell runs once per time step: calibrated on one (N, in) batch it cannot see "
                "how long the sequences are, and starts with almost no memory",
                "calibrate the model that runs the cell over time (rnninit.init_(model, 'auto', "
                "data=sequences)), or give the sequence length: rnninit.init_(cell, 'auto', "
                "data=x_step, horizon=T)",
            )
        )
    return out
