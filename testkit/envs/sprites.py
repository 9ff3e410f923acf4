"""Gather with a sprite: an image registered on the surface and drawn every frame (the page must load it first)."""

from __future__ import annotations

from examples.gather.env import GatherEnv

BADGE_URL = "/static/frontend/img/test-badge.png"


class SpriteGather(GatherEnv):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.surface.register_image("badge", BADGE_URL)

    def render(self):
        self.surface.image("badge", 4, 4, 24, 24, id="badge", persistent=True)
        return super().render()


def make(**kwargs) -> SpriteGather:
    return SpriteGather(**kwargs)
