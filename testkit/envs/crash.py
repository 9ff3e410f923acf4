"""An env whose step raises after a few frames in the browser only (as one that needs something Pyodide lacks; a
crash the server's load-time probe can see refuses the study): the browser must end the scene with the error outcome."""

from __future__ import annotations

import sys

import gymnasium
import numpy as np

from mug.surface import Surface


class CrashEnv(gymnasium.Env):
    action_space = gymnasium.spaces.Discrete(2)
    observation_space = gymnasium.spaces.Box(0, 10, shape=(1,))
    metadata = {"render_modes": ["mug"]}

    def __init__(self, render_mode=None, crash_at: int = 5):
        self.render_mode, self.crash_at, self.t = render_mode, crash_at, 0
        self.surface = Surface(100, 100)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        if self.t >= self.crash_at and sys.platform == "emscripten":
            raise RuntimeError(f"the simulator broke at step {self.t}")
        return np.full(1, self.t, dtype=np.float32), 0.0, False, False, {}

    def render(self):
        self.surface.text(str(self.t), 10, 10)
        return self.surface.commit()


def make(**kwargs) -> CrashEnv:
    return CrashEnv(**kwargs)
