"""Real Chromium, one runtime per visit (issue 18): the second game scene of a visit loads into the interpreter the
first one booted (no second Pyodide boot, the same document and worker), without the first scene's modules, and
plays to a verified end."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 240_000


def play_scene(page, scene_id: str) -> dict:
    """Wait for the game scene's runtime, press Start, and return what the runtime reported of its interpreter."""
    page.wait_for_selector(f"[data-scene={scene_id}] #start-button:enabled", timeout=LOAD_MS)
    interpreter = page.evaluate("window.mugGame.interpreter")
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 0", timeout=LOAD_MS)
    return interpreter


def test_the_second_game_scene_of_a_visit_starts_without_rebooting_python(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/two-games/?PROLIFIC_PID=twice")
    page.evaluate("window.mugVisit = 'one document'")  # gone if the browser navigated to a new document
    first = play_scene(page, "first")
    page.wait_for_selector("[data-scene=between] button[type=submit]", timeout=LOAD_MS)
    page.click("[data-scene=between] button[type=submit]")
    second = play_scene(page, "second")
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)

    assert page.evaluate("window.mugVisit") == "one document"
    assert first == {"boots": 1, "scenes": 1, "workers": 1, "stale": []}
    # Same worker, Python booted once, the first scene's code (its env, mug) no longer imported.
    assert second == {"boots": 1, "scenes": 2, "workers": 1, "stale": []}
    participant = Participant.objects.get(external_id="twice")
    assert participant.status == "completed"
    episodes = Episode.objects.filter(participant=participant, status="complete", verification="verified")
    assert sorted(episodes.values_list("scene_key", flat=True)) == ["first", "second"]
    second_runtime = episodes.get(scene_key="second").runtime
    assert second_runtime["packages"]["pettingzoo"] == "1.25.0"  # the wheel only the second scene adds
