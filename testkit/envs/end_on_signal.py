"""Two agents; the episode ends on the frame the agent "b" signals (action 1). Counts frames, nothing else: for
tests of what a rollback does when the corrected history ends sooner than the one it replaced."""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class EndOnSignal(ParallelEnv):
    metadata = {"name": "end_on_signal_v0", "render_modes": []}

    def __init__(self, render_mode: str | None = None) -> None:
        self.possible_agents = ["a", "b"]
        self.agents: list[str] = []
        self.count = 0

    @functools.cache  # noqa: B019
    def observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(0, 10**6, shape=(1,), dtype=np.int64)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        self.agents, self.count = list(self.possible_agents), 0
        return self._observations(), {agent: {} for agent in self.agents}

    def step(self, actions):
        self.count += 1
        ended = int(actions.get("b", 0)) == 1
        flags = {agent: ended for agent in self.agents}
        observations = self._observations()
        if ended:
            self.agents = []
        return observations, {a: 0.0 for a in flags}, flags, {a: False for a in flags}, {a: {} for a in flags}

    def get_state(self):
        return {"count": self.count, "agents": list(self.agents)}

    def set_state(self, state) -> None:
        self.count, self.agents = state["count"], list(state["agents"])

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: np.array([self.count]) for agent in self.possible_agents}


def make(**kwargs) -> EndOnSignal:
    return EndOnSignal(**kwargs)
