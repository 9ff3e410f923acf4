"""A Gymnasium env written from Gymnasium's own template: it renders only RGB arrays and asserts its render mode
(`render_mode="mug"` would raise AssertionError: mug)."""

from __future__ import annotations

import gymnasium
import numpy as np


class RgbOnlyEnv(gymnasium.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}
    action_space = gymnasium.spaces.Discrete(2)
    observation_space = gymnasium.spaces.Box(0, 50, shape=(1,))

    def __init__(self, render_mode=None):
        assert render_mode is None or render_mode in self.metadata["render_modes"]
        self.render_mode, self.t = render_mode, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        return np.full(1, self.t, dtype=np.float32), float(action), self.t >= 50, False, {}

    def render(self):
        frame = np.zeros((20, 30, 3), dtype=np.uint8)
        frame[:, : self.t % 30] = (200, 40, 40)
        return frame


class HumanOnlyEnv(RgbOnlyEnv):
    """Draws only to its own window: MUG cannot show it."""

    metadata = {"render_modes": ["human"], "render_fps": 30}
