r"""sb3-contrib's recurrent agents started with rnninit: one call, and learned initial states.

sb3-contrib's ``RecurrentPPO`` builds ``lstm_actor`` and ``lstm_critic`` (``nn.LSTM``) in
``RecurrentActorCriticPolicy.__init__`` and leaves them at PyTorch's default
$\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})$: the policy's ``ortho_init`` runs on the other layers
before the LSTMs exist. Its state is zeroed at every episode start. (sb3-contrib 2.9,
``sb3_contrib/common/recurrent/policies.py``.)

* :func:`init_agent_` starts an agent's LSTMs in place, on the Parameters its optimizer already
  holds: any scheme with overrides (``rnninit.init_``), or ``"auto"`` calibrated on what the
  LSTMs really see, the features of rollouts of the agent's own (vectorized) environment
  through its features extractor, split at episode starts as the policy splits them, with
  the horizon taken from the episodes' lengths.
* :class:`LearnedStateMlpLstmPolicy`, :class:`LearnedStateCnnLstmPolicy`,
  :class:`LearnedStateMultiInputLstmPolicy`: the policies of sb3-contrib whose LSTMs start each
  episode from a learned initial state $h_0, c_0$ (:class:`rnninit.InitialState`, zero at
  the start, trained with the policy; ``initial_state=("learned_noisy", {"noise_std": s})``
  adds $s\,\epsilon$ per episode in training) instead of zeros:
  $h_t \leftarrow (1 - e_t)\,h_{t-1} + e_t\,h_0$ for the episode-start flag $e_t$.

sb3-contrib builds only ``nn.LSTM`` for its policies (``nn.GRU`` is not an option there).

>>> import torch
>>> from sb3_contrib import RecurrentPPO
>>> from rnninit.integrations.sb3 import init_agent_
>>> agent = RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_steps=16, batch_size=16,
...                      policy_kwargs={"lstm_hidden_size": 8}, seed=0)
>>> _ = init_agent_(agent, "auto", steps=64)
>>> b = agent.policy.lstm_actor.bias_ih_l0 + agent.policy.lstm_actor.bias_hh_l0
>>> bool((b[8:16] > 0).all())  # the forget gate starts open (rows H:2H)
True
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from sb3_contrib.common.recurrent.policies import (
    RecurrentActorCriticCnnPolicy,
    RecurrentActorCriticPolicy,
    RecurrentMultiInputActorCriticPolicy,
)
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_sequence

from ..errors import ArgumentTypeError, ArgumentValueError, UnknownNameError
from ..facade import init_
from ..states import InitialState
from ._supplied import refuse_supplied

__all__ = [
    "LearnedStateCnnLstmPolicy",
    "LearnedStateMlpLstmPolicy",
    "LearnedStateMultiInputLstmPolicy",
    "Rollout",
    "collect_rollout",
    "init_agent_",
]

A = TypeVar("A")

#: The LSTM attributes of sb3-contrib's recurrent policies, in the order they are started.
LSTM_NAMES: tuple[str, ...] = ("lstm_actor", "lstm_critic")

#: Keywords that ``init_agent_`` supplies itself for ``"auto"`` (from the rollout).
_SUPPLIED = ("data", "inputs", "lengths", "include", "exclude", "max_batches")


def _policy_of(agent: object) -> RecurrentActorCriticPolicy:
    policy = getattr(agent, "policy", agent) if isinstance(agent, BaseAlgorithm) else agent
    if not isinstance(policy, RecurrentActorCriticPolicy):
        raise ArgumentTypeError(
            "agent",
            agent,
            "an sb3-contrib recurrent agent (RecurrentPPO) or its RecurrentActorCriticPolicy",
        )
    return policy


def _lstms(policy: RecurrentActorCriticPolicy) -> list[str]:
    """The names of the policy's recurrent layers: actor, and critic when it has its own."""
    return [n for n in LSTM_NAMES if isinstance(getattr(policy, n, None), nn.Module)]


