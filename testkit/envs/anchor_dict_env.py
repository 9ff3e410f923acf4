"""A single-agent Gymnasium env written the anchor MUG's way: `step({"human": action})` (the anchor always steps
with per-agent dicts), drawn with the Surface. `returns="dicts"` answers with per-agent dicts of obs, reward, flags
and info (as the anchor's runtime also accepts); `returns="plain"` with plain values, as the anchor's MountainCar
example does (`super().step(actions["human"])`)."""

from __future__ import annotations

import numpy as np
from gymnasium import Env, spaces

from mug.surface import Surface

WIDTH, HEIGHT = 300, 200
GOAL = 10


class AnchorWalk(Env):
    """Walk right to the goal: reward 1 per step right; terminated at the goal."""

    metadata = {"render_modes": ["mug"]}

    def __init__(self, returns: str = "dicts", render_mode: str | None = None) -> None:
        self.returns = returns
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0, GOAL, shape=(1,), dtype=np.int64)
        self.action_space = spaces.Discrete(3)  # stay, left, right
        self.position = 0
        self.surface = Surface(WIDTH, HEIGHT, background="#ffffff")

    def reset(self, *args, seed=None, **kwargs):
        super().reset(seed=seed)
        self.position = int(self.np_random.integers(0, 3))
        self.surface.reset()
        return self._obs(), {}

    def step(self, actions: dict[str, int]):
        assert "human" in actions, "Must be using human agent ID!"
        move = {0: 0, 1: -1, 2: 1}[int(actions["human"])]
        before = self.position
        self.position = min(GOAL, max(0, before + move))
        reward = 1.0 if self.position > before else 0.0
        terminated = self.position == GOAL
        if self.returns == "plain":
            return self._obs(), reward, terminated, False, {"position": self.position}
        wrap = lambda value: {"human": value}  # noqa: E731
        return wrap(self._obs()), wrap(reward), wrap(terminated), wrap(False), wrap({"position": self.position})

    def _obs(self) -> np.ndarray:
        return np.array([self.position], dtype=np.int64)

    def render(self):
        x = 20 + self.position * (WIDTH - 40) / GOAL
        self.surface.circle(float(x), HEIGHT / 2, 12, fill="#d63a24", id="walker")
        return self.surface.commit()


def make(**kwargs) -> AnchorWalk:
    return AnchorWalk(**kwargs)
