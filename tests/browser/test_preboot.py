"""The runtime boots while the participant reads the consent and instructions pages, then the game plays."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_runtime_loads_during_instructions_and_the_game_then_runs(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/cartpole/?PROLIFIC_PID=reader")
    page.check("input[name=consent]")
    page.click("button[value=agree]")
    page.wait_for_selector(".scene-instructions")
    # Still on the instructions page: the worker has fetched Pyodide, installed the scene's wheels and is ready.
    page.wait_for_function("() => window.mugRuntime", timeout=30_000)
    page.evaluate("() => { window.mugRuntime.ready.then(() => { window.prebooted = true; }); }")
    page.wait_for_function("() => window.prebooted", timeout=120_000)
    fetched = " ".join(chromium_context.mug_requests)
    assert "pyodide.asm.wasm" in fetched and "/runtime/wheels/gymnasium-1.4.0" in fetched
    assert page.locator(".scene-instructions").is_visible()
    assert Participant.objects.get().current_key == "instructions"
    page.click("button[type=submit]")
    page.wait_for_selector("#start-button:enabled", timeout=60_000)
    assert page.evaluate("window.mugGame.timing.boot") < page.evaluate("window.mugGame.timing.ready")
    page.click("#start-button")
    page.wait_for_selector(".scene-survey", timeout=120_000)  # both episodes played and stored
    assert list(Episode.objects.values_list("status", flat=True)) == ["complete", "complete"]
    page.check("input[name=difficulty][value='3']")
    page.click("button[type=submit]")
    page.wait_for_selector("#completion-code", timeout=30_000)
    assert Participant.objects.get().status == "completed"
