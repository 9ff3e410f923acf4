"""A MountainCar written only against the anchor MUG's API: a 300x200 `mug.rendering.Surface`, relative 0-1
coordinates, a hill drawn as a line filled below, a circle for the car, text, an image, a tweened flag.

It imports nothing of this project but `mug.rendering` (the anchor's module path), so the very same file runs
under the anchor's own package (tests/mug/test_anchor_surface_diff.py loads it there by file path)."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mug.rendering import Surface

WIDTH, HEIGHT = 300, 200
MIN_POSITION, MAX_POSITION, GOAL = -1.2, 0.6, 0.5
MAX_SPEED, FORCE, GRAVITY = 0.07, 0.001, 0.0025
# A 4x4 magenta PNG inline (the page's CSP allows data: images): the anchor's img_path, here a URL.
FLAG_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEUlEQVR4nGM4obEAjhiI4wAAjNIZAZwqAgUAAAAASUVORK5CYII="
)
CAR_RADIUS_PX = 10  # on the 300 px wide surface: radius 10 / max(300, 200) of the canvas's larger side


def hill(position: float) -> float:
    """The height of the hill at `position` (MountainCar's curve), 0-1 of the track's range."""
    return (math.sin(3 * position) + 1) / 2


def to_screen(position: float) -> tuple[float, float]:
    """A point of the track in the surface's 0-1 coordinates: the track spans 5%-95% across and 30%-90% down."""
    x = 0.05 + 0.9 * (position - MIN_POSITION) / (MAX_POSITION - MIN_POSITION)
    return x, 0.9 - 0.6 * hill(position)


class AnchorMountainCar(gym.Env):
    metadata = {"render_modes": ["mug"], "render_fps": 30}

    def __init__(self, render_mode: str | None = None) -> None:
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(3)
        low = np.array([MIN_POSITION, -MAX_SPEED], dtype=np.float32)
        high = np.array([MAX_POSITION, MAX_SPEED], dtype=np.float32)
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self.surface = Surface(width=WIDTH, height=HEIGHT)
        self.surface.register_image("flag", path=FLAG_URL)
        self.state = np.zeros(2)
        self.steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = np.array([self.np_random.uniform(-0.6, -0.4), 0.0])
        self.steps = 0
        self.surface.reset()
        return self.state.astype(np.float32), {}

    def step(self, action):
        position, velocity = self.state
        velocity += (int(action) - 1) * FORCE - math.cos(3 * position) * GRAVITY
        velocity = float(np.clip(velocity, -MAX_SPEED, MAX_SPEED))
        position = float(np.clip(position + velocity, MIN_POSITION, MAX_POSITION))
        if position == MIN_POSITION and velocity < 0:
            velocity = 0.0
        self.state = np.array([position, velocity])
        self.steps += 1
        terminated = position >= GOAL
        return self.state.astype(np.float32), -1.0, terminated, False, {"position": position}

    def render(self):
        s = self.surface
        track = np.linspace(MIN_POSITION, MAX_POSITION, 60)
        points = [to_screen(float(p)) for p in track]
        s.line(points=points, color=(0, 128, 0), width=2, fill_below=True, relative=True, id="hill", persistent=True)
        flag_x, flag_y = to_screen(GOAL)
        s.rect(x=flag_x, y=flag_y - 0.15, w=0.005, h=0.15, color="black", relative=True, id="pole", persistent=True)
        s.image(image_name="flag", x=flag_x, y=flag_y - 0.15, w=16, h=12, relative=True, id="flag", persistent=True)
        car_x, car_y = to_screen(float(self.state[0]))
        # Pixel coordinates on the 300x200 surface (converted to 0-1 by the Surface), the car sitting on the track.
        s.circle(
            x=car_x * WIDTH,
            y=car_y * HEIGHT - CAR_RADIUS_PX,
            radius=CAR_RADIUS_PX,
            color="red",
            stroke_color="#000",
            stroke_width=1,
            depth=2,
            id="car",
        )
        s.text(text=f"Step {self.steps}", x=8, y=6, size=14, color="navy")
        return s.commit().to_dict()


def make(render_mode: str | None = None) -> AnchorMountainCar:
    return AnchorMountainCar(render_mode=render_mode)
