"""A one-agent PettingZoo ParallelEnv whose scene lists no `packages`: pettingzoo must be installed in the browser
because the env imports it (pinned at the server's version), not because the researcher remembered to list it."""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from mug.surface import Surface

WIDTH = 10


class WalkEnv(ParallelEnv):
    """The walker moves left or right on a line of WIDTH cells; reaching the right end scores 1."""

    metadata = {"name": "mug_walk_v0", "render_modes": ["mug"]}

    def __init__(self, render_mode: str | None = None) -> None:
        self.render_mode = render_mode
        self.possible_agents = ["walker"]
        self.agents: list[str] = []
        self.x = 0
        self.surface = Surface(WIDTH * 20, 40)

    @functools.cache  # noqa: B019 (spaces must be the same object every call)
    def observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(0, WIDTH - 1, shape=(1,), dtype=np.int64)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(3)  # stay, left, right

    def reset(self, seed=None, options=None):
        self.agents = list(self.possible_agents)
        self.x = 0 if seed is None else seed % 3
        return {"walker": np.array([self.x])}, {"walker": {}}

    def step(self, actions):
        self.x = int(np.clip(self.x + {0: 0, 1: -1, 2: 1}[int(actions["walker"])], 0, WIDTH - 1))
        done = self.x == WIDTH - 1
        if done:
            self.agents = []
        return {"walker": np.array([self.x])}, {"walker": float(done)}, {"walker": done}, {"walker": False}, {}

    def render(self):
        self.surface.rect(self.x * 20, 10, 20, 20, fill="#3366cc", id="walker")
        return self.surface.commit()


def make(**kwargs) -> WalkEnv:
    return WalkEnv(**kwargs)
