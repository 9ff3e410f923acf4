"""The drawing API: the exact wire objects, colours, validation, and persistent deltas across commits."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from mug.colors import normalize_color
from mug.surface import Surface, rgb_packet


def only(packet: dict) -> dict:
    (obj,) = packet["objects"]
    return obj


COMMON = {"persistent": False, "depth": 0, "alpha": 1, "tween_ms": 0}


def test_every_shape_has_its_exact_wire_form():
    s = Surface(100, 50)
    s.register_image("hero", "/static/hero.png")
    s.rect(1, 2, 3, 4, fill="red", stroke=(0, 0, 255), stroke_width=2, radius=1)
    s.circle(5, 6, 7)
    s.ellipse(1, 1, 2, 3, fill=None, stroke="#abc")
    s.arc(1, 2, 3, 0, 1.5, closed=True, fill="lime")
    s.line([(0, 0), (1, 1)], color="navy", width=3)
    s.polygon([[0, 0], [1, 0], [0, 1]], fill="#00FF00")
    s.text("hi", 1, 2, size=12, align="center")
    s.image("hero", 1, 2, 3, 4, frame="f1", angle=90)
    objects = s.commit()["objects"]
    assert objects[0] == {
        "id": "_0",
        "type": "rect",
        **COMMON,
        "x": 1,
        "y": 2,
        "w": 3,
        "h": 4,
        "fill": "#ff0000",
        "stroke": "#0000ff",
        "stroke_width": 2,
        "radius": 1,
    }
    assert objects[1] == {
        "id": "_1",
        "type": "circle",
        **COMMON,
        "x": 5,
        "y": 6,
        "r": 7,
        "fill": "#000000",
        "stroke": None,
        "stroke_width": 1,
    }
    assert objects[2]["fill"] is None and objects[2]["stroke"] == "#aabbcc" and objects[2]["rx"] == 2
    assert objects[3] == {
        "id": "_3",
        "type": "arc",
        **COMMON,
        "x": 1,
        "y": 2,
        "r": 3,
        "start": 0,
        "end": 1.5,
        "closed": True,
        "fill": "#00ff00",
        "stroke": "#000000",
        "stroke_width": 1,
    }
    assert objects[4] == {
        "id": "_4",
        "type": "line",
        **COMMON,
        "points": [[0, 0], [1, 1]],
        "stroke": "#000080",
        "stroke_width": 3,
    }
    assert objects[5]["points"] == [[0, 0], [1, 0], [0, 1]] and objects[5]["fill"] == "#00ff00"
    assert objects[6] == {
        "id": "_6",
        "type": "text",
        **COMMON,
        "x": 1,
        "y": 2,
        "text": "hi",
        "size": 12,
        "color": "#000000",
        "font": "sans-serif",
        "align": "center",
    }
    assert objects[7] == {
        "id": "_7",
        "type": "image",
        **COMMON,
        "x": 1,
        "y": 2,
        "w": 3,
        "h": 4,
        "image": "hero",
        "frame": "f1",
        "angle": 90,
    }
    assert s.assets() == [{"name": "hero", "kind": "image", "url": "/static/hero.png"}]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("RED", "#ff0000"), (" Grey ", "#808080"), ("#ABC", "#aabbcc"), ("#a1b2c3", "#a1b2c3"), ((1, 2, 255), "#0102ff")],
)
def test_colours_normalise(value, expected):
    assert normalize_color(value) == expected


@pytest.mark.parametrize("value", ["redish", "#12", (1, 2), (1, 2, 300), (1.0, 2, 3), 7])
def test_bad_colours_are_refused(value):
    with pytest.raises((ValueError, TypeError)):
        normalize_color(value)


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda s: s.rect(float("nan"), 0, 1, 1), "x must be finite"),
        (lambda s: s.rect(0, 0, -1, 1), "w must be >= 0"),
        (lambda s: s.circle(0, 0, "3"), "r must be a number"),
        (lambda s: s.circle(0, 0, True), "r must be a number"),
        (lambda s: s.line([(0, 0)]), "at least 2 points"),
        (lambda s: s.polygon([(0, 0), (1, 1)]), "at least 3 points"),
        (lambda s: s.polygon([(0, 0), (1,), (1, 1)]), "points must be"),
        (lambda s: s.text(5, 0, 0), "text must be a str"),
        (lambda s: s.text("a", 0, 0, align="middle"), "align must be one of"),
        (lambda s: s.rect(0, 0, 1, 1, alpha=2), "alpha must be between 0 and 1"),
        (lambda s: s.rect(0, 0, 1, 1, tween_ms=-5), "tween_ms must be an int"),
        (lambda s: s.rect(0, 0, 1, 1, persistent=True), "persistent object needs an id"),
        (lambda s: s.image("nope", 0, 0, 1, 1), "is not registered"),
        (lambda s: s.raster(np.zeros((2, 2, 3), dtype=np.float32)), "uint8"),
        (lambda s: s.raster(np.zeros((2, 2), dtype=np.uint8)), "H x W x 3"),
    ],
)
def test_bad_drawing_calls_say_what_is_wrong(draw, message):
    with pytest.raises((ValueError, TypeError), match=message):
        draw(Surface(10, 10))


def test_persistent_objects_are_sent_only_when_new_or_changed():
    s = Surface(10, 10)
    s.rect(0, 0, 1, 1, id="wall", persistent=True)
    s.circle(1, 1, 1)
    assert [o["id"] for o in s.commit()["objects"]] == ["wall", "_0"]
    s.rect(0, 0, 1, 1, id="wall", persistent=True)
    s.circle(2, 2, 1)
    assert [o["id"] for o in s.commit()["objects"]] == ["_0"]  # unchanged wall not resent, ephemeral always
    s.rect(0, 0, 2, 1, id="wall", persistent=True)
    assert only(s.commit())["w"] == 2
    assert s.commit() == {"objects": [], "removed": [], "reset": False, "size": [s.width, s.height]}


def test_remove_reset_and_last_drawing_wins():
    s = Surface(10, 10)
    s.rect(0, 0, 1, 1, id="a", persistent=True)
    s.commit()
    s.remove("a")
    assert s.commit() == {"objects": [], "removed": ["a"], "reset": False, "size": [s.width, s.height]}
    s.rect(0, 0, 1, 1, id="a", persistent=True)
    assert only(s.commit())["id"] == "a"  # drawn again after removal: sent as new
    s.remove("a")
    s.rect(0, 0, 1, 1, id="a", persistent=True)
    assert s.commit()["removed"] == []  # removed then redrawn in one frame: it stays
    s.circle(0, 0, 1, id="b")
    s.circle(5, 5, 1, id="b")
    assert only(s.commit())["x"] == 5
    s.reset()
    s.rect(0, 0, 1, 1, id="a", persistent=True)
    packet = s.commit()
    assert packet["reset"] is True and only(packet)["id"] == "a"


def test_raster_and_rgb_packets_carry_the_pixels():
    frame = np.zeros((2, 3, 4), dtype=np.uint8)
    frame[1, 2] = (10, 20, 30, 255)
    packet = rgb_packet(frame, 300, 200)
    raster = only(packet)
    assert packet["reset"] is True and (raster["width"], raster["height"], raster["w"], raster["h"]) == (3, 2, 300, 200)
    pixels = base64.b64decode(raster["data"])
    assert len(pixels) == 2 * 3 * 3 and pixels[-3:] == bytes([10, 20, 30])


def test_packets_are_plain_json_even_with_numpy_numbers():
    s = Surface(10, 10)
    s.circle(np.float32(1.5), np.int64(2), np.float64(3), depth=np.int32(1))
    obj = only(s.commit())
    assert json.loads(json.dumps(obj)) == obj and type(obj["y"]) is int and type(obj["x"]) is float
