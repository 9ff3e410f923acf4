"""Phaser draws every object type the Surface API emits: checked on the canvas pixels in real Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from mug.surface import Surface

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><html><body style="margin:0"><div id="stage"></div>
<script src="/static/vendor/phaser/phaser.min.js"></script>
<script type="module">
import { createRenderer } from "/static/frontend/js/page/renderer.js";
window.renderer = await createRenderer(document.getElementById("stage"),
  { width: 200, height: 100, background: "#ffffff", assets: [] });
window.pixel = (x, y) => Array.from(document.querySelector("#stage canvas").getContext("2d")
  .getImageData(x, y, 1, 1).data.slice(0, 3));
window.nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
</script></body></html>"""


@pytest.fixture
def stage(server_url, chromium_context):
    page = chromium_context.new_page()
    url = f"{server_url}/__test__/renderer.html"
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE))
    page.clock.install()  # the page's clock (timers, animation frames) runs on until a test pauses it
    page.goto(url)
    page.wait_for_function("() => window.renderer !== undefined", timeout=30_000)
    return page


def draw(page, packet) -> None:
    page.evaluate("async (p) => { renderer.draw(p); await nextFrame(); }", packet)


def pixel(page, x: int, y: int) -> tuple[int, int, int]:
    return tuple(page.evaluate("([x, y]) => pixel(x, y)", [x, y]))


def test_every_shape_type_reaches_the_canvas(stage):
    s = Surface(200, 100)
    s.rect(0, 0, 20, 20, fill="#ff0000", id="rect", persistent=True)
    s.rect(30, 0, 20, 20, fill="#0000ff", radius=8)
    s.circle(70, 10, 9, fill="#00ff00")
    s.ellipse(100, 10, 12, 6, fill="#ff00ff")
    s.arc(130, 10, 9, 0, 3.14159 / 2, fill="#00ffff", closed=True)
    s.line([(150, 5), (190, 5)], color="#000000", width=4)
    s.polygon([(0, 40), (30, 40), (0, 70)], fill="#ffa500")
    s.text("MUG", 60, 40, size=24, color="#000000")
    s.raster(np.full((2, 2, 3), (10, 200, 30), dtype=np.uint8), x=150, y=40, w=40, h=40)
    draw(stage, s.commit())
    assert pixel(stage, 10, 10) == (255, 0, 0)
    assert pixel(stage, 40, 10) == (0, 0, 255) and pixel(stage, 30, 0) == (255, 255, 255)  # rounded corner
    assert pixel(stage, 70, 10) == (0, 255, 0)
    assert pixel(stage, 100, 10) == (255, 0, 255) and pixel(stage, 100, 2) == (255, 255, 255)
    assert pixel(stage, 133, 13) == (0, 255, 255) and pixel(stage, 127, 7) == (255, 255, 255)  # one quarter
    assert pixel(stage, 170, 5) == (0, 0, 0)
    assert pixel(stage, 5, 45) == (255, 165, 0) and pixel(stage, 28, 68) == (255, 255, 255)
    text_box = [pixel(stage, x, y) for x in range(60, 100, 2) for y in range(42, 62, 2)]
    assert any(color != (255, 255, 255) for color in text_box)
    assert pixel(stage, 170, 60) == (10, 200, 30)


def test_ephemeral_objects_vanish_persistent_ones_stay_until_removed_or_reset(stage):
    s = Surface(200, 100)
    s.rect(0, 0, 20, 20, fill="#ff0000", id="wall", persistent=True)
    s.circle(50, 50, 10, fill="#00ff00")
    draw(stage, s.commit())
    s.rect(0, 0, 20, 20, fill="#ff0000", id="wall", persistent=True)  # unchanged: not resent
    draw(stage, s.commit())
    assert pixel(stage, 10, 10) == (255, 0, 0) and pixel(stage, 50, 50) == (255, 255, 255)
    s.remove("wall")
    draw(stage, s.commit())
    assert pixel(stage, 10, 10) == (255, 255, 255)
    s.rect(0, 0, 20, 20, fill="#0000ff", id="floor", persistent=True)
    draw(stage, s.commit())
    s.reset()
    draw(stage, s.commit())
    assert pixel(stage, 10, 10) == (255, 255, 255)


