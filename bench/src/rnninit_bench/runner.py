"""Train one configuration (:func:`run_config`) or a sweep of them (:func:`run_sweep`).

:func:`run_config` is a pure function of its :class:`RunConfig`: ``torch.manual_seed(seed)`` for
the head, and ``torch.Generator`` objects derived from the config for the recurrent weights, the
training batches and the state draws. :func:`run_sweep` skips ids already in the results file,
runs the rest serially or in a pool of spawned processes (one thread each), and appends each
result as one JSON line as soon as it finishes.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnninit import __version__

from .config import RunConfig
from .models import SeqModel
from .realdata_registry import is_realdata
from .realdata_runner import run_realdata
from .results import ResultsStore
from .starts import CALIBRATION_BATCHES, init_start
from .tasks import Task, make_task, seed_of

__all__ = ["evaluate", "run_config", "run_sweep", "versions"]


def versions() -> dict[str, str]:
    """Versions of the pieces a result depends on."""
    return {
        "rnninit": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def _loss(task: Task, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if task.loss == "mse":
        return nn.functional.mse_loss(pred, y)
    return nn.functional.cross_entropy(pred.reshape(-1, pred.shape[-1]), y.reshape(-1))


@torch.no_grad()
def evaluate(model: SeqModel, task: Task, seed: int) -> dict[str, float]:
    """Test loss, test accuracy (classification) and, for ``echo``, the loss on the first steps.

    The test set is one batch (so batch-size-dependent states see the test batch size).
    """
    model.eval()
    x, y = task.test_set()
    g = torch.Generator().manual_seed(seed_of("eval-state", seed))
    pred = model(x, generator=g)
    out = {"test_loss": float(_loss(task, pred, y))}
    if task.loss == "ce":
        out["test_accuracy"] = float((pred.argmax(-1) == y).float().mean())
    if task.name == "echo":
        d = 3
        out["start_loss"] = float(_loss(task, pred[:, :d], y[:, :d]))
        out["rest_loss"] = float(_loss(task, pred[:, d:], y[:, d:]))
    model.train()
    return out


def _init_model(model: SeqModel, config: RunConfig, task: Task) -> None:
    """Initialize the recurrent layer as ``config.scheme`` says. ``auto`` calibrates on
    :data:`CALIBRATION_BATCHES` fresh training batches, as a user would on the first batches of
    a loader, with ``horizon`` left to the data (the sequence length; T_max is ``reach``
    times it)."""
    data: list[torch.Tensor] = []
    if config.spec.is_auto:
        g_cal = torch.Generator().manual_seed(seed_of("calibration", config.seed))
        data = [task.train_batch(config.batch, g_cal)[0] for _ in range(CALIBRATION_BATCHES)]
    init_start(model, config, task.chrono_tmax, data)


def run_config(config: RunConfig, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Train ``config`` and return its result record (JSON-ready).

    Record fields: ``id``, ``config``, ``curve`` (``step``, ``train_loss``: the mean training loss
    over each window of ``log_every`` steps), ``evals`` (``step`` and test metrics), ``solved``,
    ``steps_to_solve`` (first window end, or the evaluation step for accuracy tasks, at which the
    criterion held; None if never), ``final`` (test metrics at the end), ``baseline``,
    ``metric``, ``steps_run``, ``diverged``, ``seconds_per_step``, ``wall_seconds``, ``versions``,
    ``flush_denormal``.
    ``progress(n)`` is called with the number of steps done since the last call.

    The run flushes denormal floats to zero (``torch.set_flush_denormal``, where the CPU
    supports it; set back to PyTorch's default, off, afterwards): saturated gates produce
    values below 1e-38 whose arithmetic is ~10x slower on x86 CPUs (adding with inputs x100
    from ``flax``: 35 s against 3.5 s, the same test loss), so timings measure the start, not
    the subnormal arithmetic. The record's ``flush_denormal`` says whether it was in effect.

    >>> c = RunConfig("adding", 10, "lstm", "auto", hidden=8, batch=4, steps=3, test_size=5)
    >>> record = run_config(c)
    >>> record["steps_run"], record["solved"], sorted(record["final"])
    (3, False, ['test_loss'])
    """
    flushed = bool(torch.set_flush_denormal(True))
    try:
        return {**_run(config, progress), "flush_denormal": flushed}
    finally:
        torch.set_flush_denormal(False)


