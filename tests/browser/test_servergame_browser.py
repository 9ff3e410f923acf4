"""Real Chromium plays the Box2D lunar lander stepped on the server (Daphne): no Pyodide is loaded, the frames
arrive as Surface packets and are drawn, the keys reach the env, and every frame is stored by the server."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from netcode.models import FINISHED, Game
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hold(page, key: str, frames: int = 10) -> None:
    """Hold a key while the game plays `frames` frames (not for a time: a busy machine plays fewer per second)."""
    page.keyboard.down(key)
    played = page.evaluate("window.mugGame.frames")
    page.wait_for_function(f"() => window.mugGame.frames >= {played + frames}", timeout=60_000)
    page.keyboard.up(key)


def test_the_lander_is_played_on_the_server_end_to_end(asgi_server_url, chromium_context, console_errors):
    page = chromium_context.new_page()
    start_in_page(page, f"{asgi_server_url}/x/lander/?PROLIFIC_PID=pilot")
    page.check("input[name=consent]")
    page.click("button[value=agree]")
    page.click("button[type=submit]")  # the instructions
    page.wait_for_selector("#start-button:enabled", timeout=30_000)
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 5", timeout=30_000)
    page.wait_for_selector("#game-canvas canvas", state="attached", timeout=60_000)  # drawn (frames may come first)
    hold(page, "ArrowUp")  # the main engine
    hold(page, "ArrowLeft")
    page.wait_for_selector(".scene-survey", timeout=90_000)  # both episodes played and stored
    server = page.evaluate("JSON.parse(sessionStorage.getItem('mugServerStats'))")
    fetched = " ".join(chromium_context.mug_requests)
    assert "pyodide" not in fetched and "/runtime/" not in fetched  # nothing to load: the server steps the env
    participant = Participant.objects.get(external_id="pilot")
    episodes = list(Episode.objects.filter(participant=participant).order_by("index"))
    assert [e.status for e in episodes] == ["complete", "complete"]
    assert [e.seed for e in episodes] == Game.objects.get().seeds and Game.objects.get().status == FINISHED
    actions = [s.actions["agent"] for s in Step.objects.filter(episode=episodes[0]).order_by("frame")]
    assert 2 in actions and 1 in actions and actions[0] == 0  # the held keys reached the server's env
    for episode in episodes:
        assert list(episode.steps.values_list("frame", flat=True)) == list(range(episode.n_steps))
        assert episode_replay(episode=episode)["status"] == "match"  # the stored trajectory replays exactly
    assert server["frames"] >= sum(e.n_steps for e in episodes) - 5  # the browser drew (almost) every frame
    # Key-to-frame latency is measured and reported (how fast is bench/'s business: a busy machine slows it)
    assert server["latencyMs"] and all(ms >= 0 for ms in server["latencyMs"]), server["latencyMs"]
    assert not [e for e in console_errors if "favicon" not in e], console_errors
    page.check("input[name=hard][value='3']")
    page.click("button[type=submit]")
    page.wait_for_selector("#completion-code", timeout=30_000)
    assert Participant.objects.get(external_id="pilot").status == "completed"
