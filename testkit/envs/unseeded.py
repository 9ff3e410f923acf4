"""An env that draws from an unseeded generator every step (as CoGrid 0.2.1 draws move priority): two fresh envs with
the same seed and actions part ways, which the load-time determinism check must catch."""

from __future__ import annotations

import gymnasium
import numpy as np

from mug.surface import Surface


class UnseededEnv(gymnasium.Env):
    action_space = gymnasium.spaces.Discrete(3)
    observation_space = gymnasium.spaces.Box(-100, 100, shape=(2,))
    metadata = {"render_modes": ["mug"]}

    def __init__(self, render_mode=None):
        self.render_mode = render_mode
        self.priority = np.random.default_rng()  # the bug: never seeded by reset(seed)
        self.position = np.zeros(2, dtype=np.float32)
        self.surface = Surface(100, 100)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = self.np_random.uniform(-1, 1, size=2).astype(np.float32)  # seeded: the reset agrees
        return self.position.copy(), {}

    def step(self, action):
        first = int(self.priority.integers(2))  # who moves first: unseeded
        self.position[first] += float(action) - 1
        return self.position.copy(), 0.0, False, False, {"first": first}

    def render(self):
        self.surface.text(f"{self.position[0]:.0f}", 10, 10)
        return self.surface.commit()


def make(**kwargs) -> UnseededEnv:
    return UnseededEnv(**kwargs)