def _vec_env(env: object, argument: str = "env") -> VecEnv:
    if isinstance(env, VecEnv):
        return env
    if hasattr(env, "step") and hasattr(env, "reset") and hasattr(env, "action_space"):
        return DummyVecEnv([lambda: env])  # type: ignore[list-item, return-value]
    raise ArgumentTypeError(argument, env, "a gymnasium.Env or a stable-baselines3 VecEnv")


class Rollout:
    """Features the recurrent layers saw in a random-action rollout, split into episodes.

    ``actor`` and ``critic`` are lists of ``(T_j, F)`` tensors, one per episode segment (every
    segment starts at an episode start; the last one of each environment may be cut by the
    rollout's end); ``complete`` holds the lengths of the episodes that ended.

    >>> r = Rollout([torch.zeros(5, 2), torch.zeros(3, 2)], None, [5])
    >>> r.horizon(), r.lengths
    (5, [5, 3])
    """

    def __init__(
        self,
        actor: list[torch.Tensor],
        critic: list[torch.Tensor] | None,
        complete: list[int],
    ) -> None:
        self.actor = actor
        self.critic = critic if critic is not None else actor
        self.complete = complete

    @property
    def lengths(self) -> list[int]:
        """The length of every segment."""
        return [int(s.shape[0]) for s in self.actor]

    def horizon(self) -> int:
        """The longest episode that ended; the longest segment when none ended (a lower bound)."""
        return max(self.complete) if self.complete else max(self.lengths)

    def packed(self) -> tuple[PackedSequence, PackedSequence]:
        """The actor's and the critic's segments as ``PackedSequence`` (padding never counted)."""
        return (
            pack_sequence(self.actor, enforce_sorted=False),
            pack_sequence(self.critic, enforce_sorted=False),
        )


def _seed_from(generator: torch.Generator | None) -> int | None:
    if generator is None:
        return None
    return int(torch.randint(0, 2**31 - 1, (1,), generator=generator))


def _check_steps(steps: object) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ArgumentValueError("steps", steps, "a positive int (steps per environment)")


def collect_rollout(
    policy: RecurrentActorCriticPolicy,
    env: object,
    steps: int = 256,
    *,
    seed: int | None = None,
) -> Rollout:
    """Step ``env`` ``steps`` times with uniformly random actions; the features the LSTMs see.

    The observations go through the policy's own preprocessing (``obs_to_tensor``: one-hot
    for ``Discrete``/``MultiDiscrete``, image scaling, ``Dict``) and features extractor(s), as
    in ``RecurrentActorCriticPolicy.forward``. ``env`` is reset first (with ``seed``) and
    stepped ``steps`` times per environment; the actions are drawn from its action space
    seeded with ``seed``.

    >>> import gymnasium as gym
    >>> from sb3_contrib import RecurrentPPO
    >>> agent = RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_steps=16, batch_size=16, seed=0)
    >>> r = collect_rollout(agent.policy, agent.get_env(), steps=50, seed=0)
    >>> sum(r.lengths), r.actor[0].shape[1]
    (50, 4)
    """
    _check_steps(steps)
    venv = _vec_env(env)
    n = venv.num_envs
    if seed is not None:
        venv.seed(seed)
        venv.action_space.seed(seed)
    obs = venv.reset()
    shared = policy.share_features_extractor
    pi_seg: list[list[torch.Tensor]] = [[] for _ in range(n)]
    vf_seg: list[list[torch.Tensor]] = [[] for _ in range(n)]
    pi_done: list[torch.Tensor] = []
    vf_done: list[torch.Tensor] = []
    complete: list[int] = []
    was_training = policy.training
    policy.set_training_mode(False)
    try:
        with torch.no_grad():
            for _ in range(steps):
                obs_t, _ = policy.obs_to_tensor(obs)  # type: ignore[arg-type]
                feats = policy.extract_features(obs_t)
                pi, vf = (feats, feats) if shared else feats
                for i in range(n):
                    pi_seg[i].append(pi[i].detach().float().cpu())
                    vf_seg[i].append(vf[i].detach().float().cpu())
                actions = np.stack([venv.action_space.sample() for _ in range(n)])
                obs, _, dones, _ = venv.step(actions)
                for j in np.flatnonzero(dones).tolist():
                    complete.append(len(pi_seg[j]))
                    pi_done.append(torch.stack(pi_seg[j]))
                    vf_done.append(torch.stack(vf_seg[j]))
                    pi_seg[j], vf_seg[j] = [], []
    finally:
        policy.set_training_mode(was_training)
    pi_done += [torch.stack(s) for s in pi_seg if s]
    vf_done += [torch.stack(s) for s in vf_seg if s]
    return Rollout(pi_done, None if shared else vf_done, complete)


