"""Real Chromium plays Tag against AI agents: a Python heuristic and an ONNX network run by onnxruntime-web.

The stored rows say which policy chose each action (with the model's hash), and the server's replay recomputes
every AI action from the episode seed and the model, run natively with onnxruntime.
"""

from __future__ import annotations

import hashlib

import pytest

from examples.tagai.model import DEFAULT_PATH
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for_start(page, console_errors) -> None:
    """Wait for the Start button; a runtime that fails to load ends the wait with its recorded error."""
    page.wait_for_function(
        "() => (document.querySelector('#start-button') || {}).disabled === false"
        " || document.querySelector('#game-error')?.hidden === false || !!document.querySelector('.scene-end')",
        timeout=180_000,
    )
    errors = Participant.objects.get(external_id="versus-ai").runtime_errors
    assert not errors, (errors, console_errors)


def test_human_ai_episodes_are_recorded_with_their_policies_and_replay_exactly(
    server_url, chromium_context, console_errors, settings
):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/tagai/?PROLIFIC_PID=versus-ai")
    page.check("input[name=consent]")
    page.click("button[value=agree]")
    page.wait_for_selector(".scene-instructions")
    page.click("button[type=submit]")  # the rules
    wait_for_start(page, console_errors)
    page.click("#start-button")  # chase the Python runner
    page.wait_for_function("() => window.mugGame.frames > 0", timeout=30_000)
    page.keyboard.down("ArrowRight")
    # played, or already on the next scene (the page moves on as soon as the data is stored)
    page.wait_for_function(
        "() => window.mugGame?.played || !!document.querySelector('[data-scene=flee]')", timeout=60_000
    )
    page.keyboard.up("ArrowRight")
    page.wait_for_selector(".scene-gym[data-scene=flee]", timeout=60_000)  # the next game scene
    wait_for_start(page, console_errors)  # the flee scene, models loaded
    page.click("#start-button")
    page.wait_for_selector(".scene-survey", timeout=180_000)  # the page moves on as soon as the data is stored
    stats = page.evaluate("JSON.parse(sessionStorage.getItem('mugGameStats'))")
    assert stats["played"] and stats["inferences"] > 0, console_errors  # the model ran in the browser

    model_sha = hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()
    fetched = " ".join(chromium_context.mug_requests)
    assert f"/x/tagai/models/{model_sha}.onnx" in fetched and "ort-wasm-simd-threaded.wasm" in fetched

    participant = Participant.objects.get(external_id="versus-ai")
    chase, *flee = Episode.objects.filter(participant=participant).order_by("scene_key", "index")
    assert chase.scene_key == "chase"
    assert chase.policies["runner"] == {"kind": "python", "path": "examples.tag.policies:flee"}
    assert [e.scene_key for e in flee] == ["flee", "flee"] and all(e.status == "complete" for e in flee)
    assert flee[0].policies == {
        "chaser": {"kind": "onnx", "model": "tag_chaser.onnx", "sha256": model_sha, "sample": True},
        "runner": "human",
    }
    chaser_moves = [step.actions.get("chaser") for step in Step.objects.filter(episode__in=flee)]
    assert chaser_moves and set(chaser_moves) <= set(range(5))  # the chaser is live until the episode ends
    for episode in [chase, *flee]:
        report = episode_replay(episode=episode)
        assert report["status"] == "match", report  # every AI action recomputed from the seed and the model
        assert report["frames_checked"] == episode.n_steps > 0
