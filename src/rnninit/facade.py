"""``init_``: the library's main entry point, dispatching to a fixed recipe or to ``auto``.

The data flow, one step per module, top to bottom::

    init_(module, scheme, **overrides)                    rnninit.facade (this module)
      -> the keywords split once: overrides | scheme parameters   rnninit.schemes
      -> "auto": calibrate on data, then the overrides    rnninit.auto
      -> otherwise the recipe                             rnninit.schemes, rnninit.schemes
      -> plan                                             rnninit.schemes
      -> validation                                       rnninit.schemes
      -> draw, then the atomic write                      rnninit.schemes, rnninit.schemes

>>> import torch
>>> lstm = init_(torch.nn.LSTM(3, 4), "chrono", max_timescale=50, generator=torch.Generator())
>>> bool(((lstm.bias_ih_l0 + lstm.bias_hh_l0)[4:8] > 0).all())  # forget gate, rows H:2H
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import torch
from torch import nn
from typing_extensions import Unpack

from .auto._scheme import auto_then_
from .errors import SchemeError
from .layouts import require_module, warn_undeclared
from .schemes import AUTO, KEEP, InitKwargs, build_recipe
from .schemes._apply import apply_recipe
from .schemes._overrides import Explicit, split_overrides
from .schemes._recipes import Recipe

__all__ = ["init_"]

M = TypeVar("M", bound=nn.Module)


def init_(
    module: M,
    scheme: str | Recipe | Mapping[str, Any] | None = None,
    *,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    generator: torch.Generator | None = None,
    **overrides: Unpack[InitKwargs],
) -> M:
    """Initialize every recurrent layer in ``module`` gate by gate, in place; return ``module``.

    Args:
        module: an ``nn.RNN/LSTM/GRU``, a Cell, or any module containing them.
        scheme: a name from :data:`rnninit.schemes.SCHEMES` (``"orthogonal"``, ``"chrono"``,
            ``"keras"``, ...), ``"auto"`` (calibrated on ``data=``, see
            :func:`rnninit.auto.auto_init_`), a :class:`Recipe`, or a recipe dict. ``None``
            keeps every parameter and applies only the overrides.
        include: glob patterns on qualified module names choosing the layers (a
            ``torch.compile``'d model matches with or without its ``_orig_mod.`` prefix).
        exclude: glob patterns of layers to leave out (matched like ``include``).
        generator: a ``torch.Generator`` for reproducible draws (same seed, same bits).
        overrides: the override keywords of :class:`~rnninit.schemes._overrides.Overrides`
            (``input``, ``recurrent``, ``projection``, ``bias``, ``bias_hn``, ``gates``,
            ``forget_bias``, ``whole``, ``layers``) and the scheme's parameters
            (``max_timescale=`` for
            ``"chrono"``, ...). ``bias`` is the effective gate bias ``b_ih + b_hh`` (written into
            ``b_ih``, ``b_hh`` zeroed); precedence ``gates`` > ``layers`` > the scheme.

    The equations and gate rows are in :mod:`rnninit.layouts`; the schemes in
    ``docs/recipes.md``; the steps in :mod:`rnninit.schemes`. Parametrized weights
    (``torch.nn.utils.parametrize``, e.g. ``weight_norm``, and the legacy ``weight_norm`` hook)
    are initialized through their ``right_inverse`` so that the *effective* weight gets the
    scheme; a parametrization that cannot hold it (e.g. ``orthogonal`` on a per-gate orthogonal
    stack) raises before anything is written.

    Raises:
        UnknownNameError: unknown scheme, initializer, gate, layer index or keyword (nearest
            name suggested).
        SchemeError: the scheme or an override cannot apply to the selected layers (also
            InitializerError, NoRecurrentModuleError, NonFiniteError for a NaN or inf value,
            ArgumentTypeError for an argument of the wrong type). On any error the module is
            left bit-identical to before.

    >>> lstm = torch.nn.LSTM(3, 4)
    >>> _ = init_(lstm, "orthogonal", forget_bias=2.0, generator=torch.Generator().manual_seed(0))
    >>> (lstm.bias_ih_l0[4:8] + lstm.bias_hh_l0[4:8]).tolist()  # rows H:2H, the forget gate
    [2.0, 2.0, 2.0, 2.0]
    """
    require_module(module)
    given, scheme_params = split_overrides(overrides)
    if isinstance(scheme, str) and scheme == AUTO:
        auto_then_(module, scheme_params, given, include, exclude, generator)
        warn_undeclared(module, include, exclude)  # no silent skip
        return module
    if scheme is None:
        if not given and not scheme_params:
            raise SchemeError(
                "init_ needs a scheme (e.g. init_(model, 'orthogonal')) or at least one override "
                "(e.g. forget_bias=1.0); with scheme=None only the overrides are applied"
            )
        scheme = KEEP
    r = build_recipe(scheme, given, scheme_params)
    apply_recipe(
        module,
        r,
        include=include,
        exclude=exclude,
        generator=generator,
        explicit=Explicit.of(given),
    )
    warn_undeclared(module, include, exclude)  # no silent skip
    return module
