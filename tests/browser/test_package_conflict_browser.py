"""Real Chromium, a later game scene pinning another version of a package the visit's interpreter already loaded
(issue 18): the page sees the conflict before loading, ends the old worker and boots a fresh Python for that scene,
says so in its interpreter info, and both scenes play to verified episodes with their own versions. The same pins
keep the one interpreter. The two versions are a tiny test package built into the test's own wheelhouse."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import start_in_page
from testkit.visit_experiments import PROBE, use_probe_studies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 240_000


@pytest.fixture
def probe_wheelhouse(settings, tmp_path):
    return use_probe_studies(settings, tmp_path / "wheelhouse")


def play_scene(page, scene_id: str) -> dict:
    """Wait for the game scene's runtime, press Start, and return what the page reported of its interpreter."""
    try:
        page.wait_for_selector(f"[data-scene={scene_id}] #start-button:enabled", timeout=LOAD_MS)
    except Exception as error:
        state = page.evaluate("JSON.stringify({game: window.mugGame, text: document.body.innerText.slice(0, 500)})")
        raise AssertionError(f"scene {scene_id} never loaded: {state} {page.mug_log[-20:]}") from error
    interpreter = page.evaluate("window.mugGame.interpreter")
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 0", timeout=LOAD_MS)
    return interpreter


def play_visit(context, server_url: str, slug: str, pid: str, between: bool = True) -> tuple[dict, dict]:
    page = context.new_page()
    page.mug_log = []
    page.on("console", lambda message: page.mug_log.append(f"{message.type}: {message.text}"))
    start_in_page(page, f"{server_url}/x/{slug}/?PROLIFIC_PID={pid}")
    page.evaluate("window.mugVisit = 'one document'")
    first = play_scene(page, "first")
    if between:  # a page that boots the next game early (flow.js's preboot)
        page.wait_for_selector("[data-scene=between] button[type=submit]", timeout=LOAD_MS)
        page.click("[data-scene=between] button[type=submit]")
    second = play_scene(page, "second")
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    assert page.evaluate("window.mugVisit") == "one document"  # no navigation: the flow swapped the scenes in
    return first, second


def stored_versions(pid: str) -> dict[str, str]:
    """Each scene's verified episode and the probe version its browser reported."""
    participant = Participant.objects.get(external_id=pid)
    assert participant.status == "completed"
    episodes = Episode.objects.filter(participant=participant, status="complete", verification="verified")
    return {episode.scene_key: episode.runtime["packages"][PROBE] for episode in episodes}


def test_a_scene_pinning_another_version_boots_a_fresh_python(probe_wheelhouse, server_url, chromium_context):
    first, second = play_visit(chromium_context, server_url, "version-clash", "clash", between=False)

    assert first == {"boots": 1, "scenes": 1, "workers": 1, "stale": []}
    # A second worker, its Python booted for this scene alone, and the page says why.
    assert second == {
        "boots": 1,
        "scenes": 1,
        "workers": 2,
        "stale": [],
        "fresh": {
            "reason": "package versions",
            "found": "pins",
            "packages": [{"name": PROBE, "loaded": "1.0.0", "pinned": "2.0.0"}],
        },
    }
    assert stored_versions("clash") == {"first": "1.0.0", "second": "2.0.0"}


def test_a_dependency_on_another_version_found_while_installing_also_gets_a_fresh_python(
    probe_wheelhouse, server_url, chromium_context
):
    first, second = play_visit(chromium_context, server_url, "version-clash-deep", "deep")

    assert first == {"boots": 1, "scenes": 1, "workers": 1, "stale": []}
    # micropip refused the reused interpreter; the load moved to a new worker instead of ending with runtime_error.
    assert second == {
        "boots": 1,
        "scenes": 1,
        "workers": 2,
        "stale": [],
        "fresh": {
            "reason": "package versions",
            "found": "install",
            "packages": [{"name": PROBE, "loaded": "1.0.0", "requested": f"{PROBE}==2.0.0"}],
        },
    }
    assert stored_versions("deep") == {"first": "1.0.0", "second": "2.0.0"}


def test_the_same_pins_keep_the_one_interpreter(probe_wheelhouse, server_url, chromium_context):
    first, second = play_visit(chromium_context, server_url, "version-same", "same")

    assert first == {"boots": 1, "scenes": 1, "workers": 1, "stale": []}
    assert second == {"boots": 1, "scenes": 2, "workers": 1, "stale": []}
    assert stored_versions("same") == {"first": "1.0.0", "second": "1.0.0"}
