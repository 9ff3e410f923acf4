"""Real Chromium plays a single-agent env written for the anchor MUG unmodified (`step({"human": action})`, returning
per-agent dicts, then plain values): the keys drive it and the episodes are stored and verified like any env's."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 240_000
RIGHT = 2
HOLD = """(key) => {
  const press = () => { window.dispatchEvent(new KeyboardEvent("keydown", { key })); setTimeout(press, 100); };
  press();
}"""


def test_an_anchor_single_agent_env_plays_in_chromium_and_is_verified(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    log = []
    page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
    start_in_page(page, f"{server_url}/x/anchor-solo/?PROLIFIC_PID=anchor1")
    page.evaluate(HOLD, "ArrowRight")
    for scene_id in ("walk", "plainwalk"):
        page.wait_for_selector(f"[data-scene={scene_id}] #start-button:enabled", timeout=LOAD_MS)
        page.click("#start-button")
    try:
        page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    except Exception as error:
        raise AssertionError(f"never finished: {log[-20:]}") from error
    participant = Participant.objects.get(external_id="anchor1")
    assert participant.status == "completed" and not participant.runtime_errors
    episodes = Episode.objects.filter(participant=participant, status="complete", verification="verified")
    assert sorted(episodes.values_list("scene_key", flat=True)) == ["plainwalk", "walk"]
    for episode in episodes:
        assert episode.policies == {"human": "human"}
        steps = list(Step.objects.filter(episode=episode).order_by("frame"))
        assert steps[-1].terminated == {"human": True}  # walked to the goal: the env's own end
        assert [step.actions["human"] for step in steps].count(RIGHT) >= len(steps) - 3
        assert all(set(step.rewards) == {"human"} and not isinstance(step.rewards["human"], dict) for step in steps)
