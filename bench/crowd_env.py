"""A trivial N-agent env for the matchmaking benchmark: only its spaces matter (the room counts its humans)."""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class CrowdEnv(ParallelEnv):
    """N agents who press a button; only its spaces matter here (the room reads how many humans it has)."""

    metadata = {"name": "crowd_v0", "render_modes": ["mug"]}

    def __init__(self, n: int = 4, render_mode: str | None = None) -> None:
        self.possible_agents = [f"p{i}" for i in range(n)]
        self.agents: list[str] = []
        self.render_mode = render_mode

    @functools.cache  # noqa: B019
    def observation_space(self, agent):
        return spaces.Box(0, 1, shape=(1,), dtype=np.float32)

    @functools.cache  # noqa: B019
    def action_space(self, agent):
        return spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        return {a: np.zeros(1, np.float32) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions):
        obs = {a: np.asarray([float(actions[a])], np.float32) for a in self.agents}
        zeros = {a: 0.0 for a in self.agents}
        return (
            obs,
            zeros,
            {a: False for a in self.agents},
            {a: False for a in self.agents},
            {a: {} for a in self.agents},
        )

    def render(self):
        return None
