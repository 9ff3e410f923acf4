"""A PettingZoo ParallelEnv for 2-4 players: walk the grid, pick up coins; a new coin appears at a random cell."""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv

from mug.surface import Surface

MOVES = {0: (0, 0), 1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}  # stay, up, down, left, right
CELL = 40
COLORS = ["#d63a24", "#2e6fd6", "#2e9e5b", "#b58a00"]


class GatherEnv(ParallelEnv):
    """Each player scores 1 per coin; coins respawn from the env's RNG (so a rollback must restore it)."""

    metadata = {"name": "mug_gather_v0", "render_modes": ["mug"]}

    def __init__(
        self, players: int = 2, size: int = 9, coins: int = 3, render_mode: str | None = None, step_cost_ms: float = 0.0
    ) -> None:
        if not 1 <= players <= len(COLORS):
            raise ValueError(f"players must be 1..{len(COLORS)}")
        self.size, self.n_coins, self.render_mode = size, coins, render_mode
        self.step_cost_ms = step_cost_ms  # extra deterministic work per step (the benchmark's slower envs)
        self.possible_agents = [f"player_{i}" for i in range(players)]
        self.agents: list[str] = []
        self.positions = np.zeros((players, 2), dtype=np.int64)
        self.coins = np.zeros((coins, 2), dtype=np.int64)
        self.np_random, _ = seeding.np_random(None)
        self.surface = Surface(size * CELL, size * CELL, background="#fafafa")

    @functools.cache  # noqa: B019 (spaces must be the same object every call)
    def observation_space(self, agent: str) -> spaces.Box:
        return spaces.Box(0, self.size - 1, shape=(2 * (len(self.possible_agents) + self.n_coins),), dtype=np.int64)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Discrete:
        return spaces.Discrete(len(MOVES))

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self.positions = self.np_random.integers(0, self.size, size=(len(self.agents), 2))
        self.coins = self.np_random.integers(0, self.size, size=(self.n_coins, 2))
        self.surface.reset()
        return self._observations(), {agent: {} for agent in self.agents}

    def step(self, actions):
        rewards = {agent: 0.0 for agent in self.agents}
        for index, agent in enumerate(self.possible_agents):  # a fixed order: who moves first wins a tie
            dx, dy = MOVES[int(actions.get(agent, 0))]
            self.positions[index] = np.clip(self.positions[index] + (dx, dy), 0, self.size - 1)
            for coin in range(self.n_coins):
                if np.array_equal(self.positions[index], self.coins[coin]):
                    rewards[agent] += 1.0
                    self.coins[coin] = self.np_random.integers(0, self.size, size=2)
        if self.step_cost_ms:
            _burn(self.step_cost_ms)
        infos = {agent: {"score_step": rewards[agent]} for agent in self.agents}
        no = {agent: False for agent in self.agents}
        return self._observations(), rewards, no, dict(no), infos

    def get_state(self) -> tuple:
        """The whole game state, compact (rollback saves it every frame; see mug.snapshots)."""
        return (self.positions.copy(), self.coins.copy(), self.np_random.bit_generator.state, tuple(self.agents))

    def set_state(self, state: tuple) -> None:
        positions, coins, rng_state, agents = state
        self.positions, self.coins, self.agents = positions.copy(), coins.copy(), list(agents)
        self.np_random.bit_generator.state = rng_state

    def _observations(self) -> dict[str, np.ndarray]:
        flat = np.concatenate([self.positions.ravel(), self.coins.ravel()])
        return {agent: flat.copy() for agent in self.possible_agents}

    def render(self):
        surface = self.surface
        for i in range(self.size + 1):
            surface.line([(i * CELL, 0), (i * CELL, self.size * CELL)], color="#e0e0e0", id=f"v{i}", persistent=True)
            surface.line([(0, i * CELL), (self.size * CELL, i * CELL)], color="#e0e0e0", id=f"h{i}", persistent=True)
        for coin, (x, y) in enumerate(self.coins):
            surface.circle(
                float(x * CELL + CELL / 2),
                float(y * CELL + CELL / 2),
                CELL * 0.2,
                fill="#f2c200",
                id=f"coin{coin}",
                persistent=True,
            )
        for index, (x, y) in enumerate(self.positions):
            surface.rect(
                float(x * CELL + 6),
                float(y * CELL + 6),
                CELL - 12,
                CELL - 12,
                fill=COLORS[index],
                id=self.possible_agents[index],
                persistent=True,
                radius=6,
            )
        return surface.commit()


def _burn(ms: float) -> None:
    """Spend about `ms` of CPU time (it changes no state, so replays stay exact)."""
    import time

    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


def make(**kwargs) -> GatherEnv:
    return GatherEnv(**kwargs)
