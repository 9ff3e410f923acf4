"""The drawing API an env uses in render(): shapes, text and images, committed as delta render packets."""

from __future__ import annotations

import base64
import math
from typing import Any

from mug.colors import normalize_color

ALIGNS = ("left", "center", "right")


class Surface:
    """A canvas of `width` x `height` pixels (origin top-left). Draw every frame, then `commit()`."""

    def __init__(self, width: int, height: int, background: Any = "#ffffff") -> None:
        self.width = _positive(width, "width")
        self.height = _positive(height, "height")
        self.background = normalize_color(background)
        self._frame: dict[str, dict[str, Any]] = {}
        self._sent: dict[str, dict[str, Any]] = {}
        self._removed: list[str] = []
        self._assets: dict[str, dict[str, str]] = {}
        self._reset = False
        self._auto = 0

    def rect(self, x, y, w, h, *, fill="#000000", stroke=None, stroke_width=1, radius=0, **common) -> str:
        geometry = {"x": _num(x, "x"), "y": _num(y, "y"), "w": _size(w, "w"), "h": _size(h, "h")}
        return self._add(
            "rect", {**geometry, **_paint(fill, stroke, stroke_width), "radius": _size(radius, "radius")}, common
        )

    def circle(self, x, y, r, *, fill="#000000", stroke=None, stroke_width=1, **common) -> str:
        geometry = {"x": _num(x, "x"), "y": _num(y, "y"), "r": _size(r, "r")}
        return self._add("circle", {**geometry, **_paint(fill, stroke, stroke_width)}, common)

    def ellipse(self, x, y, rx, ry, *, fill="#000000", stroke=None, stroke_width=1, **common) -> str:
        geometry = {"x": _num(x, "x"), "y": _num(y, "y"), "rx": _size(rx, "rx"), "ry": _size(ry, "ry")}
        return self._add("ellipse", {**geometry, **_paint(fill, stroke, stroke_width)}, common)

    def arc(self, x, y, r, start, end, *, fill=None, stroke="#000000", stroke_width=1, closed=False, **common) -> str:
        geometry = {"x": _num(x, "x"), "y": _num(y, "y"), "r": _size(r, "r")}
        angles = {"start": _num(start, "start"), "end": _num(end, "end"), "closed": bool(closed)}
        return self._add("arc", {**geometry, **angles, **_paint(fill, stroke, stroke_width)}, common)

    def line(self, points, *, color="#000000", width=1, fill_below=False, fill_above=False, **common) -> str:
        """A polyline; fill_below / fill_above also fill (in its colour) the area between it and the bottom / top."""
        paint = {"stroke": normalize_color(color), "stroke_width": _size(width, "width")}
        fill_to = ([self.height] if fill_below else []) + ([0] if fill_above else [])
        if fill_to:
            paint.update(fill=paint["stroke"], fill_to=fill_to)
        return self._add("line", {"points": _points(points, 2), **paint}, common)

    def polygon(self, points, *, fill="#000000", stroke=None, stroke_width=1, **common) -> str:
        return self._add("polygon", {"points": _points(points, 3), **_paint(fill, stroke, stroke_width)}, common)

    def text(self, text, x, y, *, size=16, color="#000000", font="sans-serif", align="left", **common) -> str:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if align not in ALIGNS:
            raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
        fields = {"x": _num(x, "x"), "y": _num(y, "y"), "text": text, "size": _positive(size, "size")}
        return self._add("text", {**fields, "color": normalize_color(color), "font": str(font), "align": align}, common)

    def image(self, name, x, y, w, h, *, frame=None, angle=0, **common) -> str:
        if name not in self._assets:
            raise ValueError(f"image {name!r} is not registered; call register_image or register_atlas first")
        geometry = {"x": _num(x, "x"), "y": _num(y, "y"), "w": _size(w, "w"), "h": _size(h, "h")}
        fields = {"image": name, "frame": None if frame is None else str(frame), "angle": _num(angle, "angle")}
        return self._add("image", {**geometry, **fields}, common)

    def raster(self, array, x=0, y=0, w=None, h=None, **common) -> str:
        height, width, data = _rgb_bytes(array)
        geometry = {"x": _num(x, "x"), "y": _num(y, "y"), "w": _size(width if w is None else w, "w")}
        geometry["h"] = _size(height if h is None else h, "h")
        pixels = {"width": width, "height": height, "data": base64.b64encode(data).decode("ascii")}
        return self._add("raster", {**geometry, **pixels}, common)

    def register_image(self, name: str, url: str | None = None) -> None:
        """An image the page loads before play, drawn with image(name, ...). Without a URL: the game scene's asset
        of this name (GymScene.assets: a file of the study, or an atlas), which the page has loaded by then."""
        if url is None:
            self._assets[str(name)] = {"name": str(name), "kind": "scene"}
            return
        self._assets[str(name)] = {"name": str(name), "kind": "image", "url": str(url)}

    def register_atlas(self, name: str, image_url: str, atlas_url: str) -> None:
        self._assets[str(name)] = {
            "name": str(name),
            "kind": "atlas",
            "url": str(image_url),
            "atlas_url": str(atlas_url),
        }

    def assets(self) -> list[dict[str, str]]:
        return [dict(spec) for spec in self._assets.values()]

    def remove(self, object_id: str) -> None:
        self._removed.append(str(object_id))
        self._sent.pop(str(object_id), None)

    def reset(self) -> None:
        """Forget everything drawn; the next packet clears the canvas (a new episode)."""
        self._sent.clear()
        self._frame.clear()
        self._removed.clear()
        self._reset = True

    def commit(self) -> dict[str, Any]:
        """The packet for this frame: new or changed persistent objects, every ephemeral one, removals, and the
        surface's size (the page scales it to the scene's canvas, aspect kept, when the two differ)."""
        objects = []
        for object_id, obj in self._frame.items():
            if obj["persistent"]:
                if self._sent.get(object_id) == obj:
                    continue
                self._sent[object_id] = obj
            objects.append(obj)
        removed = [object_id for object_id in dict.fromkeys(self._removed) if object_id not in self._frame]
        packet = {"objects": objects, "removed": removed, "reset": self._reset, "size": [self.width, self.height]}
        self._frame, self._removed, self._reset, self._auto = {}, [], False, 0
        return packet

    def _add(self, kind: str, fields: dict[str, Any], common: dict[str, Any]) -> str:
        object_id, persistent, depth, alpha, tween_ms = _common(**common)
        if object_id is None:
            if persistent:
                raise ValueError("a persistent object needs an id")
            object_id = f"_{self._auto}"
            self._auto += 1
        obj = {"id": object_id, "type": kind, "persistent": persistent, "depth": depth, "alpha": alpha}
        obj["tween_ms"] = tween_ms
        obj.update(fields)
        self._frame.pop(object_id, None)  # the last drawing of an id wins, in its new drawing order
        self._frame[object_id] = obj
        return object_id


