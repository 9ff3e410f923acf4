"""Real Chromium plays a monitored game: a briefly hidden tab brings a warning on return, a long absence ends the
session with the excluded ending; the server decided both from the times it recorded."""

from __future__ import annotations

import pytest

from experiments.models import Participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HIDE = (
    "(hidden) => { Object.defineProperty(document, 'visibilityState', {value: hidden ? 'hidden' : 'visible', "
    "configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }"
)


def test_a_hidden_tab_is_warned_then_excluded(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    page.goto(f"{server_url}/x/watched/?PROLIFIC_PID=wanderer")
    page.wait_for_selector("#start-button:enabled", timeout=180_000)
    page.click("#start-button")
    page.wait_for_function("window.mugGame.frames > 5", timeout=30_000)
    page.keyboard.press("ArrowLeft")
    page.evaluate(HIDE, True)
    page.wait_for_timeout(1500)
    page.evaluate(HIDE, False)
    page.wait_for_selector("#monitor-warning:not([hidden])", timeout=5_000)
    assert "hidden for" in page.inner_text("#monitor-warning")
    page.keyboard.press("ArrowRight")
    page.evaluate(HIDE, True)
    page.wait_for_timeout(3500)
    page.evaluate(HIDE, False)
    page.wait_for_selector(".scene-end", timeout=10_000)
    participant = Participant.objects.get(external_id="wanderer")
    assert participant.status == "excluded" and "hidden for" in participant.monitor.excluded_for
    assert participant.monitor.warnings >= 1
