r"""A Lightning callback that starts a model's recurrent layers when fitting starts.

Forecasting libraries build the model and own the training loop: pytorch-forecasting's
``DeepAR`` and ``RecurrentNetwork``, neuralforecast's ``LSTM``/``GRU``, and the models darts
(``RNNModel``, ``BlockRNNModel``) and GluonTS (``DeepAREstimator``) build lazily, inside
``fit`` / ``train``. Each of them accepts Lightning callbacks, so :class:`RnnInit` reaches the
model however it is built, without a subclass: pass it in the trainer's callbacks
(``Trainer(callbacks=[...])``, darts' ``pl_trainer_kwargs``, GluonTS' ``trainer_kwargs``).

When training starts (Lightning's ``on_train_start``: after the sanity check, before the
first optimizer step), :class:`RnnInit` calls

$$
\texttt{rnninit.init\_}(\text{the LightningModule}, \text{scheme},
\text{include}, \text{exclude}, \text{generator}, \ast\ast\text{overrides})
$$

once, in place under ``torch.no_grad()`` on the Parameters the optimizer already holds (see
:func:`rnninit.init_`: atomic, typed errors). For ``"auto"`` it first draws ``batches``
batches from the trainer's training loader (moved to the module's device by the trainer's
own transfer hooks) and calibrates on them (``data=`` of :func:`rnninit.auto.auto_init_`).
Drawing them starts one more pass over the loader: a shuffling loader draws that pass's order
from torch's global RNG, so the training order differs from a run without the callback.

**Never again on resume.** Its state (``applied``, the step) is saved in every checkpoint
(``state_dict``); when fitting resumes from a checkpoint in which it had applied, or at any
``trainer.global_step > 0`` (a checkpoint saved without it, a second ``fit`` on the same
trainer), the restored weights are left as they are.

Works with ``lightning`` (``lightning.pytorch``: pytorch-forecasting, GluonTS) and with
``pytorch_lightning`` (darts, neuralforecast): the callback subclasses the ``Callback`` of each
one installed. ``pip install rnninit[lightning]``.

>>> import lightning.pytorch as pl, torch
>>> from rnninit.integrations.lightning import RnnInit
>>> class Model(pl.LightningModule):
...     def __init__(self):
...         super().__init__()
...         self.lstm, self.head = torch.nn.LSTM(2, 8, batch_first=True), torch.nn.Linear(8, 1)
...     def forward(self, x):
...         return self.head(self.lstm(x)[0][:, -1])
...     def training_step(self, batch, batch_idx):
...         x, y = batch
...         return torch.nn.functional.mse_loss(self(x), y)
...     def configure_optimizers(self):
...         return torch.optim.SGD(self.parameters(), lr=0.0)  # lr 0: the start stays visible
>>> data = torch.utils.data.TensorDataset(torch.randn(16, 30, 2), torch.randn(16, 1))
>>> model = Model()
>>> trainer = pl.Trainer(max_steps=1, callbacks=[RnnInit("auto", generator=0)], logger=False,
...                      enable_checkpointing=False, enable_progress_bar=False,
...                      enable_model_summary=False, accelerator="cpu")
>>> trainer.fit(model, torch.utils.data.DataLoader(data, batch_size=8))
>>> b_f = (model.lstm.bias_ih_l0 + model.lstm.bias_hh_l0)[8:16]  # rows H:2H, the forget gate
>>> bool((b_f > 0).all()), trainer.callbacks[0].applied
(True, True)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..errors import ArgumentTypeError, ArgumentValueError, UnknownNameError
from ..facade import init_
from ..schemes import AUTO, AUTO_PARAMS, KEEP, SCHEME_NAMES, Recipe, check_arguments, recipe
from ._supplied import refuse_supplied

__all__ = ["INPUTS", "RnnInit"]

#: The named ways ``inputs=`` runs the module on a batch for ``"auto"``:
#: ``"training_step"`` (the default) calls ``module.training_step(batch, 0)``, the library's own
#: training path, so every LightningModule's batch works as it is (its ``self.log`` and
#: ``self.log_dict`` are silenced while calibrating); ``"forward"`` calls ``module(...)`` with
#: the batch read by rnninit's rule (:func:`rnninit.auto.auto_init_`'s rule: a tensor is the
#: input, ``(inputs, targets)`` gives the inputs, a dict the keyword arguments or the one
#: argument: pytorch-forecasting's ``(x_dict, y)`` gives ``module(x_dict)``).
INPUTS: tuple[str, ...] = ("training_step", "forward")

#: The keywords of ``auto`` that the callback supplies itself (from the training loader).
_SUPPLIED: tuple[str, ...] = ("data", "lengths", "max_batches")


def _callback_bases() -> tuple[type, ...]:
    """The ``Callback`` class of each Lightning package installed (one class serves both)."""
    bases: list[type] = []
    with contextlib.suppress(ImportError):
        from lightning.pytorch import Callback

        bases.append(Callback)
    with contextlib.suppress(ImportError):
        from pytorch_lightning import Callback as PLCallback

        if PLCallback not in bases:
            bases.append(PLCallback)
    if not bases:
        raise ImportError(
            "rnninit.integrations.lightning needs lightning (or pytorch_lightning): "
            'pip install "rnninit[lightning]"'
        )
    return tuple(bases)


if TYPE_CHECKING:
    _Base = object
else:
    _Base = type("_LightningCallback", _callback_bases(), {})


def _generator(value: object) -> torch.Generator | None:
    if value is None or isinstance(value, torch.Generator):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return torch.Generator().manual_seed(value)
    raise ArgumentTypeError("generator", value, "a torch.Generator, a seed (int >= 0) or None")


def _validate(scheme: object, overrides: dict[str, Any]) -> None:
    """Every keyword checked now, on no model (typed errors naming the argument)."""
    if isinstance(scheme, str):
        if scheme not in SCHEME_NAMES:
            raise UnknownNameError("scheme", scheme, SCHEME_NAMES)
    elif not isinstance(scheme, Recipe | Mapping):
        raise ArgumentTypeError("scheme", scheme, "a scheme name, a Recipe or a recipe dict")
    refuse_supplied(
        overrides, _SUPPLIED, "by RnnInit, from the training loader (batches= says how many)"
    )
    if scheme != AUTO:
        recipe(scheme, **overrides)  # raises on a bad keyword
        return
    constants = {k: v for k, v in overrides.items() if k in AUTO_PARAMS}
    rest = {k: v for k, v in overrides.items() if k not in AUTO_PARAMS}
    recipe(KEEP, **rest)  # the overrides applied after the calibration
    probe = nn.LSTM(1, 1)  # auto's constants checked without data (a long horizon stands in)
    init_(probe, AUTO, **{"horizon": 1e4, **constants})


@contextlib.contextmanager
def _training_step_as_forward(module: Any) -> Iterator[None]:
    """``module(batch)`` runs ``module.training_step(batch, 0)`` (whose own calls of ``module``
    run its forward), with logging silenced."""
    names = ("forward", "log", "log_dict")
    saved: dict[str, Any] = {k: module.__dict__[k] for k in names if k in module.__dict__}
    step, own = module.training_step, module.forward
    depth = [0]

    def forward(*args: Any, **kwargs: Any) -> object:
        if depth[0]:  # the training step calling the module itself: its own forward
            return own(*args, **kwargs)
        depth[0] += 1
        try:
            return step(args[0], 0)
        finally:
            depth[0] -= 1

    def silent(*args: object, **kwargs: object) -> None:
        return None

    object.__setattr__(module, "forward", forward)
    object.__setattr__(module, "log", silent)
    object.__setattr__(module, "log_dict", silent)
    try:
        yield
    finally:
        for key in names:
            module.__dict__.pop(key, None)
        module.__dict__.update(saved)


class RnnInit(_Base):
    r"""Start the LightningModule's recurrent layers with ``scheme`` once, when fitting starts.

    Args:
        scheme: ``"auto"`` (default: calibrated on the first ``batches`` training batches),
            any name of :data:`rnninit.schemes.SCHEMES`, a :class:`rnninit.schemes.Recipe` or a
            recipe dict.
        inputs: for ``"auto"``, how a batch runs the module: ``"training_step"`` (default: the
            module's own training step, whatever its batch format: darts, GluonTS,
            pytorch-forecasting, neuralforecast), ``"forward"`` (rnninit's batch rule on
            ``module(...)``, see :data:`INPUTS`), or a function from one batch to the
            arguments of ``module.forward`` (a tensor, a tuple of positional arguments or a
            dict of keyword arguments).
        batches: for ``"auto"``, how many training batches to calibrate on (default 1).
        generator: a ``torch.Generator`` or an int seed for reproducible draws (an int is
            stored, not a generator, so the callback pickles with the model, as darts saves
            it); ``None`` draws from torch's global RNG (``seed_everything`` makes it
            reproducible).
        include: glob patterns on the module's qualified names choosing the layers.
        exclude: glob patterns of layers to leave out.
        overrides: every keyword of :func:`rnninit.init_` for the scheme: overrides
            (``forget_bias=``, ``gates=``, ...), the scheme's parameters (``max_timescale=``
            for chrono) and ``auto``'s (``targets="every_step"``, ``horizon=``, ``reach=``,
            ...); not ``data``, ``lengths``, ``max_batches`` (taken from the loader).

    Every argument is checked here, before any training (typed errors naming the argument and
    the valid choices; an unknown scheme suggests the nearest name). Attributes ``applied``
    (whether this callback, or the one whose state a resumed checkpoint holds, started the
    model) and ``step`` (the global step it did so at).

    Raises:
        UnknownNameError: an unknown scheme, ``inputs`` name or keyword.
        ArgumentTypeError: an argument of the wrong type.
        ArgumentValueError: ``batches`` not a positive int, ``inputs`` or ``batches`` given
            with a named scheme, a keyword the loader supplies; any error of
            :func:`rnninit.init_` on a bad override value.

    >>> import rnninit
    >>> cb = RnnInit("orthogonal", forget_bias=1.0)
    >>> cb.scheme, cb.applied
    ('orthogonal', False)
    >>> try:
    ...     RnnInit("orthogonl")
    ... except rnninit.errors.UnknownNameError as e:
    ...     print(e.suggestion)
    orthogonal
    """

    def __init__(
        self,
        scheme: str | Recipe | Mapping[str, Any] = AUTO,
        *,
        inputs: str | Callable[[Any], Any] = "training_step",
        batches: int = 1,
        generator: torch.Generator | int | None = None,
        include: str | Sequence[str] | None = None,
        exclude: str | Sequence[str] | None = None,
        **overrides: Any,
    ) -> None:
        _validate(scheme, overrides)
        if isinstance(inputs, str):
            if inputs not in INPUTS:
                raise UnknownNameError("inputs", inputs, INPUTS)
        elif not callable(inputs):
            raise ArgumentTypeError(
                "inputs", inputs, f"one of {', '.join(INPUTS)} or a function of one batch"
            )
        if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
            raise ArgumentValueError("batches", batches, "a positive int (training batches)")
        if scheme != AUTO and (inputs != "training_step" or batches != 1):
            which = "inputs" if inputs != "training_step" else "batches"
            raise ArgumentValueError(
                which,
                inputs if which == "inputs" else batches,
                f"left out: {which}= is for scheme 'auto' (the calibration batches)",
            )
        _generator(generator)
        check_arguments(include, exclude, None)  # include=, exclude= (generator: a seed too)
        self.scheme = scheme
        self.inputs = inputs
        self.batches = batches
        self.generator = generator
        self.include = include
        self.exclude = exclude
        self.overrides = overrides
        self.applied = False
        self.step: int | None = None
        self._restored = False

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint (scheme and selection in it, so
        that two ``RnnInit`` callbacks of one trainer keep separate states)."""
        return f"RnnInit{{scheme={self.scheme!r}, include={self.include!r}, " + (
            f"exclude={self.exclude!r}}}"
        )

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps: whether the start was made, and at which step."""
        return {"applied": self.applied, "step": self.step, "scheme": repr(self.scheme)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore from a checkpoint: a start already made is not made again."""
        self._restored = bool(state_dict.get("applied", False))
        self.applied = self._restored or self.applied
        self.step = state_dict.get("step", self.step)

    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        """A new fit: forget what an earlier checkpoint said (Lightning restores after this)."""
        if stage == "fit":
            self._restored = False

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Start the model once: not on resume, not past step 0."""
        if self._restored or int(trainer.global_step) > 0:
            return
        gen = _generator(self.generator)
        selection: dict[str, Any] = {"include": self.include, "exclude": self.exclude}
        if self.scheme != AUTO:
            init_(pl_module, self.scheme, generator=gen, **selection, **self.overrides)
        else:
            data = self._first_batches(trainer)
            kwargs = {**selection, **self.overrides, "max_batches": len(data)}
            if self.inputs == "training_step":
                with _training_step_as_forward(pl_module):
                    init_(pl_module, AUTO, data=data, inputs=_one, generator=gen, **kwargs)
            else:
                inputs = None if self.inputs == "forward" else self.inputs
                init_(pl_module, AUTO, data=data, inputs=inputs, generator=gen, **kwargs)
        self.applied = True
        self.step = int(trainer.global_step)

    def _first_batches(self, trainer: Any) -> list[Any]:
        loader = trainer.train_dataloader
        if loader is None:
            raise ArgumentValueError("trainer", trainer, "a trainer fitting on a training loader")
        out: list[Any] = []
        for batch in loader:
            out.append(trainer.strategy.batch_to_device(batch, dataloader_idx=0))
            if len(out) >= self.batches:
                break
        if not out:
            raise ArgumentValueError("trainer", trainer, "a training loader with a batch")
        return out


def _one(batch: object) -> tuple[object]:
    """The whole batch as the one argument of the stand-in forward (the training step)."""
    return (batch,)
