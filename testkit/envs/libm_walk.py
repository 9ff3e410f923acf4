"""A walker whose observations go through libm (np.hypot, math.sin, math.exp, pow...): native CPython and Pyodide's
wasm round some of them differently in the last bit, so only a replay in Pyodide reproduces them exactly
(tests/gamedata/test_exact_verification.py, tests/browser/test_exact_verification_browser.py)."""

from __future__ import annotations

import math

import gymnasium
import numpy as np

from mug.surface import Surface


class LibmWalk(gymnasium.Env):
    action_space = gymnasium.spaces.Discrete(2)
    observation_space = gymnasium.spaces.Box(-1e9, 1e9, shape=(7,), dtype=np.float64)
    metadata = {"render_modes": ["mug"]}

    def __init__(self, render_mode=None, max_t: int = 90, spin_at: int = 0, crash_at: int = 0):
        # spin_at / crash_at: the step that never returns / raises (the verifier's robustness tests)
        self.render_mode, self.max_t, self.spin_at, self.crash_at = render_mode, max_t, spin_at, crash_at
        self.surface = Surface(200, 100)
        self.x = self.y = 0.0
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x, self.y = (float(v) for v in self.np_random.uniform(-3.0, 3.0, size=2))
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        while self.t == self.spin_at:
            pass
        if self.t == self.crash_at:
            raise RuntimeError(f"crashed at step {self.t}")
        dx, dy = (float(v) for v in self.np_random.normal(0.0, 0.7, size=2))
        self.x += dx + (0.3 if action == 1 else -0.3)
        self.y += dy
        obs = self._obs()
        reward = math.sin(self.x) * math.exp(-abs(self.y) / 5.0)
        return obs, reward, False, self.t >= self.max_t, {"distance": float(np.hypot(self.x, self.y))}

    def _obs(self):
        x, y = self.x, self.y
        return np.array(
            [
                np.hypot(x, y),
                math.sin(x * y),
                math.exp(x / 7.0),
                math.atan2(y, x),
                math.log1p(abs(x * y)),
                abs(x) ** 0.37,
                math.cos(y) * math.tanh(x),
            ]
        )

    def render(self):
        self.surface.circle(100 + 10 * math.tanh(self.x / 10), 50 + 10 * math.tanh(self.y / 10), 5, id="walker")
        return self.surface.commit()


def make(render_mode=None, **kwargs):
    return LibmWalk(render_mode=render_mode, **kwargs)
