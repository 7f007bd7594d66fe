"""All or nothing: restore every tensor of the selected layers if a write fails.

The one backup of rnninit. :func:`atomic` saves, for each selected recurrent module, every
parameter and buffer (recursively: a parametrization's originals and ``orthogonal``'s base live
in the module's ``parametrizations`` child) and the attributes of the legacy
``torch.nn.utils.weight_norm`` hook (the weight it recomputes); if the body raises, anything,
they are copied back bit for bit (in place, so a Parameter object, and cuDNN's flat weight
buffer, are never replaced) and the error goes on. :func:`rnninit.init_`,
:func:`rnninit.auto.auto_init_` and ``init_(model, "auto", ...)`` write only inside it.

>>> import torch
>>> gru = torch.nn.GRU(2, 3)
>>> before = gru.weight_hh_l0.detach().clone()
>>> try:
...     with atomic([("", gru)]):
...         with torch.no_grad():
...             _ = gru.weight_hh_l0.zero_()
...         raise RuntimeError("a later step fails")
... except RuntimeError:
...     pass
>>> torch.equal(gru.weight_hh_l0, before)
True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from ..layouts._binding import legacy_weight_norm

__all__ = ["atomic"]


@contextmanager
def atomic(modules: Sequence[tuple[str, nn.Module]]) -> Iterator[None]:
    """Run the body; on any exception restore every tensor of ``modules`` and re-raise."""
    seen: set[int] = set()
    backup: list[tuple[torch.Tensor, torch.Tensor]] = []
    for _, m in modules:
        for t in (*m.parameters(), *m.buffers()):
            if id(t) not in seen:
                seen.add(id(t))
                backup.append((t, t.detach().clone()))
    attrs = [
        (m, n, getattr(m, n)) for _, m in modules for n in legacy_weight_norm(m) if hasattr(m, n)
    ]
    try:
        yield
    except BaseException:
        with torch.no_grad():
            for t, saved in backup:
                t.copy_(saved)
            for m, n, value in attrs:
                setattr(m, n, value)
        raise
