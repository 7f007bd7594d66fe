"""Recurrent RL evidence (issue 28): sb3-contrib's RecurrentPPO on POPGym memory tasks, only the
start of its LSTMs differing.

Each run builds the agent exactly as sb3-contrib builds it (``MlpLstmPolicy``, its defaults but
``lstm_hidden_size=64`` and ``batch_size=1024``, see docs/rl.md for why), applies one start to
its LSTMs in place (``rnninit.integrations.sb3.init_agent_``; ``auto`` calibrated on a random
rollout of a *separate* environment, so the training environment's random stream is the same
for every start) and trains it with ``agent.learn``. Every episode's return and end step is
recorded (the learning curve); a run is one JSON file, so the sweep is resumable: a run whose
file exists is skipped, and workers claim runs with an exclusive lock file. ``--max-runs 1`` in
a shell loop re-reads the job order before every run (``while python benchmarks/rl.py
--ablation --max-runs 1; do :; done``; exit status 3 when nothing is left).

    OMP_NUM_THREADS=1 python benchmarks/rl.py --ablation --worker-id a &
    OMP_NUM_THREADS=1 python benchmarks/rl.py --ablation --worker-id b &
    python benchmarks/rl_report.py benchmarks/results/rl

The job list is in priority order: seed by seed, every task and every main start but the
learned initial state, with (``--ablation``) the two first suspects of the ablation; then the
learned initial state and the rest of the ablation; whatever the budget allows is complete
seed by seed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import popgym  # noqa: F401  (registers the popgym-* environments)
import sb3_contrib
import stable_baselines3
import torch
from _report_common import run_claimed
from gymnasium import spaces
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env

import rnninit
from rnninit.integrations.sb3 import LearnedStateMlpLstmPolicy, init_agent_

#: task -> (gymnasium id, training steps). The budget is the same for every task here: 60
#: rollouts of 8 x 128 steps (see docs/rl.md: what one core could afford in one session).
TASKS: dict[str, tuple[str, int]] = {
    "RepeatPreviousEasy": ("popgym-RepeatPreviousEasy-v0", 61_440),
    "RepeatFirstEasy": ("popgym-RepeatFirstEasy-v0", 61_440),
    "CountRecallEasy": ("popgym-CountRecallEasy-v0", 61_440),
    "AutoencodeEasy": ("popgym-AutoencodeEasy-v0", 61_440),
    "PositionOnlyCartPoleEasy": ("popgym-PositionOnlyCartPoleEasy-v0", 61_440),
}

N_ENVS = 8
HIDDEN = 64
#: RecurrentPPO's keyword arguments: its defaults except these two.
PPO_KWARGS: dict[str, Any] = {"n_steps": 128, "batch_size": 1024}


class OneHot(gym.ObservationWrapper):  # type: ignore[type-arg]
    """POPGym's ``Tuple(Discrete, ...)`` and ``MultiDiscrete`` observations as the one-hot
    ``Box`` that SB3's preprocessing makes of a ``MultiDiscrete`` (the LSTM sees the same
    features). Needed because SB3 has no ``Tuple`` space and sb3-contrib 2.9.2 passes a
    ``MultiDiscrete``'s feature size to ``nn.LSTM`` as a NumPy integer, which torch 2.13 rejects.
    """

    def __init__(self, env: gym.Env) -> None:  # type: ignore[type-arg]
        super().__init__(env)
        space = env.observation_space
        sizes = (
            [int(s.n) for s in space.spaces]  # type: ignore[attr-defined]
            if isinstance(space, spaces.Tuple)
            else [int(n) for n in np.asarray(space.nvec).ravel()]  # type: ignore[attr-defined]
        )
        self.offsets = np.cumsum([0, *sizes[:-1]])
        self.observation_space = spaces.Box(0.0, 1.0, (int(sum(sizes)),), np.float32)

    def observation(self, observation: Any) -> np.ndarray:
        out = np.zeros(self.observation_space.shape, np.float32)
        out[self.offsets + np.asarray(observation, dtype=np.int64).ravel()] = 1.0
        return out


def _wrap(env: gym.Env) -> gym.Env:  # type: ignore[type-arg]
    if isinstance(env.observation_space, spaces.Tuple | spaces.MultiDiscrete):
        return OneHot(env)
    return env


def make_env(task: str, seed: int) -> Any:
    env_id, _ = TASKS[task]
    return make_vec_env(env_id, n_envs=N_ENVS, seed=seed, wrapper_class=_wrap)


def _cleanrl(agent: RecurrentPPO, gen: torch.Generator, env: Any) -> None:
    """CleanRL's ppo_atari_lstm.py: orthogonal_ (gain 1) over each stacked matrix, biases 0."""
    with torch.no_grad():
        for name in ("lstm_actor", "lstm_critic"):
            lstm = getattr(agent.policy, name, None)
            if lstm is None:
                continue
            for pname, p in lstm.named_parameters():
                if "bias" in pname:
                    p.zero_()
                else:
                    torch.nn.init.orthogonal_(p, 1.0, generator=gen)


def _scheme(name: str, **kw: Any) -> Callable[[RecurrentPPO, torch.Generator, Any], None]:
    def start(agent: RecurrentPPO, gen: torch.Generator, env: Any) -> None:
        init_agent_(agent, name, env=env, generator=gen, **kw)

    return start