# Raw pixel bytes one RGB frame may carry: a server game sends its frames over a WebSocket, whose messages Daphne
# limits to 1 MiB; base64 (4/3) of this much plus the packet's other fields stays under it. A larger frame (mpe2
# draws 700 x 700) is sent with every n-th row and column, and stretched to the canvas like any other.
MAX_RGB_BYTES = 760_000


def rgb_packet(array, width: int, height: int) -> dict[str, Any]:
    """A full packet that draws an RGB frame over the whole canvas (envs whose render() returns pixels)."""
    surface = Surface(width, height)
    surface.raster(_within_budget(array), 0, 0, width, height, id="frame")
    packet = surface.commit()
    packet["reset"] = True
    return packet


def _within_budget(array: Any) -> Any:
    """The frame, or every n-th row and column of it (the smallest n) when it has more than MAX_RGB_BYTES."""
    import numpy as np

    pixels = np.asarray(array)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        return array  # raster() says what is wrong with it
    height, width = pixels.shape[:2]
    step = 1
    while -(-height // step) * -(-width // step) * 3 > MAX_RGB_BYTES:
        step += 1
    return pixels if step == 1 else pixels[::step, ::step]


def _common(id=None, persistent=False, depth=0, alpha=1, tween_ms=0):  # noqa: A002 (the API's keyword is id)
    # The defaults (most objects): nothing to check.
    plain = type(alpha) is int and type(depth) is int and type(tween_ms) is int and (id is None or type(id) is str)
    if plain and alpha == 1 and depth == 0 and tween_ms == 0:
        return id, bool(persistent), 0, 1, 0
    if id is not None and not isinstance(id, str):
        raise TypeError(f"id must be a str, got {type(id).__name__}")
    alpha = _num(alpha, "alpha")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if isinstance(tween_ms, bool) or not isinstance(tween_ms, int) or tween_ms < 0:
        raise ValueError(f"tween_ms must be an int >= 0, got {tween_ms!r}")
    return id, bool(persistent), _num(depth, "depth"), alpha, tween_ms


def _paint(fill, stroke, stroke_width) -> dict[str, Any]:
    return {
        "fill": normalize_color(fill),
        "stroke": normalize_color(stroke),
        "stroke_width": _size(stroke_width, "stroke_width"),
    }


def _num(value: Any, name: str) -> int | float:
    kind = type(value)
    if kind is int:  # the common cases first: this runs for every number of every shape of every frame
        return value
    if kind is float:
        if value - value == 0.0:  # finite (inf - inf and nan - nan are nan)
            return value
        raise ValueError(f"{name} must be finite, got {value!r}")
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        value = value.item()  # numpy scalars become plain numbers
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _size(value: Any, name: str) -> int | float:
    number = _num(value, name)
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {number}")
    return number


def _positive(value: Any, name: str) -> int | float:
    number = _num(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be > 0, got {number}")
    return number


def _points(points: Any, minimum: int) -> list[list[int | float]]:
    try:
        pairs = [[_num(x, "point x"), _num(y, "point y")] for x, y in points]
    except (TypeError, ValueError) as error:
        raise type(error)(f"points must be (x, y) pairs of numbers: {error}") from None
    if len(pairs) < minimum:
        raise ValueError(f"need at least {minimum} points, got {len(pairs)}")
    return pairs


def _rgb_bytes(array: Any) -> tuple[int, int, bytes]:
    import numpy as np

    pixels = np.asarray(array)
    if pixels.dtype != np.uint8:
        raise TypeError(f"raster needs a uint8 array, got {pixels.dtype}; convert with (array * 255).astype('uint8')")
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"raster needs an H x W x 3 (or x 4) array, got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    return height, width, np.ascontiguousarray(pixels[:, :, :3]).tobytes()
