"""Initialize a benchmark model's recurrent layer (``model.rnn``) as a run's scheme says.

Shared by the synthetic runner and the real-data runner, so that every task family starts its
networks in exactly the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rnninit.auto import auto_init_
from rnninit.facade import init_

from .config import RunConfig
from .tasks import seed_of

__all__ = ["CALIBRATION_BATCHES", "init_start"]

#: Training batches the ``auto`` scheme calibrates on (drawn with their own generator).
CALIBRATION_BATCHES = 4


def init_start(
    model: nn.Module, config: RunConfig, t_max: float, data: Sequence[object] = ()
) -> None:
    """Initialize ``model.rnn`` by ``config.scheme`` with the run's own generator.

    ``t_max`` is the chrono ``T_max`` of the task (for ``chrono`` and ``forget_bias=chrono``);
    ``auto`` calibrates on ``data`` (batches that ``model(batch)`` accepts, as a user would pass
    the first batches of a loader) with ``horizon`` left to the data.

    >>> import torch
    >>> from rnninit_bench.models import SeqModel
    >>> m = SeqModel("lstm", 2, 4, 1)
    >>> init_start(m, RunConfig("adding", 10, "lstm", "keras"), 10.0)
    >>> float((m.rnn.bias_ih_l0[4:8] + m.rnn.bias_hh_l0[4:8]).detach().sum())  # forget bias 1
    4.0
    """
    spec = config.spec
    g = torch.Generator().manual_seed(seed_of("init", config.seed))
    kwargs = spec.kwargs(t_max)
    if spec.is_auto:
        if "per_feature" in kwargs:
            kwargs["per_feature"] = bool(kwargs["per_feature"])
        auto_init_(model, list(data), include="rnn", generator=g, **kwargs)
        return
    rnn = model.rnn
    assert isinstance(rnn, nn.Module)
    init_(rnn, spec.base, generator=g, **kwargs)
