"""Real Chromium on a real Daphne: the server decides a load deadline on its own clock. A page whose Python can never
load (every request for a Pyodide file aborted) and that is then closed ends with runtime_error and no code, by the
server's sweep alone; staff see it in the live monitor and the participant admin, and the participant who comes back
sees the ending. A page that loads tells the server its runtime is ready and that Start was pressed, and is spared.
The moment the scene was entered is moved back instead of waiting for the deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.flow.models import CompletionCode, Participant, SceneVisit
from testkit.flowhelpers import start_in_page
from testkit.plainhttp import Browser
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOAD_MS = 300_000  # Pyodide on a busy 2-core machine; every wait polls for its condition


def wait_in_browser(page, condition, timeout: float = 180):
    """Poll inside Playwright calls: the context's routes serve the page's requests only meanwhile."""
    return poll_until(lambda: page.wait_for_timeout(100) or condition(), timeout=timeout)


def status(pid: str) -> str:
    return Participant.objects.get(external_id=pid).status


def enter_back_then(pid: str | None = None) -> None:
    """The scene was entered an hour ago, as far as the server's clock goes: its load deadline has long passed."""
    visits = SceneVisit.objects.all() if pid is None else SceneVisit.objects.filter(participant__external_id=pid)
    visits.update(entered_at=timezone.now() - timedelta(hours=1))


def test_a_page_whose_python_never_loads_and_that_is_closed_ends_on_the_servers_clock(
    asgi_server_url, chromium_context, second_chromium_context, researcher
):
    aborted: list[str] = []
    chromium_context.route("**/pyodide/**", lambda route: aborted.append(route.request.url) or route.abort("failed"))
    page = chromium_context.new_page()
    start_in_page(page, f"{asgi_server_url}/x/one-game/?PROLIFIC_PID=closed")  # the default 180 s load deadline
    page.wait_for_function(
        "() => (document.querySelector('#load-stage')?.textContent || '').includes('trying again')", timeout=LOAD_MS
    )
    assert page.is_disabled("#start-button")
    wait_in_browser(page, lambda: len(aborted) >= 2)  # retried, never succeeding
    page.close()  # the participant gives up: no page is left to report anything
    visit = SceneVisit.objects.get(participant__external_id="closed")
    assert visit.scene_key == "play" and visit.runtime_ready_at is None
    assert status("closed") == "active"  # the page's own deadline never fired: it was closed long before

    enter_back_then("closed")
    poll_until(lambda: status("closed") == "runtime_error")
    participant = Participant.objects.get(external_id="closed")
    error = participant.runtime_errors[-1]
    assert error["stage"] == "load-deadline" and "the server's clock" in error["message"]
    assert not CompletionCode.objects.filter(participant=participant).exists()

    # Staff see it: the live monitor's recent errors and endings, the participant admin.
    staff = second_chromium_context.new_page()
    staff.goto(f"{asgi_server_url}/admin/live/")
    staff.fill("#id_username", "researcher")
    staff.fill("#id_password", "pw-researcher-1")
    staff.click("input[type=submit]")
    staff.wait_for_function(
        "() => (window.mugLive?.errors || []).some((e) => e.participant === 'closed' && e.stage === 'load-deadline')",
        timeout=120_000,
    )
    staff.wait_for_function(
        "() => document.querySelector('#live-errors').innerText.includes('load-deadline')", timeout=60_000
    )
    assert "runtime error: 1" in staff.inner_text("#live-endings-legend")
    assert not staff.evaluate("window.mugLive.stuck.some((s) => s.participant === 'closed')")
    staff.goto(f"{asgi_server_url}/admin/experiments/participant/{participant.pk}/change/")
    admin_page = staff.inner_text("#content")
    assert "Technical error" in admin_page and "load-deadline" in admin_page

    # The participant comes back: the ending, without a code.
    back = chromium_context.new_page()
    back.goto(f"{asgi_server_url}/x/one-game/flow/")
    back.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=60_000)
    assert back.query_selector("#completion-code") is None and "technical problem" in back.content()


def test_a_page_that_loads_says_ready_and_start_and_is_spared(asgi_server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{asgi_server_url}/x/one-game/?PROLIFIC_PID=player")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_MS)
    wait_in_browser(page, lambda: SceneVisit.objects.get(participant__external_id="player").runtime_ready_at)
    assert SceneVisit.objects.get(participant__external_id="player").start_pressed_at is None
    # A participant whose page never said ready, beside it: when the sweep has ended them, it has seen both visits.
    silent = Browser(asgi_server_url)
    assert 'data-scene="play"' in silent.enter("one-game", PROLIFIC_PID="silent").text
    enter_back_then()
    wait_in_browser(page, lambda: status("silent") == "runtime_error")
    assert status("player") == "active"
    page.click("#start-button")
    wait_in_browser(page, lambda: SceneVisit.objects.get(participant__external_id="player").start_pressed_at)
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    assert status("player") == "completed"
