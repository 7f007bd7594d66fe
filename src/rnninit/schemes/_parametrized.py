"""Initializing weights that sit behind a parametrization: write what the user means.

A weight under ``torch.nn.utils.parametrize`` (``parametrizations.weight_norm``,
``parametrizations.orthogonal``, ``spectral_norm``, a user parametrization) or under the legacy
``torch.nn.utils.weight_norm`` hook is not a Parameter of the recurrent module: the module
computes it from *originals* (``parametrizations.weight_hh_l0.original``; ``weight_hh_l0_g``
and ``weight_hh_l0_v``). :func:`rnninit.init_` gives such a weight the scheme's value as its
*effective* weight, the one the layer computes with:

* ``parametrize``: the scheme draws into a copy of the effective weight, then the
  parametrization's ``right_inverse`` writes the originals (under ``torch.no_grad()``; with
  PyTorch's global RNG state kept, since ``orthogonal``'s ``right_inverse`` draws a completion
  from it). The result is checked: the effective weight must equal the target.
* legacy ``weight_norm`` (``w = g * v / ||v||`` over ``dim``): ``v = w`` and ``g = ||w||``
  (``torch.norm_except_dim``), the inverse ``parametrizations.weight_norm`` uses.

Where that cannot work, a :class:`~rnninit.errors.SchemeError` names the weight, the
parametrization and the fix (initialize before registering it), **before** anything is
written: a parametrization without ``right_inverse``, or an ``orthogonal`` parametrization
asked to hold a matrix that is not orthogonal (a per-gate orthogonal stack of ``G > 1`` blocks
has columns of norm ``sqrt(G)``; a ``gain != 1``; any other initializer). A write that does not
reproduce its target (a user ``right_inverse`` that is not exact, a zero row under weight
norm) restores every tensor and raises.

>>> import torch
>>> from torch import nn
>>> from torch.nn.utils.parametrizations import weight_norm
>>> import rnninit
>>> gru = weight_norm(nn.GRU(2, 3), "weight_hh_l0")
>>> _ = rnninit.init_(gru, "orthogonal", generator=torch.Generator().manual_seed(0))
>>> z = gru.weight_hh_l0[3:6]  # the effective weight's z block is orthogonal
>>> torch.allclose(z @ z.T, torch.eye(3), atol=1e-5)
True
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _Orthogonal

from ..errors import SchemeError
from ..initializers._registry import Init
from ..layouts import ParamRef
from ..layouts._binding import legacy_weight_norm

__all__ = ["check_writable", "write_effective"]

_ORTHOGONAL_SAFE = ("orthogonal", "identity")


def _fix(ref: ParamRef) -> str:
    return (
        f"initialize {ref.local_name} before registering the parametrization (rnninit.init_ "
        "then torch.nn.utils.parametrize / parametrizations.*), or exclude this layer with "
        "exclude="
    )


def _chain(ref: ParamRef) -> list[nn.Module]:
    plist = ref.module.parametrizations[ref.local_name]  # type: ignore[index]
    return list(plist)


def check_writable(ref: ParamRef, writes: Sequence[tuple[slice | None, Init]]) -> None:
    """Raise before writing if the parametrization of ``ref`` cannot hold what ``writes``
    (``(rows or None for whole, initializer)`` pairs, in order) would make of it.

    >>> from torch.nn.utils.parametrizations import orthogonal
    >>> from rnninit.layouts import parameters_of
    >>> lstm = orthogonal(nn.LSTM(2, 3), "weight_hh_l0")
    >>> ref = [r for r in parameters_of(lstm, parametrized=True) if r.kind == "recurrent"][0]
    >>> check_writable(ref, [(None, Init("orthogonal"))])  # whole-matrix orthogonal: fine
    >>> check_writable(ref, [(slice(0, 3), Init("orthogonal"))])
    Traceback (most recent call last):
    ...
    rnninit.errors.SchemeError: weight_hh_l0 has an orthogonal parametrization ...
    """
    if not writes or ref.parametrization != "parametrize":
        return
    for p in _chain(ref):
        if not hasattr(p, "right_inverse"):
            raise SchemeError(
                f"{ref.name} has a parametrization ({type(p).__name__}) without right_inverse, "
                f"so its effective weight cannot be set; {_fix(ref)}"
            )
        if isinstance(p, _Orthogonal):
            rows, spec = writes[0]
            whole = rows is None or ref.layout.num_gates == 1 or ref.kind == "projection"
            gain = spec.kwargs.get("gain", 1.0)
            if len(writes) > 1 or not whole or spec.name not in _ORTHOGONAL_SAFE or gain != 1:
                what = (
                    f"a per-gate stack of {ref.layout.num_gates} blocks"
                    if not whole or len(writes) > 1
                    else f"{spec!r}"
                )
                raise SchemeError(
                    f"{ref.name} has an orthogonal parametrization "
                    "(torch.nn.utils.parametrizations.orthogonal), which can only hold an "
                    f"orthogonal matrix, but the scheme writes {what} into it, which is not "
                    f"orthogonal as a whole; {_fix(ref)}, or pass "
                    f"{ref.kind}='orthogonal' with "
                    f"whole=('{ref.kind}',)"
                )


def write_effective(ref: ParamRef, target: torch.Tensor) -> None:
    """Make the effective weight of ``ref`` equal ``target`` (see the module docstring).

    Raises :class:`~rnninit.errors.SchemeError` if the written weight does not reproduce
    ``target`` (the caller restores every tensor).

    >>> from torch.nn.utils.parametrizations import weight_norm
    >>> from rnninit.layouts import parameters_of
    >>> rnn = weight_norm(nn.RNN(2, 3), "weight_hh_l0")
    >>> ref = [r for r in parameters_of(rnn, parametrized=True) if r.kind == "recurrent"][0]
    >>> write_effective(ref, torch.eye(3))
    >>> rnn.weight_hh_l0.tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    module, local = ref.module, ref.local_name
    with torch.no_grad():
        if ref.parametrization == "parametrize":
            with torch.random.fork_rng(devices=[]):
                plist = module.parametrizations[local]  # type: ignore[index]
                assert isinstance(plist, parametrize.ParametrizationList)
                plist.right_inverse(target)
            effective = getattr(module, local)
        elif ref.parametrization == "weight_norm":
            hook = legacy_weight_norm(module)[local]
            getattr(module, local + "_v").copy_(target)
            getattr(module, local + "_g").copy_(torch.norm_except_dim(target, 2, hook.dim))
            effective = hook.compute_weight(module)
            setattr(module, local, effective)
        else:
            raise SchemeError(f"{ref.name} is a plain Parameter; write it directly")
        scale = max(1.0, float(target.abs().max())) if target.numel() else 1.0
        if not torch.allclose(effective, target, rtol=1e-4, atol=1e-5 * scale):
            kind = (
                "legacy weight_norm"
                if ref.parametrization == "weight_norm"
                else ", ".join(type(p).__name__ for p in _chain(ref))
            )
            raise SchemeError(
                f"{ref.name}: after writing through its parametrization ({kind}) the effective "
                "weight differs from the scheme's value (a right_inverse that is not exact, or "
                f"a zero row under weight norm); nothing was changed. {_fix(ref)}"
            )
