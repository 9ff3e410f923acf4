"""Gather with a sprite: an image registered on the surface and drawn every frame (the page must load it first)."""

from __future__ import annotations

from examples.gather.env import GatherEnv

# A 4x4 magenta PNG inline (the page's CSP allows data: images), so the test needs no static file.
BADGE_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEUlEQVR4nGM4obEAjhiI4wAAjNIZAZwqAgUAAAAASUVORK5CYII="
)


class SpriteGather(GatherEnv):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.surface.register_image("badge", BADGE_URL)

    def render(self):
        self.surface.image("badge", 4, 4, 24, 24, id="badge", persistent=True)
        return super().render()


def make(**kwargs) -> SpriteGather:
    return SpriteGather(**kwargs)
