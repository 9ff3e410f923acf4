"""Envs written for the anchor's drawing API (mug.rendering.Surface), in real Chromium: the anchor's own renderer
and ours draw the same picture from the same env; the anchor-style MountainCar plays through the real flow and
fills the canvas (hill filled, car inside the canvas, flag sprite where the anchor puts it); a Surface smaller than
the canvas is scaled up, one of another shape letterboxed; pixel art is crisp; tweens glide. Every check reads the
canvas's pixels."""

from __future__ import annotations

import json
from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from experiments.gamedata.replay import episode_replay
from mug.rendering import Surface as AnchorSurface
from mug.rendering import wire
from mug.surface import Surface
from testkit import anchor_venv
from testkit.envs import anchor_style
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_TIMEOUT_MS = 180_000
GREEN, RED, WHITE, BLACK = (0, 128, 0), (255, 0, 0), (255, 255, 255), (0, 0, 0)
FLAG = (200, 40, 160)  # the colour of anchor_style.FLAG_URL's 4x4 PNG

# The renderer alone on a 600x400 canvas (as tests/browser/test_renderer.py), with or without pixelArt.
STAGE = """<!doctype html><html><body style="margin:0"><div id="stage"></div>
<script src="/static/vendor/phaser/phaser.min.js"></script>
<script type="module">
import { createRenderer } from "/static/frontend/js/page/renderer.js";
const pixelArt = new URL(location.href).searchParams.get("pixelArt") === "1";
window.renderer = await createRenderer(document.getElementById("stage"),
  { width: 600, height: 400, background: "#ffffff", assets: [], pixelArt });
window.nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
</script></body></html>"""

# Every pixel of the page's (or stage's) canvas equal to a colour: how many, and their bounding box.
FIND = """([r, g, b]) => {
  const canvas = document.querySelector("#game-canvas canvas, #stage canvas");
  const { data, width, height } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let count = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) continue;
    const x = (i / 4) % width, y = Math.floor(i / 4 / width);
    count++; x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { count, box: [x0, y0, x1, y1], size: [width, height] };
}"""
PIXEL = """([x, y]) => Array.from(document.querySelector("#game-canvas canvas, #stage canvas").getContext("2d")
  .getImageData(x, y, 1, 1).data.slice(0, 3))"""


def pixel(page, x: int, y: int) -> tuple[int, int, int]:
    return tuple(page.evaluate(PIXEL, [x, y]))


def find(page, color) -> dict:
    return page.evaluate(FIND, list(color))


def stage_page(server_url, chromium_context, pixel_art: bool = False):
    page = chromium_context.new_page()
    url = f"{server_url}/__test__/anchor-stage.html"
    page.route(f"{url}*", lambda route: route.fulfill(status=200, content_type="text/html", body=STAGE))
    page.clock.install()  # the page's clock (timers, animation frames) runs on until a test pauses it
    page.goto(f"{url}?pixelArt={int(pixel_art)}")
    page.wait_for_function("() => window.renderer !== undefined", timeout=30_000)
    return page


def draw(page, packet) -> None:
    page.evaluate("async (p) => { renderer.draw(p); await nextFrame(); }", packet)


def test_anchor_packets_are_drawn_over_the_whole_canvas(server_url, chromium_context):
    """The anchor-style env's own frame (300x200 surface, 0-1 coordinates) on the 600x400 canvas."""
    page = stage_page(server_url, chromium_context)
    env = anchor_style.make(render_mode="mug")
    env.reset(seed=21)
    draw(page, wire.to_packet(env.render(), 600, 400))
    # The hill is filled down to the bottom edge across the track (5%-95% of the width), not in a quarter.
    assert pixel(page, 40, 395) == GREEN and pixel(page, 560, 395) == GREEN and pixel(page, 300, 395) == GREEN
    assert pixel(page, 40, 300) == GREEN and pixel(page, 560, 300) == GREEN
    assert pixel(page, 300, 50) == WHITE and pixel(page, 5, 395) == WHITE  # above the hill, left of the track
    car = find(page, RED)
    x0, y0, x1, y1 = car["box"]
    x, y = anchor_style.to_screen(float(env.state[0]))
    # The car: radius 10 of the 300 px surface is 20 of the canvas; its centre where the env put it, scaled x2.
    assert abs((x0 + x1) / 2 - x * 600) <= 2 and abs((y0 + y1) / 2 - (y * 400 - 20)) <= 2
    assert 34 <= x1 - x0 <= 40 and 34 <= y1 - y0 <= 40 and y0 > 200  # drawn at scale, outside the top-left quarter


