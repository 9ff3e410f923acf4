"""Gymnasium envs that step several agents with one dict (RLlib's multi-agent convention, e.g. slimevb from PyPI)
are seen as multi-agent envs: one agent per key of their Dict spaces, per-agent rows, "__all__" ending everyone."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mug.adapters import DictAgentsAdapter, GymAdapter, make_adapter

SLIME = "slime_volleyball.slimevolley_env:SlimeVolleyEnv"


class Race(gym.Env):
    """Two runners; "a" stops after 2 steps on its own, everyone after 4 (through "__all__"); info is shared."""

    def __init__(self) -> None:
        self.action_space = spaces.Dict({"b": spaces.Discrete(2), "a": spaces.Discrete(2)})
        self.observation_space = spaces.Dict({"a": spaces.Discrete(9), "b": spaces.Discrete(9)})
        self.t = 0

    def reset(self, seed=None, options=None):
        self.t = 0
        return {"a": 0, "b": 0}, {}

    def step(self, actions):
        self.t += 1
        observations = {agent: self.t + actions[agent] for agent in actions}
        rewards = {agent: float(actions[agent]) for agent in actions if agent == "b" or self.t <= 2}
        terminated = {"a": self.t >= 2, "__all__": self.t >= 4}
        return observations, rewards, terminated, {"__all__": False}, {"t": self.t}


class DictActionOneAgent(gym.Env):
    """One agent with a composite action: a Dict action space, but a Box observation."""

    action_space = spaces.Dict({"move": spaces.Discrete(3), "fire": spaces.Discrete(2)})
    observation_space = spaces.Box(0, 1, (2,))


def race(**_kwargs) -> Race:
    return Race()


def one_agent(**_kwargs) -> DictActionOneAgent:
    return DictActionOneAgent()


def test_slimevb_from_pypi_is_two_agents_with_their_own_spaces_rows_and_flags():
    adapter = make_adapter(SLIME, {}, None)
    assert isinstance(adapter, DictAgentsAdapter) and adapter.possible_agents == ["agent_left", "agent_right"]
    assert adapter.action_space("agent_left") == spaces.Discrete(6)
    observations, infos = adapter.reset(3)
    assert set(observations) == set(infos) == {"agent_left", "agent_right"}
    observations, rewards, terminated, truncated, _ = adapter.step({"agent_left": 1, "agent_right": 5})
    assert observations["agent_left"]["obs"].shape == (12,) and not np.array_equal(
        observations["agent_left"]["obs"], observations["agent_right"]["obs"]
    )
    assert set(rewards) == set(terminated) == set(truncated) == {"agent_left", "agent_right"}  # no "__all__" key


def test_an_agent_ends_on_its_own_flag_and_everyone_on_all():
    adapter = make_adapter(f"{__name__}:race", {}, None)
    assert adapter.possible_agents == ["a", "b"]  # the Dict space's (sorted) order
    adapter.reset(0)
    for _ in range(2):
        _, rewards, terminated, truncated, infos = adapter.step({"a": 1, "b": 1})
    assert terminated == {"a": True, "b": False} and truncated == {"a": False, "b": False}
    assert adapter.live_agents() == ["b"] and infos == {"a": {"t": 2}, "b": {"t": 2}}  # a shared info is everyone's
    _, rewards, terminated, _, _ = adapter.step({"b": 1})
    assert rewards == {"a": 0, "b": 1.0}  # an agent the env left out gets 0
    _, _, terminated, _, _ = adapter.step({"b": 0})
    assert terminated == {"a": True, "b": True} and adapter.live_agents() == []
    adapter.reset(1)
    assert adapter.live_agents() == ["a", "b"]


def test_a_single_agent_with_a_dict_action_stays_one_agent():
    adapter = make_adapter(f"{__name__}:one_agent", {}, None)
    assert isinstance(adapter, GymAdapter) and adapter.possible_agents == ["agent"]