def test_depth_alpha_tween_and_unknown_types(stage):
    s = Surface(200, 100)
    s.rect(0, 0, 40, 40, fill="#ff0000", depth=2, id="top")
    s.rect(20, 20, 40, 40, fill="#0000ff", depth=1, id="under")
    s.rect(100, 0, 20, 20, fill="#000000", alpha=0.5, id="half")
    draw(stage, s.commit())
    assert pixel(stage, 30, 30) == (255, 0, 0)
    assert all(120 <= channel <= 135 for channel in pixel(stage, 110, 10))
    draw(
        stage,
        {
            "objects": [
                {
                    "id": "m",
                    "type": "circle",
                    "persistent": True,
                    "depth": 0,
                    "alpha": 1,
                    "tween_ms": 0,
                    "x": 10,
                    "y": 80,
                    "r": 5,
                    "fill": "#000000",
                    "stroke": None,
                    "stroke_width": 1,
                }
            ],
            "removed": [],
            "reset": True,
        },
    )
    moved = {
        "id": "m",
        "type": "circle",
        "persistent": True,
        "depth": 0,
        "alpha": 1,
        "tween_ms": 600,
        "x": 190,
        "y": 80,
        "r": 5,
        "fill": "#000000",
        "stroke": None,
        "stroke_width": 1,
    }
    # The tween runs on the page's clock, stopped here and moved by the test: midway is midway however busy the
    # machine is (it used to be sampled after two real animation frames, which a busy machine can spread over 600 ms).
    stage.clock.pause_at(stage.evaluate("Date.now()") + 1000)
    stage.clock.run_for(100)  # the animation loop takes the jump first
    stage.evaluate("(p) => renderer.draw(p)", {"objects": [moved], "removed": [], "reset": False})
    stage.clock.run_for(300)
    midway = stage.evaluate("renderer.objectState('m').x")
    assert 80 < midway < 120  # 300 of its 600 ms: about halfway from 10 to 190
    stage.clock.run_for(500)
    assert stage.evaluate("renderer.objectState('m').x") == 190
    stage.clock.resume()
    draw(stage, {"objects": [{"id": "z", "type": "hologram", "persistent": False}], "removed": [], "reset": False})
    assert stage.evaluate("renderer.objectCount()") == 1  # the unknown object is skipped, the circle stays


def png(pixels: list[list[tuple[int, int, int]]]) -> bytes:
    """A tiny RGB PNG, encoded by hand (no imaging library needed)."""
    import struct
    import zlib

    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_images_and_atlas_frames_are_drawn(server_url, chromium_context):
    import json

    page = chromium_context.new_page()
    sheet = png([[(255, 0, 0), (0, 0, 255)]])
    frames = {"left": {"frame": {"x": 0, "y": 0, "w": 1, "h": 1}}, "right": {"frame": {"x": 1, "y": 0, "w": 1, "h": 1}}}
    atlas = {"frames": frames, "meta": {"image": "sheet.png", "size": {"w": 2, "h": 1}, "scale": "1"}}
    files = {"sheet.png": ("image/png", sheet), "sheet.json": ("application/json", json.dumps(atlas).encode())}
    for name, (kind, body) in files.items():
        page.route(f"{server_url}/__test__/{name}", lambda route, k=kind, b=body: route.fulfill(content_type=k, body=b))
    s = Surface(200, 100)
    s.register_atlas("sheet", "/__test__/sheet.png", "/__test__/sheet.json")
    s.register_image("whole", "/__test__/sheet.png")
    assets = json.dumps(s.assets())
    html = PAGE.replace("assets: [] }", f"assets: {assets} }}")
    url = f"{server_url}/__test__/renderer.html"
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(url)
    page.wait_for_function("() => window.renderer !== undefined", timeout=30_000)
    s.image("sheet", 0, 0, 20, 20, frame="left")
    s.image("sheet", 30, 0, 20, 20, frame="right")
    s.image("whole", 60, 0, 40, 20)
    draw(page, s.commit())
    assert pixel(page, 10, 10) == (255, 0, 0) and pixel(page, 40, 10) == (0, 0, 255)
    assert pixel(page, 65, 10) == (255, 0, 0) and pixel(page, 95, 10) == (0, 0, 255)
