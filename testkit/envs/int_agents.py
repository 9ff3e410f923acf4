"""A two-agent ParallelEnv whose agents are the ints 0 and 1 (as CoGrid and the anchor's examples name them).

Each agent walks along its own row; the env refuses any action dict whose keys are not its own ids, so a runtime
that hands it "0" instead of 0 fails loudly instead of playing on. `ids="collide"` (0 and "0") and `ids="tuple"`
give ids that cannot round-trip through JSON, which MUG refuses at load.
"""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from mug.surface import Surface

WIDTH = 12  # cells per row
CELL = 30
MOVES = {0: 0, 1: -1, 2: 1}  # stay, left, right
IDS = {"int": [0, 1], "collide": [0, "0"], "tuple": [(0, "a"), (1, "b")]}


class IntAgentsEnv(ParallelEnv):
    """Reward 1 for every step to the right; the episode never ends by itself (the scene's max_steps ends it)."""

    metadata = {"name": "mug_int_agents_v0", "render_modes": ["mug"]}

    def __init__(self, ids: str = "int", render_mode: str | None = None) -> None:
        self.render_mode = render_mode
        self.possible_agents = list(IDS[ids])
        self.agents: list = []
        self.positions: dict = {}
        self.surface = Surface(WIDTH * CELL, 2 * CELL, background="#ffffff")

    @functools.cache  # noqa: B019 (spaces must be the same object every call)
    def observation_space(self, agent) -> spaces.Box:
        return spaces.Box(0, WIDTH - 1, shape=(2,), dtype=np.int64)

    @functools.cache  # noqa: B019
    def action_space(self, agent) -> spaces.Discrete:
        return spaces.Discrete(len(MOVES))

    def reset(self, seed=None, options=None):
        start = 0 if seed is None else int(seed) % 3
        self.agents = list(self.possible_agents)
        self.positions = {agent: start for agent in self.agents}
        self.surface.reset()
        return self._observations(), {agent: {"id_type": type(agent).__name__} for agent in self.agents}

    def step(self, actions):
        strangers = [agent for agent in actions if agent not in self.possible_agents or type(agent) is not int]
        if strangers:
            raise KeyError(f"actions for agents {strangers!r}; this env's agents are {self.possible_agents!r}")
        rewards = {}
        for agent in self.agents:
            move = MOVES[int(actions.get(agent, 0))]
            before = self.positions[agent]
            self.positions[agent] = min(WIDTH - 1, max(0, before + move))
            rewards[agent] = 1.0 if self.positions[agent] > before else 0.0
        flags = {agent: False for agent in self.agents}
        infos = {agent: {"id_type": type(agent).__name__} for agent in self.agents}
        return self._observations(), rewards, flags, dict(flags), infos

    def _observations(self) -> dict:
        both = np.array([self.positions[agent] for agent in self.possible_agents], dtype=np.int64)
        return {agent: both.copy() for agent in self.possible_agents}

    def get_state(self):
        return dict(self.positions), list(self.agents)

    def set_state(self, state) -> None:
        positions, agents = state
        self.positions, self.agents = dict(positions), list(agents)

    def render(self):
        for row, (agent, color) in enumerate(zip(self.possible_agents, ("#d63a24", "#2456d6"), strict=True)):
            x = self.positions[agent] * CELL + CELL / 2
            self.surface.circle(float(x), float(row * CELL + CELL / 2), CELL * 0.4, fill=color, id=f"agent{row}")
        return self.surface.commit()


def make(**kwargs) -> IntAgentsEnv:
    return IntAgentsEnv(**kwargs)