class _Pair(nn.Module):
    """The policy's LSTMs under one module, so that ``auto`` starts them in one atomic call."""

    def __init__(self, policy: RecurrentActorCriticPolicy, names: Sequence[str]) -> None:
        super().__init__()
        for name in names:
            self.add_module(name, getattr(policy, name))
        self.names = tuple(names)

    def forward(self, pi: PackedSequence, vf: PackedSequence) -> None:
        for name in self.names:
            getattr(self, name)(pi if name == "lstm_actor" else vf)


def _generator_for(agent: object, generator: object) -> torch.Generator | None:
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise ArgumentTypeError("generator", generator, "a torch.Generator")
        return generator
    seed = getattr(agent, "seed", None)
    if isinstance(seed, int) and not isinstance(seed, bool):
        return torch.Generator().manual_seed(seed)
    return None


def init_agent_(
    agent: A,
    scheme: Any = "auto",
    *,
    env: object = None,
    steps: int = 256,
    generator: torch.Generator | None = None,
    **overrides: Any,
) -> A:
    r"""Start the LSTMs of an sb3-contrib recurrent agent (or policy) with ``scheme``; in place.

    ``agent`` is a ``RecurrentPPO`` (or its ``RecurrentActorCriticPolicy``) with separate actor
    and critic LSTMs, a shared one or none for the critic: whichever exist are started. The
    write is in place under ``torch.no_grad()`` on the Parameters the agent's optimizer holds,
    and atomic: any error leaves every parameter as it was.

    * A named scheme, recipe or dict with overrides: ``rnninit.init_(policy, scheme,
      include=[the LSTMs], **overrides)``; for ``"chrono"`` without ``max_timescale=`` the
      longest episode of a rollout is taken.
    * ``"auto"`` (the default): ``rnninit.auto.auto_init_`` on the features the LSTMs see,
      from :func:`collect_rollout` of ``env`` (default: the agent's own environment; it is
      reset and stepped, and the agent re-resets it when it next learns) for ``steps`` steps
      per environment, the segments packed so that padding never counts; ``horizon`` is the
      longest episode that ended in the rollout (a warning says when none ended). Every
      keyword of ``auto`` but those the rollout supplies (``data``, ``inputs``, ``lengths``,
      ``include``, ``exclude``, ``max_batches``) passes through (``targets=``, ``reach=``,
      ``target=``, ``horizon=``, ...).

    ``generator`` makes it reproducible; without it a generator is seeded with the agent's
    ``seed`` when it has one, so the same agent seed gives the same start.

    Raises:
        ArgumentTypeError: ``agent`` is not a recurrent sb3-contrib agent or policy, ``env``
            not an environment, ``generator`` not a ``torch.Generator``.
        ArgumentValueError: a keyword the rollout supplies, or bad ``steps``; any error of
            ``rnninit.init_``. The agent is then unchanged.

    >>> import torch
    >>> from sb3_contrib import RecurrentPPO
    >>> agent = RecurrentPPO("MlpLstmPolicy", "CartPole-v1", n_steps=16, batch_size=16,
    ...                      policy_kwargs={"lstm_hidden_size": 8}, seed=0)
    >>> _ = init_agent_(agent, "orthogonal", forget_bias=1.0)
    >>> lstm = agent.policy.lstm_critic
    >>> (lstm.bias_ih_l0 + lstm.bias_hh_l0)[8:16].tolist() == [1.0] * 8
    True
    """
    policy = _policy_of(agent)
    gen = _generator_for(agent, generator)
    names = _lstms(policy)
    if not names:
        raise ArgumentValueError("agent", agent, "a policy with an lstm_actor")
    refuse_supplied(overrides, _SUPPLIED, "by init_agent_, from the rollout")
    _check_steps(steps)
    own_env = env is None
    if env is None and isinstance(agent, BaseAlgorithm):
        env = agent.get_env()
    pair = _Pair(policy, names)
    if scheme != "auto":
        if scheme == "chrono" and "max_timescale" not in overrides:
            venv = _vec_env(_required_env(env, scheme))
            rollout = collect_rollout(policy, venv, steps, seed=_seed_from(gen))
            overrides["max_timescale"] = float(_horizon(rollout))
        init_(pair, scheme, generator=gen, **overrides)
        return agent
    venv = _vec_env(_required_env(env, scheme))
    # every keyword checked on a copy before the environment is touched
    init_(copy.deepcopy(pair), "auto", **{"horizon": 10.0, **overrides})
    rollout = collect_rollout(policy, venv, steps, seed=_seed_from(gen))
    if "horizon" not in overrides:
        overrides["horizon"] = float(_horizon(rollout))
    init_(pair, "auto", data=rollout.packed(), generator=gen, **overrides)
    if own_env and isinstance(agent, BaseAlgorithm):
        agent._last_obs = None  # learn() resets the stepped env
    return agent


