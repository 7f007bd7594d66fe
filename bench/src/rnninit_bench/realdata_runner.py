"""Train one real-data configuration (classification, char-LM, forecasting) into a record.

:func:`run_realdata` gives a record of the same form as
:func:`rnninit_bench.runner.run_config` (which dispatches here for a real-data task), so the
results store, the report and the plots read it unchanged. Every run is a pure function of its
:class:`~rnninit_bench.config.RunConfig`: ``torch.manual_seed`` for the heads and embeddings,
generators derived from the config for the recurrent weights, the data order and ``auto``'s
calibration batches. Adam with ``config.lr``, gradient-norm clip ``config.clip``.

* classification: ``config.steps`` optimizer steps over epochs of a fresh permutation of the
  training set in batches of ``config.batch``; test accuracy on the whole test set.
* char-LM: ``config.batch`` streams, chunks of ``config.length`` characters (stateful
  truncated BPTT); validation bits per character on the first ``config.test_size`` validation
  characters, read as 20 stateful streams.
* forecasting: random batches of fitting windows of ``config.length`` values, relative to
  each window's last value; validation and test MASE every ``config.eval_every`` steps, the
  test MASE reported from the evaluation with the lowest validation MASE (early stopping after
  :data:`~rnninit_bench.realdata_forecast.PATIENCE` steps without a lower one).

Every record holds ``wall_seconds``, ``seconds_per_step``, ``cores`` (torch threads) and
``load_avg`` (the machine's 1-minute load average as the run ended: the CPU was shared).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .config import RunConfig
from .realdata_classify import ClassifyModel, load_classify
from .realdata_forecast import PATIENCE, ForecastModel, load_forecast, mase
from .realdata_registry import family, task_version
from .realdata_text import VALID_CHARS, CharCorpus, CharLM, bits_per_char, load_kjv
from .starts import CALIBRATION_BATCHES, init_start
from .tasks import seed_of

__all__ = ["EVAL_STREAMS", "run_realdata"]

#: Parallel streams the validation text is read in (each from a zero state).
EVAL_STREAMS = 20

_Step = Callable[[], torch.Tensor]
_Eval = Callable[[], dict[str, float]]


@dataclass
class _Selection:
    """Early stopping on the metric ``key`` (lower is better): the metrics of the evaluation
    where it was lowest (the first, on a tie), and whether ``patience`` steps passed since."""

    key: str
    patience: int
    best: dict[str, float] | None = None
    best_step: int = 0

    def update(self, at: int, metrics: dict[str, float]) -> bool:
        """Take the evaluation at step ``at``; whether to stop."""
        value = metrics[self.key]
        if self.best is None or value < self.best[self.key]:
            self.best, self.best_step = dict(metrics), at
        return at - self.best_step >= self.patience


def _train(
    config: RunConfig,
    model: nn.Module,
    step_loss: _Step,
    evaluate: _Eval,
    progress: Callable[[int], None] | None,
    select: _Selection | None = None,
) -> dict[str, Any]:
    """The shared loop: ``step_loss()`` gives one batch's loss; metrics every
    ``config.eval_every`` steps and at the end. With ``select``, the final metrics are those of
    the evaluation ``select`` chose, and the loop stops when ``select`` says so."""
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    curve: dict[str, list[float]] = {"step": [], "train_loss": []}
    evals: dict[str, list[float]] = {"step": []}
    window: list[float] = []
    diverged = False
    stopped = False
    train_seconds = 0.0
    pending = 0
    step = 0

    def record_eval(at: int) -> bool:
        model.eval()
        with torch.no_grad():
            metrics = evaluate()
        model.train()
        evals["step"].append(at)
        for k, v in metrics.items():
            evals.setdefault(k, []).append(v)
        return select is not None and select.update(at, metrics)

    while step < config.steps and not stopped:
        ts = time.perf_counter()
        loss = step_loss()
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        opt.step()
        train_seconds += time.perf_counter() - ts
        step += 1
        pending += 1
        value = float(loss.detach())
        if not math.isfinite(value):
            diverged = True
            break
        window.append(value)
        if step % config.log_every == 0 or step == config.steps:
            curve["step"].append(step)
            curve["train_loss"].append(sum(window) / len(window))
            window = []
            if progress is not None:
                progress(pending)
                pending = 0
        if step % config.eval_every == 0 or step == config.steps:
            stopped = record_eval(step)
    if progress is not None and pending:
        progress(pending)
    if not evals["step"] or evals["step"][-1] != step:
        record_eval(step)
    final = {k: v[-1] for k, v in evals.items() if k != "step"}
    chosen = {}
    if select is not None and select.best is not None:
        final = dict(select.best)
        chosen = {"selected_step": select.best_step, "selected_by": select.key}
    if diverged:
        final = {k: (0.0 if k == "test_accuracy" else math.nan) for k in final}
    return {
        "curve": curve,
        "evals": evals,
        "final": final,
        "steps_run": step,
        "diverged": diverged,
        "seconds_per_step": train_seconds / max(step, 1),
        **chosen,
    }


def _classify(config: RunConfig) -> tuple[dict[str, Any], nn.Module, _Step, _Eval, float]:
    name = config.task.split("-", 1)[1]
    data = load_classify(name, standardized=config.task.startswith("cls-"))
    n_cls = len(data.classes)
    model = ClassifyModel(config.cell, data.input_size, config.hidden, n_cls)
    n = data.x_train.shape[0]
    g_data = torch.Generator().manual_seed(seed_of("train-data", config.seed))

    def batches(g: torch.Generator) -> Iterator[torch.Tensor]:
        while True:
            order = torch.randperm(n, generator=g)
            yield from (order[i : i + config.batch] for i in range(0, n, config.batch))

    stream = batches(g_data)
    g_cal = torch.Generator().manual_seed(seed_of("calibration", config.seed))
    cal = batches(g_cal)
    calibration = []
    for _ in range(CALIBRATION_BATCHES):
        idx = next(cal)
        calibration.append((data.x_train[idx], data.len_train[idx]))

    def step_loss() -> torch.Tensor:
        idx = next(stream)
        logits = model(data.x_train[idx], data.len_train[idx])
        return nn.functional.cross_entropy(logits, data.y_train[idx])

    def evaluate() -> dict[str, float]:
        logits = model(data.x_test, data.len_test)
        return {
            "test_loss": float(nn.functional.cross_entropy(logits, data.y_test)),
            "test_accuracy": float((logits.argmax(-1) == data.y_test).float().mean()),
        }

    task = {"baseline": math.log(n_cls), "metric": "accuracy", "classes": n_cls,
            "n_train": n, "n_test": int(data.x_test.shape[0]),
            "max_length": int(data.x_train.shape[1])}  # fmt: skip
    init_start(model, config, float(data.x_train.shape[1]), calibration)
    return task, model, step_loss, evaluate, float(data.x_train.shape[1])


def _text(config: RunConfig) -> tuple[dict[str, Any], nn.Module, _Step, _Eval, float]:
    corpus = _corpus()
    vocab = len(corpus.vocab)
    model = CharLM(config.cell, vocab, config.hidden)
    streams = corpus.streams("train", config.batch)
    bptt = config.length
    chunks = (streams.shape[1] - 1) // bptt
    pos = {"k": 0}
    state: dict[str, Any] = {"h": None}

    def chunk(k: int) -> tuple[torch.Tensor, torch.Tensor]:
        a = (k % chunks) * bptt
        return streams[:, a : a + bptt], streams[:, a + 1 : a + bptt + 1]

    def detach(h: Any) -> Any:
        return tuple(t.detach() for t in h) if isinstance(h, tuple) else h.detach()

    def step_loss() -> torch.Tensor:
        k = pos["k"]
        if k % chunks == 0:
            state["h"] = None  # back at the start of the streams
        x, y = chunk(k)
        logits, h = model.step(x, state["h"])
        state["h"] = detach(h)
        pos["k"] = k + 1
        return nn.functional.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))

    n_val = min(config.test_size, corpus.valid.numel())
    per = (n_val - 1) // EVAL_STREAMS
    valid = corpus.valid[: per * EVAL_STREAMS + 1]
    vx = valid[:-1].reshape(EVAL_STREAMS, per)
    vy = valid[1:].reshape(EVAL_STREAMS, per)

    def evaluate() -> dict[str, float]:
        h: Any = None
        total = 0.0
        for a in range(0, per, 500):
            logits, h = model.step(vx[:, a : a + 500], h)
            total += bits_per_char(logits, vy[:, a : a + 500]) * logits.shape[0] * logits.shape[1]
        bpc = total / (per * EVAL_STREAMS)
        return {"test_loss": bpc, "test_bpc": bpc}

    task = {
        "baseline": math.log2(vocab),
        "metric": "bpc",
        "vocab": vocab,
        "train_chars": int(corpus.train.numel()),
        "valid_chars": per * EVAL_STREAMS,
    }
    init_start(model, config, float(bptt), [chunk(k)[0] for k in range(CALIBRATION_BATCHES)])
    return task, model, step_loss, evaluate, float(bptt)


_CORPUS: list[CharCorpus] = []


def _corpus() -> CharCorpus:
    if not _CORPUS:
        _CORPUS.append(CharCorpus.from_text(load_kjv(), VALID_CHARS))
    return _CORPUS[0]


def _forecast(config: RunConfig) -> tuple[dict[str, Any], nn.Module, _Step, _Eval, float]:
    data = load_forecast(config.task.split("-", 1)[1])
    if config.length != data.width:
        raise ValueError(
            f"task {config.task!r} reads windows of {data.width} values; got length={config.length}"
        )
    model = ForecastModel(config.cell, config.hidden)
    xw, yw, _ = data.fit_windows()
    xv, _, last_v = data.valid_windows()
    xt, _, last = data.test_windows()
    actual = data.values[data.n_train :]
    actual_v = data.values[data.n_fit : data.n_train]
    g_data = torch.Generator().manual_seed(seed_of("train-data", config.seed))
    g_cal = torch.Generator().manual_seed(seed_of("calibration", config.seed))

    def draw(g: torch.Generator) -> torch.Tensor:
        return torch.randint(0, xw.shape[0], (config.batch,), generator=g)

    def step_loss() -> torch.Tensor:
        idx = draw(g_data)
        return nn.functional.mse_loss(model(xw[idx]), yw[idx])

    naive = data.naive_test()
    naive_mae = float((actual - naive).abs().mean())

    def evaluate() -> dict[str, float]:
        pred = data.forecast(last, model(xt)[:, 0])
        value = mase(actual, pred, data.train, data.period)
        mae = float((actual - pred).abs().mean())
        valid = mase(actual_v, data.forecast(last_v, model(xv)[:, 0]), data.fit, data.period)
        return {"test_loss": value, "test_mase": value, "rel_mae": mae / naive_mae,
                "valid_mase": valid}  # fmt: skip

    task = {"baseline": 1.0, "metric": "mase", "n_train": data.n_train, "n_fit": data.n_fit,
            "n_test": int(actual.numel()), "period": data.period,
            "naive_mase": mase(actual, naive, data.train, data.period)}  # fmt: skip
    init_start(model, config, float(data.width), [xw[draw(g_cal)] for _ in range(4)])
    return task, model, step_loss, evaluate, float(data.width)


_BUILDERS = {"classify": _classify, "text": _text, "forecast": _forecast}


def run_realdata(
    config: RunConfig, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Train the real-data configuration ``config``; the record (without ``versions``).

    Raises:
        MissingDataError: the data's package (the ``realdata`` extra) is not installed.

    >>> c = RunConfig("fc-Lynx", 22, "lstm", "auto", hidden=4, batch=8, steps=3, test_size=23)
    >>> rec = run_realdata(c)
    >>> rec["steps_run"], rec["task"]["metric"], sorted(rec["final"])
    (3, 'mase', ['rel_mae', 'test_loss', 'test_mase', 'valid_mase'])
    """
    if config.state != "zeros":
        raise ValueError(f"real-data tasks start from zero states; got state={config.state!r}")
    t0 = time.perf_counter()
    torch.manual_seed(seed_of("torch", config.seed))
    kind = family(config.task)
    task, model, step_loss, evaluate, t_max = _BUILDERS[kind](config)
    select = _Selection("valid_mase", PATIENCE) if kind == "forecast" else None
    out = _train(config, model, step_loss, evaluate, progress, select)
    return {
        "id": config.id,
        "config": config.to_dict(),
        "task": {
            **task,
            "solve_loss": None,
            "solve_accuracy": None,
            "chrono_tmax": t_max,
            "version": task_version(config.task),
        },
        "solved": False,
        "steps_to_solve": None,
        **out,
        "wall_seconds": time.perf_counter() - t0,
        "cores": torch.get_num_threads(),
        "load_avg": os.getloadavg()[0],  # the machine's 1-minute load when the run ended
    }