def _library(agent: RecurrentPPO, gen: torch.Generator, env: Any) -> None:
    """sb3-contrib's own start: PyTorch's default, left as built."""


#: start -> (apply, learned initial state). Main starts first, then the ablation of auto.
STARTS: dict[str, tuple[Callable[[RecurrentPPO, torch.Generator, Any], None], bool]] = {
    "library": (_library, False),
    "cleanrl": (_cleanrl, False),
    "chrono": (_scheme("chrono"), False),
    "orthogonal": (_scheme("orthogonal"), False),
    "flax": (_scheme("flax"), False),
    "auto": (_scheme("auto"), False),
    "auto_every_step": (_scheme("auto", targets="every_step"), False),
    "auto_learned_state": (_scheme("auto"), True),
}
ABLATION: dict[str, tuple[Callable[[RecurrentPPO, torch.Generator, Any], None], bool]] = {
    # chrono ties the input gate to the forget gate (b_i = -b_f): a long memory is a closed
    # input gate, and a task that must write its first observation cannot
    "auto_open_input": (_scheme("auto", gates={"i": {"bias": 0.0}}), False),
    "auto_reach1": (_scheme("auto", reach=1.0), False),
    "auto_target0.1": (_scheme("auto", target=0.1), False),
    "auto_raw_features": (_scheme("auto", per_feature=False), False),
    # flax's zero gate biases (every_step) with the input blocks calibrated on the raw one-hot
    # features: flax and auto every_step differ only in the input weights
    "auto_every_step_raw": (_scheme("auto", targets="every_step", per_feature=False), False),
    # zero gate biases with a tenth of the input scale: what is left between flax and auto
    # every_step on the short-memory tasks
    "auto_every_step_target0.1": (_scheme("auto", targets="every_step", target=0.1), False),
    "library_learned_state": (_library, True),
}
SEEDS = range(5)


#: Run with the main starts, seed by seed (seed 0 of every one first, then seed 1, ...): the two
#: suspects of seed 0's results (the input gate, the input scale).
WITH_MAIN = ("auto_open_input", "auto_target0.1")


def jobs(ablation: bool) -> list[tuple[str, str, int]]:
    first = [s for s in STARTS if s != "auto_learned_state"]
    first += [s for s in WITH_MAIN if ablation]
    out = [(t, s, seed) for seed in SEEDS for t in TASKS for s in first]
    rest = ["auto_learned_state"] + [s for s in ABLATION if ablation and s not in WITH_MAIN]
    out += [(t, s, seed) for seed in SEEDS for t in TASKS for s in rest]
    return out


class EpisodeLog(BaseCallback):
    """Every finished episode's (end step, return)."""

    def __init__(self) -> None:
        super().__init__()
        self.episodes: list[tuple[int, float]] = []

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            if "episode" in info:
                self.episodes.append((int(self.num_timesteps), float(info["episode"]["r"])))
        return True


def run(task: str, start: str, seed: int, steps: int | None = None) -> dict[str, Any]:
    apply, learned = {**STARTS, **ABLATION}[start]
    env_id, budget = TASKS[task]
    steps = budget if steps is None else steps
    env = make_env(task, seed)
    policy: Any = LearnedStateMlpLstmPolicy if learned else "MlpLstmPolicy"
    agent = RecurrentPPO(
        policy,
        env,
        policy_kwargs={"lstm_hidden_size": HIDDEN},
        seed=seed,
        device="cpu",
        verbose=0,
        **PPO_KWARGS,
    )
    gen = torch.Generator().manual_seed(1000 + seed)
    t0 = time.time()
    apply(agent, gen, make_env(task, 10_000 + seed))
    t_init = time.time() - t0
    log = EpisodeLog()
    t0 = time.time()
    agent.learn(steps, callback=log)
    return {
        "task": task,
        "env_id": env_id,
        "start": start,
        "seed": seed,
        "steps": steps,
        "n_envs": N_ENVS,
        "lstm_hidden_size": HIDDEN,
        "ppo_kwargs": PPO_KWARGS,
        "init_seconds": t_init,
        "train_seconds": time.time() - t0,
        "torch_threads": torch.get_num_threads(),
        "versions": {
            "rnninit": rnninit.__version__,
            "torch": torch.__version__,
            "sb3_contrib": sb3_contrib.__version__,
            "stable_baselines3": stable_baselines3.__version__,
            "popgym": _version("popgym"),
            "python": platform.python_version(),
        },
        "episodes": log.episodes,
    }


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/rl"))
    ap.add_argument("--worker-id", default=str(os.getpid()))
    ap.add_argument("--ablation", action="store_true", help="after the main starts, the ablation")
    ap.add_argument("--max-runs", type=int, default=None, help="stop after this many runs")
    ap.add_argument("--steps", type=int, default=None, help="override every task's budget")
    ap.add_argument("--only", nargs=3, metavar=("TASK", "START", "SEED"), help="one run")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    todo = [(a, b, int(c)) for a, b, c in [args.only]] if args.only else jobs(args.ablation)
    return run_claimed(
        todo,
        args.out / "runs",
        args.worker_id,
        args.max_runs,
        lambda task, start, seed: run(task, start, seed, args.steps),
        lambda r: (
            f"{r['train_seconds']:.0f}s, "
            f"last-200 mean {np.mean([x for _, x in r['episodes'][-200:]]):.3f}"
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