def _required_env(env: object, scheme: object) -> object:
    if env is None:
        raise ArgumentValueError(
            "env", env, f"an environment: scheme {scheme!r} rolls it out (pass env=)"
        )
    return env


def _horizon(rollout: Rollout) -> int:
    if not rollout.complete:
        warnings.warn(
            f"no episode ended in the rollout; the horizon is the longest segment "
            f"({rollout.horizon()} steps), a lower bound: pass a larger steps= or horizon=",
            UserWarning,
            stacklevel=3,
        )
    return rollout.horizon()


class _LearnedStateMixin:
    """Every episode starts from a learned initial state instead of zeros."""

    lstm_actor: nn.LSTM
    lstm_critic: nn.LSTM | None

    def _add_initial_states(self, initial_state: Any, lr_schedule: Any) -> None:
        policy: Any = self
        if isinstance(initial_state, str) and initial_state not in ("learned", "learned_noisy"):
            raise UnknownNameError("initial_state", initial_state, ("learned", "learned_noisy"))
        policy.initial_state_actor = InitialState(policy.lstm_actor, initial_state)
        policy.initial_state_critic = (
            InitialState(policy.lstm_critic, initial_state)
            if policy.lstm_critic is not None
            else None
        )
        # sb3-contrib built the optimizer before these Parameters existed
        policy.optimizer = policy.optimizer_class(
            policy.parameters(), lr=lr_schedule(1), **policy.optimizer_kwargs
        )

    def _process_sequence(
        self,
        features: torch.Tensor,
        lstm_states: tuple[torch.Tensor, torch.Tensor],
        episode_starts: torch.Tensor,
        lstm: nn.LSTM,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        policy: Any = self
        start = (
            policy.initial_state_actor if lstm is policy.lstm_actor else policy.initial_state_critic
        )
        n_seq = lstm_states[0].shape[1]
        seq = features.reshape((n_seq, -1, lstm.input_size)).swapaxes(0, 1)
        starts = episode_starts.reshape((n_seq, -1)).swapaxes(0, 1)
        if bool(torch.all(starts == 0.0)):
            out, states = lstm(seq, lstm_states)
            return torch.flatten(out.transpose(0, 1), start_dim=0, end_dim=1), states
        h0, c0 = start(n_seq)
        h, c = lstm_states
        outs = []
        for x, e in zip(seq, starts, strict=True):
            keep = (1.0 - e).view(1, n_seq, 1)
            h = keep * h + (1.0 - keep) * h0
            c = keep * c + (1.0 - keep) * c0
            y, (h, c) = lstm(x.unsqueeze(0), (h, c))
            outs.append(y)
        out = torch.flatten(torch.cat(outs).transpose(0, 1), start_dim=0, end_dim=1)
        return out, (h, c)

    def predict(
        self,
        observation: Any,
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """sb3-contrib's ``predict``; without ``state`` and ``episode_start`` a new episode
        starts (from the learned state; sb3-contrib would carry zeros as a mid-episode state)."""
        policy: Any = self
        if state is None and episode_start is None:
            obs, _ = policy.obs_to_tensor(observation)
            first = next(iter(obs.values())) if isinstance(obs, dict) else obs
            episode_start = np.ones(first.shape[0], dtype=bool)
        out: tuple[np.ndarray, tuple[np.ndarray, ...] | None] = RecurrentActorCriticPolicy.predict(
            policy, observation, state, episode_start, deterministic
        )
        return out


def _learned_init(base: Any) -> Any:
    """A learned-state policy's ``__init__``: ``base``'s, then the states, then the optimizer."""

    def __init__(self: Any, *args: Any, initial_state: object = "learned", **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        lr_schedule = kwargs.get("lr_schedule", args[2] if len(args) > 2 else None)
        self._add_initial_states(initial_state, lr_schedule)

    return __init__


# the mixin's _process_sequence is a method (it reads the policy's states), sb3's a staticmethod
class LearnedStateMlpLstmPolicy(_LearnedStateMixin, RecurrentActorCriticPolicy):  # type: ignore[misc]
    """sb3-contrib's ``MlpLstmPolicy`` whose LSTMs start each episode from a learned state.

    ``policy_kwargs={"initial_state": "learned"}`` (the default) or
    ``("learned_noisy", {"noise_std": 0.1})``; every other keyword as ``MlpLstmPolicy``. The
    states are :class:`rnninit.InitialState` modules, ``initial_state_actor`` and
    ``initial_state_critic``, zero at the start (so the untrained policy acts as
    ``MlpLstmPolicy``), trained by the policy's optimizer. Pitis, *Non-zero initial states for
    recurrent neural networks* (2016).

    >>> from sb3_contrib import RecurrentPPO
    >>> agent = RecurrentPPO(LearnedStateMlpLstmPolicy, "CartPole-v1", n_steps=16,
    ...                      batch_size=16, policy_kwargs={"lstm_hidden_size": 8})
    >>> tuple(agent.policy.initial_state_actor.h0.shape)
    (1, 8)
    """

    __init__ = _learned_init(RecurrentActorCriticPolicy)


class LearnedStateCnnLstmPolicy(_LearnedStateMixin, RecurrentActorCriticCnnPolicy):  # type: ignore[misc]
    """sb3-contrib's ``CnnLstmPolicy`` with learned initial states (see
    :class:`LearnedStateMlpLstmPolicy`).

    >>> LearnedStateCnnLstmPolicy.__mro__[2].__name__
    'RecurrentActorCriticCnnPolicy'
    """

    __init__ = _learned_init(RecurrentActorCriticCnnPolicy)


class LearnedStateMultiInputLstmPolicy(  # type: ignore[misc]
    _LearnedStateMixin, RecurrentMultiInputActorCriticPolicy
):
    """sb3-contrib's ``MultiInputLstmPolicy`` with learned initial states (see
    :class:`LearnedStateMlpLstmPolicy`).

    >>> LearnedStateMultiInputLstmPolicy.__mro__[2].__name__
    'RecurrentMultiInputActorCriticPolicy'
    """

    __init__ = _learned_init(RecurrentMultiInputActorCriticPolicy)
