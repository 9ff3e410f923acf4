"""Real Chromium, a monitored single-player game on a real Daphne: a hidden tab is warned while hidden (banner and
tab title), and a tab that stays hidden and can no longer report (its reports blocked, as for a frozen or closed
tab) is excluded by the server's own sweep; when it comes back it goes straight to its ending. The moment the
server recorded as "hidden since" is moved back instead of waiting."""

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


def wait_in_browser(page, condition):
    """Poll inside Playwright calls: the context's routes serve the page's requests only meanwhile."""
    return poll_until(lambda: page.wait_for_timeout(100) or condition(), timeout=120)


def test_a_hidden_tab_is_warned_while_hidden_and_excluded_by_the_server_if_it_never_reports(
    asgi_server_url, chromium_context
):
    page = chromium_context.new_page()
    start_in_page(page, f"{asgi_server_url}/x/watched-hidden/?PROLIFIC_PID=drifter")
    page.wait_for_selector("#start-button:enabled", timeout=180_000)
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 5", timeout=60_000)
    title = page.title()
    page.evaluate(HIDE, True)
    wait_in_browser(page, lambda: MonitorState.objects.filter(hidden_since__isnull=False).exists())

    # watched-hidden: warn at 1 s, exclude at 3 s. The hidden page keeps reporting and is warned while hidden. The
    # stored moment is held at 1.5 s ago until then (a busy machine's next report may come seconds later).
    def warned() -> bool:
        MonitorState.objects.update(hidden_since=timezone.now() - timedelta(seconds=1.5))
        return page.title().startswith("⚠")

    wait_in_browser(page, warned)
    assert "hidden for" in page.inner_text("#monitor-warning")
    # Now the tab can no longer report (frozen, offline, closed): only the server's clock can decide.
    blocked: list[str] = []
    page.route("**/monitor/", lambda route: blocked.append(route.request.url) or route.abort("failed"))
    wait_in_browser(page, lambda: blocked)  # the page did try
    MonitorState.objects.update(hidden_since=timezone.now() - timedelta(seconds=30))
    wait_in_browser(page, lambda: Participant.objects.get(external_id="drifter").status == "excluded")
    participant = Participant.objects.get(external_id="drifter")
    assert participant.monitor.events[-1][1:] == ["sweep", "exclude"]
    # The participant comes back: the next report takes the page to its ending.
    page.unroute("**/monitor/")
    page.evaluate(HIDE, False)
    page.wait_for_selector(".scene-end", timeout=60_000)
    assert page.title() == title or not page.title().startswith("⚠")