def test_a_smaller_surface_is_scaled_up_and_another_shape_letterboxed(server_url, chromium_context):
    page = stage_page(server_url, chromium_context)
    half = Surface(300, 200)
    half.rect(0, 0, 300, 200, fill="#ff0000", id="bg")
    half.rect(290, 190, 10, 10, fill="#0000ff", id="corner")
    draw(page, half.commit())
    assert page.evaluate("renderer.view().zoom") == 2
    assert find(page, (0, 0, 255))["box"] == [580, 380, 599, 399]  # the corner square at twice its size
    assert find(page, RED)["count"] + find(page, (0, 0, 255))["count"] == 600 * 400  # the whole canvas
    square = Surface(300, 300)
    square.rect(0, 0, 300, 300, fill="#ff0000", id="bg", persistent=True)
    draw(page, {**square.commit(), "reset": True})
    # 300x300 into 600x400: scale 4/3, 400x400 centred, bands of 100 px on each side show the background.
    assert page.evaluate("renderer.view().zoom") == pytest.approx(4 / 3)
    assert find(page, RED)["box"] == [100, 0, 499, 399]
    assert pixel(page, 50, 200) == WHITE and pixel(page, 550, 200) == WHITE


def test_pixel_art_draws_scaled_images_crisp(server_url, chromium_context):
    checker = np.array([[[0, 0, 0], [255, 255, 255]]], dtype=np.uint8)  # 2x1: black | white

    def colours_across(page) -> set[tuple[int, int, int]]:
        s = Surface(600, 400)
        s.raster(checker, x=0, y=0, w=600, h=400, id="art")
        draw(page, s.commit())
        return {pixel(page, x, 200) for x in range(0, 600, 5)}

    smooth = colours_across(stage_page(server_url, chromium_context))
    crisp_page = stage_page(server_url, chromium_context, pixel_art=True)
    crisp = colours_across(crisp_page)
    assert crisp == {BLACK, WHITE} and crisp_page.evaluate("renderer.view().pixelArt") is True
    assert len(smooth) > 2  # smoothing blends the two pixels into greys between them


def test_an_anchor_style_study_plays_fills_the_canvas_and_stores_verified_episodes(
    server_url, chromium_context, settings
):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/anchor-car/?PROLIFIC_PID=anchor1")
    page.wait_for_function(
        "() => (document.querySelector('#start-button') || {}).disabled === false"
        " || !document.querySelector('#game-error')?.hidden",
        timeout=LOAD_TIMEOUT_MS,
    )
    participant = Participant.objects.get(external_id="anchor1")
    assert not participant.runtime_errors, participant.runtime_errors[-1]["message"]
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames >= 3", timeout=60_000)
    view = page.evaluate("window.mugGame.renderer.view()")
    assert view == {"size": [600, 400], "zoom": 1, "pixelArt": True}  # GymScene(pixel_art=True) reached the page
    assert pixel(page, 40, 395) == GREEN and pixel(page, 560, 395) == GREEN and pixel(page, 560, 300) == GREEN
    car = find(page, RED)
    x0, y0, x1, y1 = car["box"]
    assert car["count"] > 500 and x0 >= 0 and x1 < 600 and y0 > 200 and y1 < 400  # whole, inside, below the middle
    flag = find(page, FLAG)
    # At its top-left corner, about 16x12 px (Phaser's canvas may overdraw a pixel or two at the far edges), as the
    # anchor's renderer places sprites.
    fx0, fy0, fx1, fy1 = flag["box"]
    assert (fx0, fy0) == (540, 60) and 15 <= fx1 - fx0 <= 18 and 11 <= fy1 - fy0 <= 14
    page.keyboard.down("ArrowRight")
    page.wait_for_selector("#completion-code", timeout=180_000)
    page.keyboard.up("ArrowRight")
    episodes = list(Episode.objects.filter(participant=participant).order_by("index"))
    assert [(e.index, e.seed, e.status, e.n_steps) for e in episodes] == [
        (0, 21, "complete", 45),
        (1, 22, "complete", 45),
    ]
    for episode in episodes:
        assert episode.verification == "verified"
        assert episode_replay(episode=episode)["status"] == "match"
        assert set(episode.steps.values_list("actions__agent", flat=True)) >= {2}  # ArrowRight was played


def test_the_anchor_surface_is_the_one_the_fixture_env_uses():
    assert isinstance(anchor_style.make().surface, AnchorSurface)


def test_a_tween_drawn_again_each_frame_glides_to_its_goal_and_polygons_move_whole(server_url, chromium_context):
    """The anchor's tween: an object sent each frame with the same goal keeps one linear tween (it used to restart
    every frame and crawl); a polygon moved whole glides too (it is placed at its centroid)."""
    page = stage_page(server_url, chromium_context)
    s = AnchorSurface(600, 400)

    def frame(x: float) -> None:
        s.circle(x=x, y=50, radius=5, color="black", id="ball", tween_duration=600)
        s.polygon(points=[(x, 100), (x + 20, 100), (x + 10, 120)], color="blue", id="tri", tween_duration=600)
        page.evaluate("(p) => renderer.draw(p)", wire.to_packet(s.commit(), 600, 400))

    frame(10)
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    page.clock.run_for(100)
    for _ in range(10):  # 300 ms of frames, each drawing the same goal
        frame(190)
        page.clock.run_for(30)
    ball = page.evaluate("renderer.objectState('ball').x")
    tri = page.evaluate("renderer.objectState('tri').x")
    assert 90 < ball < 110  # halfway along one linear 600 ms tween from 10 to 190
    assert 90 + 10 < tri < 110 + 10  # the centroid, 10 px right of the first point
    page.clock.run_for(400)
    assert page.evaluate("renderer.objectState('ball').x") == 190


