"""Which module classes (or instances) have a declared layout: :func:`register_layout`.

A class is declared with a :class:`~rnninit.layouts.Declaration` (or its dict, or a
function of the instance returning one, for a layout that depends on constructor arguments);
subclasses inherit it (the nearest class in the MRO wins), and one instance can carry its own.
PyTorch's classes start declared (:data:`rnninit.layouts._torch.TORCH_LAYOUTS`) and go through
the same lookup.

>>> import torch
>>> from torch import nn
>>> class MyCell(nn.Module):
...     def __init__(self, n_in: int, n_h: int) -> None:
...         super().__init__()
...         self.w = nn.Parameter(torch.zeros(2 * n_h, n_in))
...         self.u = nn.Parameter(torch.zeros(2 * n_h, n_h))
>>> register_layout(MyCell, Declaration("GRU", "zn", input="w", recurrent="u"))
>>> declaration_of(MyCell(3, 4)).gates
('z', 'n')
>>> unregister_layout(MyCell)
>>> declared(MyCell(3, 4)) is None
True
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any, Union

from torch import nn

from ..errors import LayoutError, NotAModuleError, UnsupportedModuleError
from ._declaration import Declaration
from ._torch import TORCH_LAYOUTS

__all__ = ["declaration_of", "declared", "register_layout", "require_module", "unregister_layout"]

#: What a class is registered with: a declaration, or a function of the instance returning one.
Declared = Union[Declaration, Callable[[nn.Module], Declaration]]

_BY_CLASS: dict[type, Declared] = dict(TORCH_LAYOUTS)
_BY_INSTANCE: weakref.WeakKeyDictionary[nn.Module, Declared] = weakref.WeakKeyDictionary()


def _as_declared(declaration: object) -> Declared:
    if isinstance(declaration, Declaration):
        return declaration
    if isinstance(declaration, Mapping):
        return Declaration.from_dict(declaration)
    if callable(declaration) and not isinstance(declaration, type):
        return declaration
    raise LayoutError(
        "declaration must be an rnninit.Declaration, its dict, or a function of the module "
        f"returning one, got {type(declaration).__name__}"
    )


def register_layout(target: type[nn.Module] | nn.Module, declaration: Any) -> None:
    """Declare how ``target`` (a module class, or one module instance) holds its gates.

    ``declaration`` is a :class:`~rnninit.layouts.Declaration`, the dict of its
    :meth:`~rnninit.layouts.Declaration.to_dict`, or a function ``module -> Declaration``.
    Registering a class again replaces its entry. The declaration is checked against each
    instance when first used (:func:`rnninit.layouts.layout_of`).

    Raises:
        UnsupportedModuleError: ``target`` is neither an ``nn.Module`` subclass nor an instance.
        LayoutError: a malformed declaration.

    >>> import torch
    >>> class Minimal(nn.Module):  # h' = (1 - z) * n + z * h, blocks z then n
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.w, self.u = nn.Linear(3, 8), nn.Linear(4, 8, bias=False)
    >>> register_layout(Minimal, {"family": "GRU", "gates": "zn", "input": "w.weight",
    ...                           "recurrent": "u.weight", "bias_ih": "w.bias"})
    >>> from rnninit.layouts import layout_of
    >>> layout_of(Minimal()).hidden_size, layout_of(Minimal()).keep_gate
    (4, 'z')
    >>> unregister_layout(Minimal)
    """
    decl = _as_declared(declaration)
    if isinstance(target, type) and issubclass(target, nn.Module):
        _BY_CLASS[target] = decl
    elif isinstance(target, nn.Module):
        _BY_INSTANCE[target] = decl
    else:
        raise UnsupportedModuleError(
            f"target must be a torch.nn.Module subclass or instance, got {target!r}"
        )


def unregister_layout(target: type[nn.Module] | nn.Module) -> None:
    """Remove the layout registered for exactly ``target`` (a no-op when there is none).

    >>> cell = nn.GRUCell(2, 3)
    >>> register_layout(cell, declaration_of(nn.GRUCell(2, 3)))  # this instance only
    >>> unregister_layout(cell)
    >>> declared(cell) is declared(nn.GRUCell(2, 3))  # back to the class's entry
    True
    """
    if isinstance(target, type):
        _BY_CLASS.pop(target, None)
    elif isinstance(target, nn.Module):
        _BY_INSTANCE.pop(target, None)


def declared(module: object) -> Declared | None:
    """The entry that applies to ``module``: its own, else its class's nearest in the MRO."""
    if not isinstance(module, nn.Module):
        return None
    own = _BY_INSTANCE.get(module)
    if own is not None:
        return own
    for cls in type(module).__mro__:
        entry = _BY_CLASS.get(cls)
        if entry is not None:
            return entry
    return None


def require_module(module: object, argument: str = "module") -> nn.Module:
    """``module`` itself when it is an ``nn.Module``; else the one "not a module" error, naming
    ``argument`` (the caller's parameter name).

    >>> require_module("lstm")
    Traceback (most recent call last):
    ...
    rnninit.errors.NotAModuleError: module='lstm' (str) is not valid; expected a torch.nn.Module
    """
    if not isinstance(module, nn.Module):
        raise NotAModuleError(argument, module, "a torch.nn.Module")
    return module


def declaration_of(module: object) -> Declaration:
    """The :class:`~rnninit.layouts.Declaration` of ``module`` (a function entry called).

    Raises:
        UnsupportedModuleError: ``module`` is not an ``nn.Module``, or nothing is declared for it.
        LayoutError: a function entry that does not return a declaration (or raises one).
    """
    module = require_module(module)
    entry = declared(module)
    if entry is None:
        raise UnsupportedModuleError(
            "expected nn.RNN, nn.LSTM, nn.GRU, a Cell class or a module with a declared "
            f"layout (rnninit.register_layout), got {type(module).__name__}"
        )
    if isinstance(entry, Declaration):
        return entry
    decl = entry(module)
    if not isinstance(decl, Declaration):
        raise LayoutError(
            f"the layout function registered for {type(module).__name__} returned "
            f"{type(decl).__name__}, not an rnninit.Declaration"
        )
    return decl
