"""Load a saved recurrent model (a ``state_dict`` or a whole module) and rebuild its layers.

A ``state_dict`` holds tensors, not module types, so the recurrent layers are inferred from the
parameter names and shapes (PyTorch's names, ``torch/nn/modules/rnn.py``):

* ``weight_ih_l{k}[_reverse]`` etc. mark an ``nn.RNN/LSTM/GRU``; ``weight_ih`` without ``_l{k}``
  marks a Cell. The prefix before the name is the module's qualified name.
* ``num_layers`` is the number of ``_l{k}``, ``bidirectional`` the presence of ``_reverse``,
  ``bias`` the presence of ``bias_ih``, ``input_size`` the columns of ``weight_ih_l0``.
* ``weight_hh`` is ``(G*H, H_out)``. Without ``weight_hr``, ``H = H_out`` and the gate count
  ``G = rows / H`` tells the family: 4 LSTM, 3 GRU, 1 RNN. With ``weight_hr_l{k}``
  (``(proj_size, H)``) the layer is an LSTM with ``proj_size``.

What cannot be inferred, and is said so in the notes: an RNN's nonlinearity (tanh and relu have
the same weights; tanh is assumed unless ``nonlinearity="relu"``), ``batch_first`` and
``dropout`` (they do not change the weights; the defaults are used). ``family=`` overrides the
family; it must agree with the gate count.

Loading uses ``torch.load(weights_only=True)``: it refuses arbitrary pickled objects, because
unpickling can run any code the file's author wrote. A whole pickled module needs
``trust=True`` (only for files from a source you trust).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import CheckpointError
from ..layouts import GATES, is_recurrent

__all__ = ["Loaded", "infer_modules", "load_checkpoint"]

_NAME_RE = re.compile(
    r"^(?P<prefix>(?:.*\.)?)(?P<kind>weight_ih|weight_hh|weight_hr|bias_ih|bias_hh)"
    r"(?P<layer>_l\d+)?(?P<rev>_reverse)?$"
)
_G_FAMILY = {4: "LSTM", 3: "GRU", 1: "RNN"}
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "module", "network")


@dataclass
class Loaded:
    """A checkpoint rebuilt as modules.

    ``model`` holds every recurrent layer under its original qualified name (an empty container
    module with nested children when the checkpoint is a ``state_dict``, or the unpickled module),
    ``notes`` what was inferred and what could not be.

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> path = Path(tempfile.mkdtemp()) / "gru.pt"
    >>> torch.save(nn.GRU(3, 4, num_layers=2).state_dict(), path)
    >>> loaded = load_checkpoint(path)
    >>> type(loaded.model).__name__, loaded.model.num_layers, loaded.source == str(path)
    ('GRU', 2, True)
    """

    model: nn.Module
    source: str
    notes: list[str] = field(default_factory=list)


def _state_dict_of(obj: object, notes: list[str]) -> Mapping[str, torch.Tensor] | nn.Module:
    if isinstance(obj, nn.Module):
        return obj
    if isinstance(obj, Mapping):
        if obj and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
            return obj
        for key in _WRAPPER_KEYS:
            inner = obj.get(key)
            if isinstance(inner, nn.Module) or (
                isinstance(inner, Mapping) and inner and _has_tensors(inner)
            ):
                notes.append(f"using the checkpoint's {key!r} entry")
                return _state_dict_of(inner, notes)
        if _has_tensors(obj):
            tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
            notes.append(f"ignoring {len(obj) - len(tensors)} non-tensor entries")
            return tensors
        if not obj:
            raise CheckpointError("the checkpoint is an empty dict: no parameters at all")
        raise CheckpointError(
            f"the checkpoint is a dict without tensors (keys: {', '.join(map(str, list(obj)[:8]))})"
        )
    raise CheckpointError(
        f"the file holds a {type(obj).__name__}, not a state_dict (a dict of tensors) or a module"
    )


def _has_tensors(d: Mapping[Any, Any]) -> bool:
    return any(isinstance(v, torch.Tensor) for v in d.values())


def load_checkpoint(
    path: str | Path,
    *,
    trust: bool = False,
    family: str | None = None,
    nonlinearity: str | None = None,
) -> Loaded:
    """Load ``path`` and return its recurrent layers as real modules (see the module docstring).

    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from torch import nn
    >>> path = Path(tempfile.mkdtemp()) / "model.pt"
    >>> model = nn.ModuleDict({"enc": nn.LSTM(3, 8, bidirectional=True), "head": nn.Linear(16, 1)})
    >>> torch.save(model.state_dict(), path)
    >>> load_checkpoint(path).model.enc
    LSTM(3, 8, bidirectional=True)

    Raises:
        CheckpointError: missing file, not a checkpoint, no recurrent weights, shapes that fit no
            PyTorch layer, a pickled module without ``trust=True``.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{str(p)!r} is not a file")
    notes: list[str] = []
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        text = str(exc)
        if "weights_only" in text.lower() or "Weights only load failed" in text:
            if not trust:
                raise CheckpointError(
                    f"{p.name} holds pickled Python objects (a whole saved module?), which "
                    "torch.load(weights_only=True) refuses: unpickling can run arbitrary code. "
                    "If you trust the file's source, pass --trust (trust=True)"
                ) from None
            try:
                obj = torch.load(p, map_location="cpu", weights_only=False)
            except Exception as exc2:
                raise CheckpointError(f"cannot load {p.name}: {exc2}") from None
            notes.append("loaded with weights_only=False (--trust): pickled objects were run")
        else:
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            raise CheckpointError(
                f"{p.name} is not a PyTorch checkpoint torch.load can read "
                f"({type(exc).__name__}: {first})"
            ) from None
    content = _state_dict_of(obj, notes)
    if isinstance(content, nn.Module):
        if not any(is_recurrent(m) for m in content.modules()):
            raise CheckpointError(
                f"the saved {type(content).__name__} contains no nn.RNN/LSTM/GRU or Cell"
            )
        notes.append(f"a whole {type(content).__name__} module: types read from the module")
        return Loaded(content, str(p), notes)
    model = infer_modules(content, family=family, nonlinearity=nonlinearity, notes=notes)
    return Loaded(model, str(p), notes)


