"""The anchor's Surface: keyword-only draw calls collected per frame, committed as delta packets in 0-1 coordinates.

Semantics follow the anchor's published package (multi-user-gymnasium 0.1.3): pixel coordinates are divided by the
surface's size (radii by the larger side) unless a call says `relative=True`; any extra keyword (`alpha`,
`fill_below`, `fill_above`...) travels with the object; `persistent=True` needs an `id` and such an object is sent
again only when it changes; `remove(id)` and `reset()` as in the anchor. One deliberate difference: objects without
an id get ids from a counter (`_a0`, `_a1`...) instead of random ones, so every browser produces the same packets.
tests/mug/test_anchor_surface_diff.py runs the same calls through the anchor's own package and compares.
"""

from __future__ import annotations

from typing import Any

from mug.rendering.color import normalize_color
from mug.rendering.types import DrawCommand, RenderPacket

Color = tuple[int, int, int] | str
# Which parameters of each wire type are x-like (divided by the width), y-like (by the height) or radii (by the
# larger side) when a call gives pixels.
_POINT = {"circle", "text", "arc"}
_XS = {"rect": ("x", "w"), "sprite": ("x", "w"), "ellipse": ("x", "rx"), **{kind: ("x",) for kind in _POINT}}
_YS = {"rect": ("y", "h"), "sprite": ("y", "h"), "ellipse": ("y", "ry"), **{kind: ("y",) for kind in _POINT}}
_RADII = {"circle": ("radius",), "arc": ("radius",)}


