"""Real Chromium plays a monitored game: a briefly hidden tab brings a warning on return, a long absence ends the
session with the excluded ending; the server decided both from the times it recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.flow.models import MonitorState, Participant
from testkit.flowhelpers import start_in_page
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HIDE = (
    "(hidden) => { Object.defineProperty(document, 'visibilityState', {value: hidden ? 'hidden' : 'visible', "
    "configurable: true}); document.dispatchEvent(new Event('visibilitychange')); }"
)


def hidden_for(page, seconds: float) -> None:
    """Once the server has recorded the tab as hidden, move that moment back: the verdict on return then does not
    depend on how fast a busy machine delivered the two reports. Waits in Playwright, whose routes serve the page's
    requests only while this thread is inside a Playwright call."""
    poll_until(lambda: page.wait_for_timeout(50) or MonitorState.objects.filter(hidden_since__isnull=False).exists())
    MonitorState.objects.update(hidden_since=timezone.now() - timedelta(seconds=seconds))


def test_a_hidden_tab_is_warned_then_excluded(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/watched-hidden/?PROLIFIC_PID=wanderer")
    page.wait_for_selector("#start-button:enabled", timeout=180_000)
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 5", timeout=30_000)
    page.evaluate(HIDE, True)
    hidden_for(page, 1.5)
    page.evaluate(HIDE, False)
    page.wait_for_selector("#monitor-warning:not([hidden])", timeout=30_000)
    assert "hidden for 2 s" in page.inner_text("#monitor-warning")
    page.evaluate(HIDE, True)
    hidden_for(page, 3.5)
    page.evaluate(HIDE, False)
    page.wait_for_selector(".scene-end", timeout=30_000)
    participant = Participant.objects.get(external_id="wanderer")
    assert participant.status == "excluded" and "hidden for 4 s" in participant.monitor.excluded_for
    assert participant.monitor.warnings == 1


def test_a_connection_that_stays_slow_is_warned_then_excluded(asgi_server_url, chromium_context):
    from netcode.models import GameSeat
    from testkit.netproxy import DelayProxy

    proxy = DelayProxy(int(asgi_server_url.rsplit(":", 1)[1]), delay_ms=100)  # 200 ms round trips, page and socket
    try:
        page = chromium_context.new_page()
        start_in_page(page, f"{proxy.url}/x/watched-far/?PROLIFIC_PID=faraway")
        page.wait_for_selector("#start-button:enabled", timeout=60_000)
        page.click("#start-button")
        page.wait_for_selector("#monitor-warning:not([hidden])", timeout=60_000)
        assert "slow connection" in page.inner_text("#monitor-warning")
        page.wait_for_selector(".scene-end", timeout=60_000)
    finally:
        proxy.stop()
    participant = Participant.objects.get(external_id="faraway")
    assert participant.status == "excluded" and "slow connection" in participant.monitor.excluded_for
    seat = GameSeat.objects.get(participant=participant)
    assert seat.rtt_ms >= 190  # timed by the server on the game's socket
    fps = seat.client_stats["fps"]  # the page's own frame rate, reported with its answers (checked as reported, not
    assert isinstance(fps, int | float) and fps >= 0  # judged: a busy machine draws fewer frames)
