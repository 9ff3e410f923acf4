# examples/sprites/env.py
"""A chef walks along a kitchen row to the counter, drawn with the study's own images (GymScene.assets)."""

import gymnasium
import numpy as np

from mug.surface import Surface

TILES = 8


class KitchenWalk(gymnasium.Env):
    action_space = gymnasium.spaces.Discrete(3)  # stay, left, right
    observation_space = gymnasium.spaces.Box(0, TILES - 1, shape=(1,), dtype=np.int64)
    metadata = {"render_modes": ["mug"]}

    def __init__(self, render_mode=None):
        self.render_mode, self.x = render_mode, 0
        self.surface = Surface(TILES * 20, 40)
        self.surface.register_image("chef")  # no URL: the scene's asset named "chef"
        self.surface.register_image("kitchen")  # an atlas: frames "floor" and "counter"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x = 0
        return np.array([self.x]), {}

    def step(self, action):
        self.x = int(np.clip(self.x + (0, -1, 1)[int(action)], 0, TILES - 1))
        done = self.x == TILES - 1
        return np.array([self.x]), float(done), done, False, {}

    def render(self):
        for tile in range(TILES):
            frame = "counter" if tile == TILES - 1 else "floor"
            self.surface.image("kitchen", tile * 20, 20, 20, 20, frame=frame, id=f"tile{tile}", persistent=True)
        self.surface.image("chef", self.x * 20, 0, 20, 20, id="chef")
        return self.surface.commit()


def make(**kwargs):
    return KitchenWalk(**kwargs)