def _attach(root: nn.Module, qualified: str, module: nn.Module) -> None:
    parts = qualified.split(".")
    node = root
    for part in parts[:-1]:
        child = getattr(node, part, None)
        if not isinstance(child, nn.Module):
            child = nn.Module()
            node.add_module(part, child)
        node = child
    node.add_module(parts[-1], module)


def _build(
    prefix: str,
    entries: dict[str, torch.Tensor],
    family: str | None,
    nonlinearity: str | None,
    notes: list[str],
) -> nn.Module:
    label = prefix.rstrip(".") or "<root>"
    parsed = {k: _NAME_RE.match(k) for k in entries}
    is_cell = all(m is not None and m.group("layer") is None for m in parsed.values())
    l0 = "" if is_cell else "_l0"
    w_ih, w_hh = entries.get(f"weight_ih{l0}"), entries.get(f"weight_hh{l0}")
    if w_ih is None or w_hh is None or w_ih.dim() != 2 or w_hh.dim() != 2:
        raise CheckpointError(
            f"{label}: needs 2-D weight_ih{l0} and weight_hh{l0}; found {sorted(entries)}"
        )
    layers = 1
    if not is_cell:
        ks = [int(m.group("layer")[2:]) for m in parsed.values() if m and m.group("layer")]
        layers = max(ks) + 1
    bidir = any(m is not None and m.group("rev") for m in parsed.values())
    w_hr = entries.get(f"weight_hr{l0}")
    rows, h_out = w_hh.shape
    if w_hr is not None:
        if w_hr.dim() != 2 or w_hr.shape[0] != h_out:
            raise CheckpointError(
                f"{label}: weight_hr{l0} {tuple(w_hr.shape)} does not match weight_hh{l0} "
                f"{tuple(w_hh.shape)} (expected (proj_size={h_out}, H))"
            )
        hidden, proj = int(w_hr.shape[1]), int(h_out)
    else:
        hidden, proj = int(h_out), 0
    if hidden == 0 or rows % hidden != 0 or rows // hidden not in _G_FAMILY:
        raise CheckpointError(
            f"{label}: weight_hh{l0} has shape {tuple(w_hh.shape)}: rows/H = {rows}/{hidden} is "
            "not a gate count of a PyTorch layer (4 LSTM, 3 GRU, 1 RNN)"
        )
    inferred = _G_FAMILY[rows // hidden]
    if family is not None:
        fam = family.upper()
        if fam not in GATES:
            raise CheckpointError(f"--family {family!r}: valid: LSTM, GRU, RNN")
        if fam != inferred:
            raise CheckpointError(
                f"{label}: --family {fam} has {len(GATES[fam])} gates but the weights have "
                f"{rows // hidden} ({inferred}): weight_hh{l0} {tuple(w_hh.shape)}"
            )
    if proj and inferred != "LSTM":
        raise CheckpointError(f"{label}: weight_hr (projection) exists only in LSTMs")
    bias = f"bias_ih{l0}" in entries
    kwargs: dict[str, Any] = {"bias": bias}
    what = f"{label}: {inferred}{'Cell' if is_cell else ''}(input_size={w_ih.shape[1]}, "
    what += f"hidden_size={hidden}"
    if inferred == "RNN":
        nl = nonlinearity or "tanh"
        kwargs["nonlinearity"] = nl
        what += f", nonlinearity={nl!r}"
        if nonlinearity is None:
            notes.append(
                f"{label}: an RNN's nonlinearity cannot be read from its weights; assuming "
                "'tanh' (pass --nonlinearity relu if it is a relu RNN)"
            )
    if not is_cell:
        kwargs.update(num_layers=layers, bidirectional=bidir)
        if proj:
            kwargs["proj_size"] = proj
        what += f", num_layers={layers}, bidirectional={bidir}, proj_size={proj}"
    what += f", bias={bias})"
    notes.append(what + " inferred from parameter names and shapes")
    cls: type[nn.Module] = {
        ("LSTM", False): nn.LSTM,
        ("GRU", False): nn.GRU,
        ("RNN", False): nn.RNN,
        ("LSTM", True): nn.LSTMCell,
        ("GRU", True): nn.GRUCell,
        ("RNN", True): nn.RNNCell,
    }[(inferred, is_cell)]
    try:
        module = cls(int(w_ih.shape[1]), hidden, **kwargs)
    except Exception as exc:
        raise CheckpointError(f"{label}: cannot build {cls.__name__}: {exc}") from None
    module.to(dtype=w_hh.dtype)
    try:
        module.load_state_dict(dict(entries), strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise CheckpointError(
            f"{label}: the weights do not fit {cls.__name__} with the inferred sizes "
            f"(inconsistent shapes or missing parameters): {detail}"
        ) from None
    return module


def infer_modules(
    state: Mapping[str, torch.Tensor],
    *,
    family: str | None = None,
    nonlinearity: str | None = None,
    notes: list[str] | None = None,
) -> nn.Module:
    """Rebuild the recurrent layers of a ``state_dict`` into a container module.

    Each group of recurrent parameter names with a common prefix becomes a real
    ``nn.LSTM/GRU/RNN`` (or Cell) at that qualified name, with the weights loaded strictly. Other
    parameters (embeddings, heads) are skipped and counted in ``notes``. The family comes from
    the gate count ``G = rows(weight_hh) / H`` (4 LSTM, 3 GRU, 1 RNN; PyTorch's row order).

    >>> import torch
    >>> from torch import nn
    >>> notes: list[str] = []
    >>> sd = nn.LSTM(3, 8, num_layers=2, proj_size=4).state_dict()
    >>> infer_modules(sd, notes=notes)
    LSTM(3, 8, proj_size=4, num_layers=2)
    """
    notes = notes if notes is not None else []
    if nonlinearity is not None and nonlinearity not in ("tanh", "relu"):
        raise CheckpointError(f"--nonlinearity {nonlinearity!r}: valid: tanh, relu")
    groups: dict[str, dict[str, torch.Tensor]] = {}
    other = 0
    for key, value in state.items():
        m = _NAME_RE.match(key)
        if m is None:
            other += 1
            continue
        local = key[len(m.group("prefix")) :]
        groups.setdefault(m.group("prefix"), {})[local] = value
    if not groups:
        shown = ", ".join(list(state)[:6])
        raise CheckpointError(
            f"no recurrent weights (weight_ih_l0 / weight_hh_l0 / ...) among the {len(state)} "
            f"entries ({shown}{', ...' if len(state) > 6 else ''})"
        )
    if other:
        notes.append(f"{other} non-recurrent entries skipped (embeddings, heads, buffers...)")
    root = nn.Module()
    for prefix, entries in groups.items():
        module = _build(prefix, entries, family, nonlinearity, notes)
        if prefix:
            _attach(root, prefix.rstrip("."), module)
        else:
            if len(groups) > 1:
                raise CheckpointError("recurrent weights both at the top level and nested")
            return module
    return root
