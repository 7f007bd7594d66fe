"""Scratch tensors for the initializers: the dtype values are drawn in, and the in-place write.

Values are drawn in the tensor's dtype when it is ``float32``/``float64`` and in ``float32``
otherwise (``float16``/``bfloat16``), on the generator's device when a generator is given, then
copied into the tensor under ``torch.no_grad()``.
"""

from __future__ import annotations

import torch

from ..errors import InitializerError

__all__ = ["compute_dtype", "draw_device", "scratch_like", "write"]


def compute_dtype(tensor: torch.Tensor) -> torch.dtype:
    """The dtype to draw in: the tensor's own if ``float32``/``float64``, else ``float32``."""
    if tensor.dtype in (torch.float32, torch.float64):
        return tensor.dtype
    if not tensor.is_floating_point():
        raise InitializerError(f"can only initialize floating-point tensors, got {tensor.dtype}")
    return torch.float32


def draw_device(tensor: torch.Tensor, generator: torch.Generator | None) -> torch.device:
    """Where values are drawn: the generator's device when one is given (a generator draws only
    on its own device), else the tensor's; :func:`write` copies them over (the one statement of
    this rule)."""
    return generator.device if generator is not None else tensor.device


def scratch_like(tensor: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """A scratch tensor for drawing: compute dtype, on :func:`draw_device`."""
    return torch.empty(
        tensor.shape, dtype=compute_dtype(tensor), device=draw_device(tensor, generator)
    )


def write(tensor: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Copy ``values`` into ``tensor`` in place (cast to its dtype and device) and return it."""
    with torch.no_grad():
        tensor.copy_(values)
    return tensor
