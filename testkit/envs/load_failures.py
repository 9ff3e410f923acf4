"""Envs that fail at load in different places: construction, reset, the n-th step (each natively too)."""

from __future__ import annotations

from testkit.envs.rgb_only import RgbOnlyEnv


class MissingMapEnv(RgbOnlyEnv):
    def __init__(self, render_mode=None, level: str = "maps/level1.txt"):
        with open(level, encoding="utf-8") as handle:  # the file is not there
            self.level = handle.read()
        super().__init__(render_mode=render_mode)


class ResetFailsEnv(RgbOnlyEnv):
    def reset(self, *, seed=None, options=None):
        raise KeyError("spawn_points")


class StepFailsEnv(RgbOnlyEnv):
    def step(self, action):
        if self.t == 7:
            raise ZeroDivisionError("division by zero in the physics")
        return super().step(action)
