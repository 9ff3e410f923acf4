"""Tag for three: one chaser and two runners on the demo's grid (examples.tag.env: its spaces and drawing). The chaser
sees itself and the nearer runner (the four numbers the demo's ONNX chaser was trained on); catching either runner
ends the episode (unless `endless`: then it only scores, and the episode runs until the scene's max_steps)."""

from __future__ import annotations

import functools

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding

from examples.tag.env import MOVES, TagEnv

RUNNERS = ("runner_a", "runner_b")


class TagTrio(TagEnv):
    metadata = {"name": "mug_tag_trio_v0", "render_modes": ["mug"]}
    colors = {"runner_a": "#2e9e5b", "runner_b": "#2b6cb0", "chaser": "#d63a24"}

    def __init__(self, size: int = 7, endless: bool = False, render_mode: str | None = None) -> None:
        super().__init__(size, render_mode)
        self.endless = endless
        self.possible_agents = ["chaser", *RUNNERS]

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        cells = self.np_random.choice(self.size * self.size, size=3, replace=False)
        self.positions = {
            agent: np.array(divmod(int(c), self.size)[::-1]) for agent, c in zip(self.agents, cells, strict=True)
        }
        self.surface.reset()
        return self._observations(), {agent: {} for agent in self.agents}

    def step(self, actions):
        for agent, action in actions.items():
            dx, dy = self._move(action)
            self.positions[agent] = np.clip(self.positions[agent] + (dx, dy), 0, self.size - 1)
        caught = [r for r in RUNNERS if np.array_equal(self.positions["chaser"], self.positions[r])]
        rewards = {"chaser": 1.0 if caught else -0.01, **{r: -1.0 if r in caught else 0.0 for r in RUNNERS}}
        terminations = {agent: bool(caught) and not self.endless for agent in self.agents}
        truncations = {agent: False for agent in self.agents}
        infos = {agent: {"caught": len(caught)} for agent in self.agents}
        observations = self._observations()
        if caught and not self.endless:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def _move(self, action) -> tuple[int, int]:
        return MOVES[int(action)]

    def _nearer_runner(self) -> np.ndarray:
        chaser = self.positions["chaser"]
        return min((self.positions[r] for r in RUNNERS), key=lambda p: int(np.abs(p - chaser).sum()))

    def _observations(self) -> dict[str, np.ndarray]:
        out = {"chaser": np.concatenate([self.positions["chaser"], self._nearer_runner()])}
        for runner in RUNNERS:
            out[runner] = np.concatenate([self.positions["chaser"], self.positions[runner]])
        return out


def make(**kwargs) -> TagTrio:
    return TagTrio(**kwargs)


class TagTrioBox(TagTrio):
    """The same game with continuous moves (a Box action space)."""

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Box:
        return spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    def _move(self, action) -> tuple[int, int]:
        return tuple(int(v) for v in np.sign(np.asarray(action)))


def make_box(**kwargs) -> TagTrioBox:
    return TagTrioBox(**kwargs)
