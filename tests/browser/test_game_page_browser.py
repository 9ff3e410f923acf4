"""Real Chromium on the game page: the countdown runs over the episode's first frame, each player is told which
agent is theirs, the HUD shows each seat its own score (or the scene's HUD callable's line), and a server game's
first frame draws its sprites with their images (not Phaser's missing texture)."""

from __future__ import annotations

import re

import pytest

from experiments.flow.models import Participant
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Under the countdown: the clock has not started (no frame played) and the canvas shows more than its white
# background (the grid and the two dots of Tag).
DRAWN_UNDER_COUNTDOWN = """() => {
  const box = document.getElementById("countdown");
  const canvas = document.querySelector("#game-canvas canvas");
  if (!box || box.hidden || !canvas || window.mugGame.frames !== 0) return false;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) drawn++;
  return drawn > 500;
}"""


def text_of(page, selector: str) -> str:
    return page.evaluate(f"() => document.querySelector({selector!r})?.textContent ?? null")


def test_the_countdown_runs_over_the_first_frame_and_the_seat_and_the_scenes_hud_line_are_shown(
    server_url, chromium_context, console_errors, settings
):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/labelled/?PROLIFIC_PID=seated")
    page.wait_for_function(
        "() => (document.querySelector('#start-button') || {}).disabled === false"
        " || document.querySelector('#game-error')?.hidden === false",
        timeout=180_000,
    )
    assert not Participant.objects.get(external_id="seated").runtime_errors, console_errors
    page.click("#start-button")
    page.wait_for_function(DRAWN_UNDER_COUNTDOWN, timeout=60_000, polling=50)
    assert page.is_visible("#game-canvas .seat") and text_of(page, "#game-canvas .seat") == "You are the red dot"
    page.wait_for_function("() => window.mugGame.frames > 5", timeout=60_000)  # caught at the 11th at the earliest
    hud = text_of(page, "#game-canvas .hud")
    assert re.fullmatch(r"chaser: -?[0-9.]+ points in round 1 of 1", hud), hud  # testkit.envs.hudtext:line
    assert text_of(page, "#game-canvas .seat") == "You are the red dot"  # still shown during play
    assert not [e for e in console_errors if "favicon" not in e], console_errors


def test_each_seat_of_a_group_game_sees_its_label_and_its_own_score(
    asgi_server_url, chromium_context, second_chromium_context, console_errors
):
    pages = []
    for context, pid in ((chromium_context, "first"), (second_chromium_context, "second")):
        page = context.new_page()
        start_in_page(page, f"{asgi_server_url}/x/server-tag-pair/?PROLIFIC_PID={pid}")
        pages.append(page)
    seen = {}
    for page in pages:  # matched in the waiting room; the server steps Tag (a minute long), nobody presses a key
        page.wait_for_function("() => window.mugGame.frames > 30", timeout=120_000)
        seat, label, hud = page.evaluate(
            "() => [window.mugGame.server.seat, ...['.seat', '.hud'].map("
            "(s) => document.querySelector('#game-canvas ' + s).textContent)]"
        )
        seen[seat] = (label, hud)
    assert set(seen) == {"chaser", "runner"}
    assert seen["chaser"][0] == "You are the red dot" and seen["runner"][0] == "You are the green dot"
    # The chaser pays 0.01 a frame while the runner is free, the runner loses only when caught: the runner's own
    # score is 0 (the sum over both humans, shown to both before, was negative by now).
    chaser_score = float(re.search(r"Score (-?[0-9.]+)", seen["chaser"][1]).group(1))
    assert chaser_score < 0, seen
    assert re.search(r"Score 0 ", seen["runner"][1]), seen


def test_a_server_games_first_frame_draws_its_sprite_with_its_image(asgi_server_url, chromium_context, console_errors):
    page = chromium_context.new_page()
    start_in_page(page, f"{asgi_server_url}/x/server-sprites/?PROLIFIC_PID=sprites")
    page.wait_for_selector("#start-button:enabled", timeout=60_000)
    page.click("#start-button")  # the hello starts the game process: its env (and its images) come a while later
    page.wait_for_function(
        "() => window.mugGame.renderer && window.mugGame.renderer.objects.has('badge')", timeout=60_000, polling=20
    )
    texture = page.evaluate("window.mugGame.renderer.objects.get('badge').node.texture.key")
    assert texture == "badge"  # Phaser draws an image whose texture was never loaded as "__MISSING"
    assert page.evaluate("window.mugGame.renderer.scene.textures.exists('badge')")
