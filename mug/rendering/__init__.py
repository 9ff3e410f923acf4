"""The anchor's drawing API (`mug.rendering.Surface`), so envs written for the anchor MUG run here unchanged."""

from __future__ import annotations

from mug.rendering.color import NAMED_COLORS, normalize_color
from mug.rendering.surface import Surface
from mug.rendering.types import DrawCommand, RenderPacket

__all__ = ["NAMED_COLORS", "DrawCommand", "RenderPacket", "Surface", "normalize_color"]
