"""A walk drawn with the study's own image files (GymScene.assets): a sprite and an atlas frame, by name."""

from __future__ import annotations

import gymnasium
import numpy as np

from mug.surface import Surface


class AssetWalk(gymnasium.Env):
    action_space = gymnasium.spaces.Discrete(2)
    observation_space = gymnasium.spaces.Box(0, 20, shape=(1,), dtype=np.int64)
    metadata = {"render_modes": ["mug"]}

    def __init__(self, render_mode=None):
        self.render_mode, self.x = render_mode, 0
        self.surface = Surface(100, 60)
        self.surface.register_image("chef")  # no URL: the scene's asset of this name
        self.surface.register_image("tiles")  # an atlas: frames "red" and "blue"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = 0
        return np.array([self.x]), {}

    def step(self, action):
        self.x = min(20, self.x + int(action))
        return np.array([self.x]), float(self.x == 20), self.x == 20, False, {}

    def render(self):
        self.surface.image("chef", 10, 10, 30, 30, id="chef")
        self.surface.image("tiles", 60, 10, 30, 30, frame="blue", id="tile")
        return self.surface.commit()


def make(**kwargs) -> AssetWalk:
    return AssetWalk(**kwargs)
