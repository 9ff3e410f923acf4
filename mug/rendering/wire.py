"""The anchor's render packets ({"game_state_objects", "removed"}, 0-1 coordinates) as this project's packets.

An env written for the anchor returns `surface.commit().to_dict()` from render(); the loop turns it into the packet
the page's renderer (and a server game's late-joiner repaint) draws, in pixels of the scene's canvas, exactly as
the anchor's Phaser renderer places them: x and widths times the canvas width, y and heights times its height,
radii times its larger side; line widths, stroke widths, text sizes and sprite display sizes stay in pixels (the
anchor's renderer does not scale them); sprites are placed by their top-left corner; `alpha` applies to rectangles,
circles and polygons only; a polygon sits at its centroid, so moving it whole glides when tweened. The anchor draws
no arcs or ellipses and ignores `border_radius`; here they are drawn. Two of the anchor renderer's faults are not
copied: a persistent line drawn again with new points is redrawn (the anchor keeps the first), and an object
drawn without a tween snaps even while an earlier tween runs. As in the anchor, a sprite's width and height are
pixels of the canvas: envs pass `relative=True` with pixel sizes (the anchor's examples do); without it the
Surface divides them by its size and the sprite is drawn under a pixel wide, there as here.
"""

from __future__ import annotations

from typing import Any

EMPTY = {"objects": [], "removed": [], "reset": False}


def is_anchor_packet(frame: Any) -> bool:
    """render() gave the anchor's format: a packet dict, a RenderPacket, or the legacy list of wire dicts."""
    if isinstance(frame, dict):
        return "game_state_objects" in frame
    if isinstance(frame, list):
        return all(isinstance(item, dict) and "object_type" in item for item in frame)
    return hasattr(frame, "to_dict") and hasattr(frame, "objects")


def to_packet(frame: Any, width: int, height: int) -> dict[str, Any]:
    """The anchor's packet drawn on a `width` x `height` canvas, as this project's packet."""
    if isinstance(frame, list):
        objects, removed = frame, []
    else:
        data = frame.to_dict() if not isinstance(frame, dict) else frame
        objects, removed = data.get("game_state_objects") or [], data.get("removed") or []
    scale = _Scale(width, height)
    converted = [obj for obj in (scale.object(wire) for wire in objects) if obj is not None]
    removed = [str(object_id) for object_id in removed]
    return {"objects": converted, "removed": removed, "reset": False, "size": [width, height]}


class _Scale:
    def __init__(self, width: int, height: int) -> None:
        self.w, self.h, self.r = width, height, max(width, height)

    def object(self, wire: dict[str, Any]) -> dict[str, Any] | None:
        kind = wire.get("object_type")
        if kind == "rectangle":
            kind = "rect"
        draw = getattr(self, f"_{kind}", None)
        if draw is None:
            return {"id": str(wire.get("uuid")), "type": str(kind), "persistent": False, "depth": 0, "alpha": 1}
        obj = {
            "id": str(wire["uuid"]),
            "persistent": bool(wire.get("permanent", False)),
            "depth": _num(wire.get("depth") or 0),
            "alpha": 1,
            "tween_ms": _num(wire.get("tween_duration") or 0) if wire.get("tween") else 0,
        }
        obj.update(draw(wire))
        return obj

    def _paint(self, wire: dict[str, Any]) -> dict[str, Any]:
        stroke = wire.get("stroke_color")
        width = _num(wire.get("stroke_width") or 0)
        alpha = wire.get("alpha")
        return {
            "fill": wire.get("color"),
            "stroke": stroke if stroke and width > 0 else None,
            "stroke_width": width,
            "alpha": 1 if alpha is None else _num(alpha),
        }

    def _rect(self, wire):
        x, y = self._xy(wire)
        size = {"w": _num(wire.get("w") or 0) * self.w, "h": _num(wire.get("h") or 0) * self.h}
        radius = _num(wire.get("border_radius") or 0)
        return {"type": "rect", "x": x, "y": y, **size, **self._paint(wire), "radius": radius}

    def _circle(self, wire):
        x, y = self._xy(wire)
        return {"type": "circle", "x": x, "y": y, "r": _num(wire["radius"]) * self.r, **self._paint(wire)}

    def _ellipse(self, wire):
        x, y = self._xy(wire)
        radii = {"rx": _num(wire["rx"]) * self.w, "ry": _num(wire["ry"]) * self.h}
        return {"type": "ellipse", "x": x, "y": y, **radii, **self._paint(wire)}

    def _arc(self, wire):
        x, y = self._xy(wire)
        angles = {"start": _num(wire["start_angle"]), "end": _num(wire["end_angle"]), "closed": False}
        paint = {"fill": None, "stroke": wire.get("color"), "stroke_width": 1}
        return {"type": "arc", "x": x, "y": y, "r": _num(wire["radius"]) * self.r, **angles, **paint}

    def _line(self, wire):
        fill_to = [self.h] if wire.get("fill_below") is True else []
        fill_to += [0] if wire.get("fill_above") is True else []
        line = {"type": "line", "points": self._points(wire), "stroke": wire.get("color")}
        line["stroke_width"] = _num(wire.get("width") or 1)
        if fill_to:
            line.update(fill=wire.get("color"), fill_to=fill_to)
        return line

    def _polygon(self, wire):
        # Placed at its centroid with its points around it, as the anchor's renderer does: moving a polygon whole
        # is a change of position (tweened), not of shape.
        points = self._points(wire)
        cx, cy = sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
        local = [[px - cx, py - cy] for px, py in points]
        return {"type": "polygon", "x": cx, "y": cy, "points": local, **self._paint(wire)}

    def _text(self, wire):
        x, y = self._xy(wire)
        style = {"size": _num(wire.get("size") or 16), "color": wire.get("color") or "#000000"}
        style.update(font=str(wire.get("font") or "Arial"), align="left")
        return {"type": "text", "x": x, "y": y, "text": str(wire.get("text", "")), **style}

    def _sprite(self, wire):
        # The anchor floors a sprite's position and shows width/height as pixels, its corner at (x, y).
        x, y = int(_num(wire["x"]) * self.w // 1), int(_num(wire["y"]) * self.h // 1)
        frame = wire.get("frame")
        size = {"w": _num(wire.get("width") or 0), "h": _num(wire.get("height") or 0)}
        fields = {"image": wire.get("image_name"), "frame": None if frame is None else str(frame)}
        return {"type": "image", "x": x, "y": y, **size, **fields, "angle": _num(wire.get("angle") or 0), "origin": 0}

    def _xy(self, wire):
        return _num(wire["x"]) * self.w, _num(wire["y"]) * self.h

    def _points(self, wire):
        return [[_num(px) * self.w, _num(py) * self.h] for px, py in wire["points"]]


def _num(value: Any) -> int | float:
    """Plain numbers for JSON (numpy scalars included)."""
    if type(value) in (int, float):
        return value
    return value.item() if hasattr(value, "item") else float(value)
