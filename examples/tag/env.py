"""A two-agent PettingZoo ParallelEnv of our own: a chaser and a runner on a small grid."""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from mug.surface import Surface

MOVES = {0: (0, 0), 1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}  # stay, up, down, left, right
CELL = 50


class TagEnv(ParallelEnv):
    """The chaser scores 1 by reaching the runner's cell (the runner loses 1); each step costs the chaser 0.01."""

    metadata = {"name": "mug_tag_v0", "render_modes": ["mug"]}
    colors = {"runner": "#2e9e5b", "chaser": "#d63a24"}  # each agent's dot, drawn in this order

    def __init__(self, size: int = 7, render_mode: str | None = None) -> None:
        self.size = size
        self.render_mode = render_mode
        self.possible_agents = ["chaser", "runner"]
        self.agents: list[str] = []
        self.positions: dict[str, np.ndarray] = {}
        self.np_random, _ = seeding.np_random(None)
        self.surface = Surface(size * CELL, size * CELL, background="#ffffff")

    @functools.cache  # noqa: B019 (spaces must be the same object every call)
    def observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(0, self.size - 1, shape=(4,), dtype=np.int64)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(len(MOVES))

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        cells = self.np_random.choice(self.size * self.size, size=2, replace=False)
        self.positions = {
            agent: np.array(divmod(int(c), self.size)[::-1]) for agent, c in zip(self.agents, cells, strict=True)
        }
        self.surface.reset()
        return self._observations(), {agent: {} for agent in self.agents}

    def step(self, actions):
        for agent, action in actions.items():
            dx, dy = MOVES[int(action)]
            self.positions[agent] = np.clip(self.positions[agent] + (dx, dy), 0, self.size - 1)
        caught = bool(np.array_equal(self.positions["chaser"], self.positions["runner"]))
        rewards = {"chaser": 1.0 if caught else -0.01, "runner": -1.0 if caught else 0.0}
        terminations = {agent: caught for agent in self.agents}
        truncations = {agent: False for agent in self.agents}
        infos = {agent: {"caught": caught} for agent in self.agents}
        observations = self._observations()
        if caught:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def _observations(self) -> dict[str, np.ndarray]:
        both = np.concatenate([self.positions["chaser"], self.positions["runner"]])
        return {agent: both.copy() for agent in self.possible_agents}

    def render(self):
        surface = self.surface
        for i in range(self.size + 1):
            surface.line([(i * CELL, 0), (i * CELL, self.size * CELL)], color="#dddddd", id=f"v{i}", persistent=True)
            surface.line([(0, i * CELL), (self.size * CELL, i * CELL)], color="#dddddd", id=f"h{i}", persistent=True)
        for agent, color in self.colors.items():
            x, y = self.positions[agent]
            surface.circle(float(x * CELL + CELL / 2), float(y * CELL + CELL / 2), CELL * 0.38, fill=color, id=agent)
        return surface.commit()


def make(**kwargs) -> TagEnv:
    return TagEnv(**kwargs)