# The anchor's own renderer (phaser_gym_graphics.js from its PyPI package, in var/anchor-venv) beside ours.
ANCHOR_STATIC = next(anchor_venv.VENV.glob("lib/python3*/site-packages/mug/server/static/js"))
SIDE_BY_SIDE = """<!doctype html><html><body style="margin:0">
<div id="anchor" style="width:600px;height:400px"></div><div id="ours" style="width:600px;height:400px"></div>
<script src="/static/vendor/phaser/phaser.min.js"></script>
<script type="module">
import { graphics_start, addStateToBuffer } from "/__anchor__/js/phaser_gym_graphics.js";
import { createRenderer } from "/static/frontend/js/page/renderer.js";
const flag = { object_type: "img_spec", name: "flag", img_path: FLAG_URL };
graphics_start({ width: 600, height: 400, background: "#ffffff", state_init: null, assets_dir: "",
  assets_to_preload: [flag], animation_configs: [], parent: "anchor", fps: 30, scene_metadata: {},
  location_representation: "relative" });
window.ours = await createRenderer(document.getElementById("ours"), { width: 600, height: 400,
  background: "#ffffff", assets: [{ name: "flag", kind: "image", url: FLAG_URL }], pixelArt: true });
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
window.drawBoth = async (anchorPacket, ourPacket) => {
  const state = { game_state_objects: anchorPacket.game_state_objects, removed: anchorPacket.removed };
  addStateToBuffer(state);
  ours.draw(ourPacket);
  while (!window._phaserScene || window._phaserScene.state !== state) await frames();
  await frames();
};
</script></body></html>"""


def canvas_pixels(page, selector: str) -> np.ndarray:
    shot = page.locator(f"{selector} canvas").screenshot()
    return np.asarray(Image.open(BytesIO(shot)).convert("RGB"), dtype=np.int16)


def test_the_anchors_own_renderer_and_ours_draw_the_same_picture(server_url, chromium_context):
    """The anchor-style env's frames, made by the anchor's own Surface (in its venv) and drawn by the anchor's own
    Phaser renderer, against the same frames made by our Surface and drawn by ours: the same picture, up to the
    anti-aliasing of edges (the anchor draws with WebGL where it can, ours with the 2D canvas)."""
    script = ENV_FRAMES.replace("PATH", repr(anchor_style.__file__))
    anchor_frames = json.loads(anchor_venv.run(script).strip().splitlines()[-1])
    env = anchor_style.make(render_mode="mug")
    env.reset(seed=3)
    our_frames = [env.render()]
    for step in range(24):
        env.step([2, 2, 0, 1][step % 4])
        our_frames.append(env.render())
    page = chromium_context.new_page()
    url = f"{server_url}/__test__/anchor-side-by-side.html"
    body = SIDE_BY_SIDE.replace("FLAG_URL", json.dumps(anchor_style.FLAG_URL))
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    page.route(
        f"{server_url}/__anchor__/js/*",
        lambda route: route.fulfill(
            status=200,
            content_type="text/javascript",
            body=(ANCHOR_STATIC / route.request.url.rsplit("/", 1)[1]).read_text(),
        ),
    )
    page.goto(url)
    page.wait_for_function("() => window.drawBoth !== undefined", timeout=60_000)
    for index in (0, 8, 16, 24):
        for frame in range(index - 7 if index else 0, index + 1):  # every frame in order: the deltas matter
            page.evaluate(
                "([a, o]) => drawBoth(a, o)", [anchor_frames[frame], wire.to_packet(our_frames[frame], 600, 400)]
            )
        theirs, ours = canvas_pixels(page, "#anchor"), canvas_pixels(page, "#ours")
        assert theirs.shape == ours.shape == (400, 600, 3)
        drawn = (ours != 255).any(axis=2)
        assert drawn.mean() > 0.2  # the hill alone fills a good part of the canvas
        differ = (np.abs(theirs - ours).max(axis=2) > 64).mean()
        assert differ < 0.01, f"frame {index}: {differ:.2%} of the pixels differ"


ENV_FRAMES = r"""
import importlib.util, json
spec = importlib.util.spec_from_file_location("anchor_style", PATH)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
env = module.make(render_mode="mug")
env.reset(seed=3)
frames = [env.render()]
for step in range(24):
    env.step([2, 2, 0, 1][step % 4])
    frames.append(env.render())
print(json.dumps(frames))
"""
