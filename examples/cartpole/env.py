"""Gymnasium's CartPole, unmodified in its dynamics, with a `render_mode="mug"` drawing made with the Surface API."""

from __future__ import annotations

import math

from gymnasium.envs.classic_control.cartpole import CartPoleEnv

from mug.surface import Surface

WIDTH, HEIGHT = 600, 400


class DrawnCartPole(CartPoleEnv):
    """CartPole-v1 physics and rewards; `render()` returns a MUG render packet."""

    metadata = {**CartPoleEnv.metadata, "render_modes": [*CartPoleEnv.metadata["render_modes"], "mug"]}

    def __init__(self, render_mode: str | None = None, **kwargs) -> None:
        super().__init__(render_mode=None if render_mode == "mug" else render_mode, **kwargs)
        self.render_mode = render_mode
        self.surface = Surface(WIDTH, HEIGHT, background="#f4f6fb")

    def reset(self, *, seed=None, options=None):
        self.surface.reset()
        return super().reset(seed=seed, options=options)

    def render(self):
        if self.render_mode != "mug":
            return super().render()
        return self._draw()

    def _draw(self) -> dict:
        surface = self.surface
        scale = WIDTH / (self.x_threshold * 2)
        track_y = HEIGHT * 0.7
        surface.line([(0, track_y), (WIDTH, track_y)], color="#555555", width=2, id="track", persistent=True)
        x, _, theta, _ = self.state
        cart_x = x * scale + WIDTH / 2
        surface.rect(cart_x - 30, track_y - 30, 60, 30, fill="#2457d6", radius=4, id="cart")
        pole_length = scale * 2 * self.length
        tip = (cart_x + pole_length * math.sin(theta), track_y - 30 - pole_length * math.cos(theta))
        surface.line([(cart_x, track_y - 30), tip], color="#c98b2b", width=8, id="pole")
        surface.circle(cart_x, track_y - 30, 4, fill="#333333", id="axle")
        return surface.commit()


def make(**kwargs) -> DrawnCartPole:
    return DrawnCartPole(**kwargs)
