"""rnninit.integrations.sb3 against the real sb3-contrib (the `sb3` extra), at tiny sizes.

Gate blocks are checked against raw parameter rows (PyTorch's LSTM order i, f, g, o: the
forget gate is rows H:2H), behaviour by running the policy's own code.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

pytest.importorskip("sb3_contrib")

from sb3_contrib import RecurrentPPO
from stable_baselines3.common.env_util import make_vec_env

from rnninit.errors import ArgumentTypeError, ArgumentValueError, RnnInitError
from rnninit.integrations.sb3 import (
    LearnedStateMlpLstmPolicy,
    LearnedStateMultiInputLstmPolicy,
    collect_rollout,
    init_agent_,
)

H = 8  # hidden size; 4H = 32 rows, input sizes below differ from both


class FixedLength(gym.Env):  # type: ignore[type-arg]
    """Episodes of exactly `length` steps; observations of the given space."""

    def __init__(self, space: spaces.Space, length: int = 23) -> None:  # type: ignore[type-arg]
        self.observation_space = space
        self.action_space = spaces.Discrete(2)
        self.length = length
        self.t = 0

    def reset(self, *, seed: int | None = None, options: object = None):  # type: ignore[no-untyped-def]
        super().reset(seed=seed)
        if seed is not None:  # seed(None) would draw fresh entropy at every auto-reset
            self.observation_space.seed(seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action: object):  # type: ignore[no-untyped-def]
        self.t += 1
        return self.observation_space.sample(), 0.0, self.t >= self.length, False, {}


BOX = spaces.Box(-3.0, 5.0, (5,), np.float32)
DISCRETE = spaces.Discrete(6)
DICT = spaces.Dict({"pos": spaces.Box(0.0, 10.0, (3,), np.float32), "id": spaces.Discrete(4)})


def _agent(space: spaces.Space = BOX, length: int = 23, **policy_kwargs: object) -> RecurrentPPO:  # type: ignore[type-arg]
    env = make_vec_env(lambda: FixedLength(space, length), n_envs=3, seed=0)
    policy = "MultiInputLstmPolicy" if isinstance(space, spaces.Dict) else "MlpLstmPolicy"
    return RecurrentPPO(
        policy,
        env,
        n_steps=16,
        batch_size=48,
        n_epochs=1,
        policy_kwargs={"lstm_hidden_size": H, **policy_kwargs},
        seed=0,
        device="cpu",
    )


def _lstms(agent: RecurrentPPO) -> list[torch.nn.LSTM]:
    p = agent.policy
    return [m for m in (p.lstm_actor, p.lstm_critic) if m is not None]


def _snapshot(agent: RecurrentPPO) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in agent.policy.state_dict().items()}


def _assert_same(agent: RecurrentPPO, before: dict[str, torch.Tensor]) -> None:
    after = agent.policy.state_dict()
    assert before.keys() == after.keys()
    for k, v in before.items():
        assert torch.equal(v, after[k]), k


@pytest.mark.parametrize(
    "kwargs, n_lstms",
    [
        ({}, 2),
        ({"shared_lstm": True, "enable_critic_lstm": False}, 1),
        ({"enable_critic_lstm": False}, 1),
    ],
    ids=["separate", "shared", "critic-less"],
)
def test_scheme_rows_of_every_lstm(kwargs: dict[str, object], n_lstms: int) -> None:
    agent = _agent(**kwargs)
    critic_linear = None if agent.policy.critic is None else agent.policy.critic.weight.clone()
    init_agent_(agent, "orthogonal", forget_bias=1.0)
    lstms = _lstms(agent)
    assert len(lstms) == n_lstms
    for lstm in lstms:
        b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
        assert torch.equal(b[H : 2 * H], torch.ones(H))  # forget gate, effective bias 1
        assert torch.equal(lstm.bias_hh_l0.detach(), torch.zeros(4 * H))  # written once, not twice
        for g in range(4):  # each gate's recurrent block is orthogonal on its own
            block = lstm.weight_hh_l0.detach()[g * H : (g + 1) * H].double()
            torch.testing.assert_close(
                block @ block.T, torch.eye(H, dtype=torch.float64), atol=1e-5, rtol=0
            )
    if critic_linear is not None:  # the critic-less policy's Linear is not recurrent: untouched
        assert torch.equal(agent.policy.critic.weight, critic_linear)


@pytest.mark.parametrize("space", [BOX, DISCRETE, DICT], ids=["Box", "Discrete", "Dict"])
def test_auto_calibrates_on_what_the_lstm_sees(space: spaces.Space) -> None:  # type: ignore[type-arg]
    agent = _agent(space)
    init_agent_(agent, "auto", generator=torch.Generator().manual_seed(1))
    # an independent rollout (other seed) through the policy's own preprocessing and extractor
    env = make_vec_env(lambda: FixedLength(space, 23), n_envs=4, seed=7)
    obs = env.reset()
    feats = []
    for _ in range(60):
        with torch.no_grad():
            f = agent.policy.extract_features(agent.policy.obs_to_tensor(obs)[0])
        feats.append(f)
        obs, *_ = env.step(np.zeros(4, dtype=np.int64))
    x = torch.cat(feats).double()
    assert x.shape[1] == agent.policy.lstm_actor.input_size
    for lstm in _lstms(agent):
        w = lstm.weight_ih_l0.detach().double()
        for g in range(4):  # mean square of each gate block's input contribution: target 1
            ms = float((x @ w[g * H : (g + 1) * H].T).pow(2).mean())
            assert 0.6 < ms < 1.6, (g, ms)
        bf = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[H : 2 * H]
        assert bool((bf > 0).all())  # keep gate open


def test_chrono_horizon_is_the_episode_length() -> None:
    # chrono: tau - 1 ~ U(1, T_max - 1), b_f = log(tau - 1): every b_f <= log(T_max - 1)
    for length in (9, 41):
        agent = _agent(length=length)
        init_agent_(agent, "chrono", steps=60, generator=torch.Generator().manual_seed(0))
        bf = (agent.policy.lstm_actor.bias_ih_l0 + agent.policy.lstm_actor.bias_hh_l0)[H : 2 * H]
        assert float(bf.max()) <= math.log(length - 1) + 1e-5
        assert float(bf.max()) > math.log(length - 1) - 1.0  # 8 draws: the top one is near it


def test_auto_horizon_from_episodes_and_warning_when_none_ended() -> None:
    agent = _agent(length=500)
    with pytest.warns(UserWarning, match="no episode ended"):
        init_agent_(agent, "auto", steps=20)


def test_optimizer_still_steps_the_same_parameters() -> None:
    agent = _agent()
    ids = {id(p) for g in agent.policy.optimizer.param_groups for p in g["params"]}
    init_agent_(agent, "auto")
    assert ids == {id(p) for p in agent.policy.parameters()}
    after_init = agent.policy.lstm_actor.weight_hh_l0.detach().clone()
    agent.learn(48)
    assert not torch.equal(after_init, agent.policy.lstm_actor.weight_hh_l0.detach())


def test_reproducible_with_generator_and_with_the_agents_seed() -> None:
    a, b = _agent(), _agent()
    init_agent_(a, "auto", generator=torch.Generator().manual_seed(3))
    init_agent_(b, "auto", generator=torch.Generator().manual_seed(3))
    for x, y in zip(_lstms(a), _lstms(b), strict=True):
        for p, q in zip(x.parameters(), y.parameters(), strict=True):
            assert torch.equal(p, q)
    c, d = _agent(), _agent()  # no generator: the agent's seed (0) seeds one
    torch.manual_seed(123)
    init_agent_(c, "flax")
    torch.manual_seed(456)
    init_agent_(d, "flax")
    assert torch.equal(c.policy.lstm_actor.weight_ih_l0, d.policy.lstm_actor.weight_ih_l0)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda a: init_agent_(a, "chronoo", max_timescale=5), KeyError, "chrono"),
        (lambda a: init_agent_(a, "auto", targets="every"), KeyError, "every_step"),
        (lambda a: init_agent_(a, "auto", reach=-1.0), ValueError, "reach"),
        (lambda a: init_agent_(a, "auto", data=torch.zeros(3)), ArgumentValueError, "data"),
        (lambda a: init_agent_(a, "auto", steps=0), ArgumentValueError, "steps"),
        (lambda a: init_agent_(a, "auto", generator=5), ArgumentTypeError, "generator"),
        (lambda a: init_agent_(a, "auto", env="CartPole"), ArgumentTypeError, "env"),
        (lambda a: init_agent_(a.policy, "auto"), ArgumentValueError, "env"),
        (lambda a: init_agent_(torch.nn.LSTM(2, 3), "auto"), ArgumentTypeError, "agent"),
    ],
)
def test_bad_input_is_a_typed_error_and_the_agent_is_unchanged(
    call: object, error: type, words: str
) -> None:
    agent = _agent()
    before = _snapshot(agent)
    with pytest.raises(error) as info:
        call(agent)  # type: ignore[operator]
    assert isinstance(info.value, RnnInitError)
    assert words in str(info.value)
    assert not str(info.value).startswith("(")  # a sentence, not the arguments tuple
    _assert_same(agent, before)


def test_collect_rollout_splits_at_episode_starts() -> None:
    agent = _agent(length=7)
    env = make_vec_env(lambda: FixedLength(BOX, 7), n_envs=2, seed=0)
    r = collect_rollout(agent.policy, env, steps=30, seed=0)
    # 30 steps in episodes of 7: 4 complete + a segment of 2, per environment
    assert sorted(r.lengths) == [2, 2, 7, 7, 7, 7, 7, 7, 7, 7]
    assert r.complete == [7] * 8 and r.horizon() == 7


def test_learned_state_starts_every_episode_from_h0() -> None:
    env = make_vec_env(lambda: FixedLength(BOX, 5), n_envs=2, seed=0)
    agent = RecurrentPPO(
        LearnedStateMlpLstmPolicy,
        env,
        n_steps=10,
        batch_size=20,
        n_epochs=2,
        policy_kwargs={"lstm_hidden_size": H},
        seed=0,
        device="cpu",
    )
    policy = agent.policy
    opt_params = {id(p) for g in policy.optimizer.param_groups for p in g["params"]}
    assert id(policy.initial_state_actor.h0) in opt_params
    assert id(policy.initial_state_critic.c0) in opt_params
    with torch.no_grad():
        policy.initial_state_actor.h0.fill_(0.3)
        policy.initial_state_actor.c0.fill_(-0.7)
    lstm = policy.lstm_actor
    x = torch.randn(2 * 3, lstm.input_size)  # 2 sequences of 3 steps, flattened as sb3 does
    stale = (torch.randn(1, 2, H), torch.randn(1, 2, H))
    starts = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # sequence 0 starts an episode
    out, _ = policy._process_sequence(x, stale, starts, lstm)
    h0 = torch.full((1, 1, H), 0.3)
    c0 = torch.full((1, 1, H), -0.7)
    ref0, _ = lstm(x[:3].unsqueeze(1), (h0, c0))  # sequence 0: from the learned state
    ref1, _ = lstm(x[3:].unsqueeze(1), (stale[0][:, 1:], stale[1][:, 1:]))  # 1: carried on
    torch.testing.assert_close(out[:3], ref0.squeeze(1))
    torch.testing.assert_close(out[3:], ref1.squeeze(1))
    before = policy.initial_state_actor.h0.detach().clone()
    agent.learn(40)
    assert not torch.equal(before, policy.initial_state_actor.h0.detach())  # it is trained


def test_learned_state_bad_kind_and_dict_policy() -> None:
    env = make_vec_env(lambda: FixedLength(BOX, 5), n_envs=2, seed=0)
    with pytest.raises(KeyError, match="learned_noisy"):
        RecurrentPPO(LearnedStateMlpLstmPolicy, env, policy_kwargs={"initial_state": "lerned"})
    denv = make_vec_env(lambda: FixedLength(DICT, 5), n_envs=2, seed=0)
    agent = RecurrentPPO(
        LearnedStateMultiInputLstmPolicy,
        denv,
        n_steps=8,
        batch_size=16,
        n_epochs=1,
        policy_kwargs={
            "lstm_hidden_size": H,
            "initial_state": ("learned_noisy", {"noise_std": 0.1}),
        },
        seed=0,
        device="cpu",
    )
    init_agent_(agent, "auto")
    agent.learn(16)
    assert agent.policy.initial_state_actor.name == "learned_noisy"


def test_auto_on_image_observations() -> None:
    space = spaces.Box(0, 255, (36, 36, 1), np.uint8)
    env = make_vec_env(lambda: FixedLength(space, 6), n_envs=2, seed=0)
    agent = RecurrentPPO(
        "CnnLstmPolicy",
        env,
        n_steps=8,
        batch_size=16,
        n_epochs=1,
        policy_kwargs={"lstm_hidden_size": H, "features_extractor_kwargs": {"features_dim": 12}},
        seed=0,
        device="cpu",
    )
    init_agent_(agent, "auto", steps=12)
    lstm = agent.policy.lstm_actor
    assert lstm.input_size == 12
    bf = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()[H : 2 * H]
    # horizon 6, reach 3: timescales on [2, 18], b_f = log(tau - 1) in [0, log 17]
    assert bool((bf >= -1e-6).all()) and float(bf.max()) <= math.log(17) + 1e-5


def test_predict_without_state_starts_from_the_learned_state() -> None:
    env = make_vec_env(lambda: FixedLength(BOX, 5), n_envs=3, seed=0)
    agent = RecurrentPPO(
        LearnedStateMlpLstmPolicy, env, policy_kwargs={"lstm_hidden_size": H}, seed=0
    )
    policy = agent.policy
    with torch.no_grad():
        policy.initial_state_actor.h0.fill_(0.3)
        policy.initial_state_actor.c0.fill_(-0.7)
    obs = env.reset()
    _, (h, c) = agent.predict(obs, deterministic=True)
    with torch.no_grad():
        x = policy.extract_features(policy.obs_to_tensor(obs)[0])
        _, (h_ref, c_ref) = policy.lstm_actor(
            x.unsqueeze(0), (torch.full((1, 3, H), 0.3), torch.full((1, 3, H), -0.7))
        )
    np.testing.assert_allclose(h, h_ref.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, c_ref.numpy(), rtol=1e-5, atol=1e-6)