def _run(config: RunConfig, progress: Callable[[int], None] | None) -> dict[str, Any]:
    if is_realdata(config.task):
        return {**run_realdata(config, progress), "versions": versions()}
    task = make_task(
        config.task, config.length, test_size=config.test_size, data_seed=config.data_seed
    )
    torch.manual_seed(seed_of("torch", config.seed))
    model = SeqModel(
        config.cell, task.input_size, config.hidden, task.output_size, task.head, config.state
    )
    _init_model(model, config, task)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    g_data = torch.Generator().manual_seed(seed_of("train-data", config.seed))
    g_state = torch.Generator().manual_seed(seed_of("train-state", config.seed))

    curve: dict[str, list[float]] = {"step": [], "train_loss": []}
    evals: dict[str, list[float]] = {"step": []}
    solved_at: int | None = None
    diverged = False
    window: list[float] = []
    step = 0
    pending = 0
    t0 = time.perf_counter()
    train_seconds = 0.0

    def record_eval(at: int) -> dict[str, float]:
        metrics = evaluate(model, task, config.seed)
        evals["step"].append(at)
        for k, v in metrics.items():
            evals.setdefault(k, []).append(v)
        return metrics

    while step < config.steps:
        ts = time.perf_counter()
        x, y = task.train_batch(config.batch, g_data)
        loss = _loss(task, model(x, generator=g_state), y)
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
            mean = sum(window) / len(window)
            curve["step"].append(step)
            curve["train_loss"].append(mean)
            window = []
            if progress is not None:
                progress(pending)
                pending = 0
            if solved_at is None and task.solve_loss is not None and mean < task.solve_loss:
                solved_at = step
        if step % config.eval_every == 0 or step == config.steps:
            metrics = record_eval(step)
            acc = metrics.get("test_accuracy")
            if (
                solved_at is None
                and task.solve_accuracy is not None
                and acc is not None
                and acc >= task.solve_accuracy
            ):
                solved_at = step
        if solved_at is not None and config.stop_on_solve:
            break
    if progress is not None and pending:
        progress(pending)
    if not evals["step"] or evals["step"][-1] != step:
        record_eval(step)
    final = {k: v[-1] for k, v in evals.items() if k != "step"}
    if diverged:
        final["test_loss"] = float("nan")
    return {
        "id": config.id,
        "config": config.to_dict(),
        "task": {
            "baseline": task.baseline,
            "solve_loss": task.solve_loss,
            "solve_accuracy": task.solve_accuracy,
            "metric": task.metric,
            "chrono_tmax": task.chrono_tmax,
        },
        "curve": curve,
        "evals": evals,
        "solved": solved_at is not None,
        "steps_to_solve": solved_at,
        "final": final,
        "steps_run": step,
        "diverged": diverged,
        "seconds_per_step": train_seconds / max(step, 1),
        "wall_seconds": time.perf_counter() - t0,
        "versions": versions(),
    }


def _worker_init() -> None:
    torch.set_num_threads(1)


def _run_in_worker(config: RunConfig, queue: Any = None) -> dict[str, Any]:
    """Run in a pool worker; ``queue`` (a manager queue) receives step counts for the bar."""
    return run_config(config, progress=None if queue is None else queue.put)


def _drain(queue: Any, bar: Any) -> None:
    import queue as queue_module

    while True:
        try:
            bar.update(queue.get_nowait())
        except queue_module.Empty:
            return


def run_sweep(
    configs: Sequence[RunConfig],
    out_dir: str | Path,
    *,
    workers: int = 1,
    show_progress: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Run every configuration not yet in ``out_dir/results.jsonl``; append results as they finish.

    Returns ``(ran, skipped)``. With ``workers > 1`` the runs go to a pool of spawned processes
    with one torch thread each; results are appended (and flushed) by this process only.
    ``show_progress`` None means: only when stderr is a terminal.

    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> c = RunConfig("adding", 10, "lstm", "pytorch", hidden=4, batch=3, steps=2, test_size=5)
    >>> run_sweep([c], out), run_sweep([c], out)  # the second call skips the finished run
    ((1, 0), (0, 1))
    """
    from tqdm import tqdm

    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    store = ResultsStore.in_folder(out_dir)
    done = store.ids()
    todo = [c for c in dict.fromkeys(configs) if c.id not in done]
    skipped = len(set(configs)) - len(todo)
    if log is not None:
        log(f"{len(todo)} runs to do, {skipped} already in {store.path} (skipped)")
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    total_steps = sum(c.steps for c in todo)
    bar = tqdm(
        total=total_steps, unit="step", disable=not show_progress, dynamic_ncols=True, desc="bench"
    )
    torch.set_num_threads(1)
    failed = 0
    try:
        if workers == 1:
            for c in todo:
                bar.set_postfix_str(f"{c.task} T={c.length} {c.cell} {c.scheme} s{c.seed}")
                rec = run_config(c, progress=bar.update)
                bar.update(c.steps - rec["steps_run"])  # stopped early (solved)
                store.append(rec)
        else:
            ctx = get_context("spawn")
            # live step counts from the workers, only when a bar is shown (a manager process)
            manager = ctx.Manager() if show_progress and todo else None
            queue = None if manager is None else manager.Queue()
            with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init) as pool:
                futures: dict[Future[dict[str, Any]], RunConfig] = {
                    pool.submit(_run_in_worker, c, queue): c for c in todo
                }
                remaining = set(futures)
                while remaining:
                    finished, remaining = wait(remaining, timeout=0.5, return_when=FIRST_COMPLETED)
                    if queue is not None:
                        _drain(queue, bar)
                    for f in finished:
                        c = futures[f]
                        exc = f.exception()
                        if exc is not None:  # report it; the other runs go on
                            failed += 1
                            if log is not None:
                                log(f"run {c.id} ({c.to_dict()}) failed: {exc!r}")
                            continue
                        rec = f.result()
                        store.append(rec)
                        # steps reported live (if any) plus the budget left by an early stop
                        bar.update(c.steps - (rec["steps_run"] if queue is not None else 0))
                        bar.set_postfix_str(f"last: {c.task} T={c.length} {c.cell} {c.scheme}")
            if manager is not None:
                manager.shutdown()
    finally:
        bar.close()
    if failed:
        raise RuntimeError(f"{failed} of {len(todo)} runs failed (see the log above)")
    return len(todo), skipped