class Surface:
    """A `width` x `height` pixel drawing area; draw each frame, then `commit()` (usually `.to_dict()` in render)."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self._ephemeral: list[DrawCommand] = []
        self._persistent: dict[str, DrawCommand] = {}
        self._sent: dict[str, dict[str, Any]] = {}
        self._removals: dict[str, None] = {}
        self._specs: list[dict[str, Any]] = []
        self._next_id = 0

    # Assets: the anchor's specs (get_asset_specs) and the same in this project's loader format (assets).

    def register_atlas(self, name: str, *, img_path: str, json_path: str) -> None:
        """An atlas (image + JSON frames) the page loads before play; draw its frames with image(frame=...)."""
        self._specs.append({"object_type": "atlas_spec", "name": name, "img_path": img_path, "atlas_path": json_path})

    def register_image(self, name: str, *, path: str | None = None) -> None:
        """An image the page loads before play, drawn with image(image_name=name, ...); without a path, the game
        scene's asset of this name (GymScene.assets), which the page has loaded by then."""
        self._specs.append({"object_type": "img_spec", "name": name, "img_path": path})

    def get_asset_specs(self) -> list[dict[str, Any]]:
        return list(self._specs)

    def assets(self) -> list[dict[str, str]]:
        """The registered images and atlases as the game page loads them (mug.loop.GameLoop.assets reads this)."""
        loaded = []
        for spec in self._specs:
            if spec["object_type"] == "atlas_spec":
                loaded.append(
                    {"name": spec["name"], "kind": "atlas", "url": spec["img_path"], "atlas_url": spec["atlas_path"]}
                )
            elif spec["img_path"] is None:
                loaded.append({"name": spec["name"], "kind": "scene"})
            else:
                loaded.append({"name": spec["name"], "kind": "image", "url": spec["img_path"]})
        return loaded

    # Draw calls (keyword-only, as the anchor's).

    def rect(
        self,
        *,
        x: float,
        y: float,
        w: float,
        h: float,
        color: Color = "white",
        border_radius: float | None = None,
        stroke_color: Color | None = None,
        stroke_width: float | None = None,
        **common: Any,
    ) -> None:
        params = {"x": x, "y": y, "w": w, "h": h, "color": normalize_color(color)}
        _optional(params, border_radius=border_radius, stroke_color=stroke_color, stroke_width=stroke_width)
        self._draw("rect", params, common)

    def circle(
        self,
        *,
        x: float,
        y: float,
        radius: float,
        color: Color = "white",
        stroke_color: Color | None = None,
        stroke_width: float | None = None,
        **common: Any,
    ) -> None:
        params = {"x": x, "y": y, "radius": radius, "color": normalize_color(color)}
        _optional(params, stroke_color=stroke_color, stroke_width=stroke_width)
        self._draw("circle", params, common)

    def line(self, *, points: list[tuple[float, float]], color: Color = "white", width: int = 1, **common: Any) -> None:
        """A polyline; `fill_below=True` / `fill_above=True` also fill the area between it and the bottom / top."""
        self._draw("line", {"points": points, "color": normalize_color(color), "width": width}, common)

    def polygon(
        self,
        *,
        points: list[tuple[float, float]],
        color: Color = "white",
        stroke_color: Color | None = None,
        stroke_width: float | None = None,
        **common: Any,
    ) -> None:
        params = {"points": points, "color": normalize_color(color)}
        _optional(params, stroke_color=stroke_color, stroke_width=stroke_width)
        self._draw("polygon", params, common)

    def text(
        self,
        *,
        text: str,
        x: float,
        y: float,
        size: int = 16,
        color: Color = "black",
        font: str = "Arial",
        **common: Any,
    ) -> None:
        params = {"text": text, "x": x, "y": y, "size": size, "color": normalize_color(color), "font": font}
        self._draw("text", params, common)

    def image(
        self,
        *,
        image_name: str,
        x: float,
        y: float,
        w: float,
        h: float,
        frame: str | int | None = None,
        angle: float | None = None,
        **common: Any,
    ) -> None:
        """A registered image or atlas frame with its top-left corner at (x, y) (wire type "sprite")."""
        params: dict[str, Any] = {"image_name": image_name, "x": x, "y": y, "w": w, "h": h}
        if frame is not None:
            params["frame"] = frame
        if angle is not None:
            params["angle"] = angle
        self._draw("sprite", params, common)

    def arc(
        self,
        *,
        x: float,
        y: float,
        radius: float,
        start_angle: float,
        end_angle: float,
        color: Color = "white",
        **common: Any,
    ) -> None:
        params = {"x": x, "y": y, "radius": radius, "start_angle": start_angle, "end_angle": end_angle}
        self._draw("arc", {**params, "color": normalize_color(color)}, common)

    def ellipse(self, *, x: float, y: float, rx: float, ry: float, color: Color = "white", **common: Any) -> None:
        self._draw("ellipse", {"x": x, "y": y, "rx": rx, "ry": ry, "color": normalize_color(color)}, common)

    # Frames.

    def commit(self) -> RenderPacket:
        """This frame's packet: every ephemeral object, persistent ones that are new or changed, the removals."""
        objects = [self._wire(command) for command in self._ephemeral]
        for object_id, command in self._persistent.items():
            wire = self._wire(command)
            if self._sent.get(object_id) != wire:
                objects.append(wire)
                self._sent[object_id] = wire
        removed = list(self._removals)
        for object_id in removed:
            self._sent.pop(object_id, None)
            self._persistent.pop(object_id, None)
        self._ephemeral = []
        self._removals = {}
        return RenderPacket(objects=objects, removed=removed)

    def remove(self, id: str) -> None:  # noqa: A002 (the anchor's keyword)
        """Remove a persistent object at the next commit."""
        self._removals[id] = None

    def reset(self) -> None:
        """Forget every object: persistent ones drawn again are sent again (an episode boundary)."""
        self._ephemeral = []
        self._persistent.clear()
        self._sent.clear()
        self._removals = {}

    def _draw(self, object_type: str, params: dict[str, Any], common: dict[str, Any]) -> None:
        object_id = common.pop("id", None)
        persistent = common.pop("persistent", False)
        if persistent and object_id is None:
            raise ValueError("persistent=True requires an id= parameter")
        if object_id is None:
            object_id = f"_a{self._next_id}"
            self._next_id += 1
        settings = {
            "relative": common.pop("relative", False),
            "depth": common.pop("depth", 0),
            "tween_duration": common.pop("tween_duration", None),
        }
        command = DrawCommand(object_type, object_id, {**common, **params, **settings}, persistent)
        if persistent:
            self._persistent[object_id] = command
        else:
            self._ephemeral.append(command)

    def _wire(self, command: DrawCommand) -> dict[str, Any]:
        params = dict(command.params)
        relative = params.pop("relative")
        depth = params.pop("depth")
        tween_duration = params.pop("tween_duration")
        kind = command.object_type
        if not relative:
            for name in _XS.get(kind, ()):
                params[name] = params[name] / self.width
            for name in _YS.get(kind, ()):
                params[name] = params[name] / self.height
            for name in _RADII.get(kind, ()):
                params[name] = params[name] / max(self.width, self.height)
            if kind in ("line", "polygon"):
                params["points"] = [(px / self.width, py / self.height) for px, py in params["points"]]
        if kind == "sprite":
            params["width"] = params.pop("w")
            params["height"] = params.pop("h")
        return {
            "uuid": command.id,
            "object_type": kind,
            "depth": depth,
            "tween": tween_duration is not None,
            "tween_duration": 0 if tween_duration is None else tween_duration,
            "permanent": command.persistent,
            **params,
        }


def _optional(params: dict[str, Any], **values: Any) -> None:
    """Add the optional parameters that were given (colours normalised), as the anchor's wire has them."""
    for name, value in values.items():
        if value is not None:
            params[name] = normalize_color(value) if name == "stroke_color" else value
