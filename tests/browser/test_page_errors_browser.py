"""Real Chromium: errors on a participant's game page (a console error, an unhandled rejection) reach the server
for the live monitor."""

from __future__ import annotations

import pytest

from experiments.flow.models import ClientError
from testkit.flowhelpers import start_in_page
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_console_error_on_a_game_page_is_recorded(asgi_server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{asgi_server_url}/x/server-solo/?PROLIFIC_PID=glitchy")
    page.wait_for_selector("#start-button:enabled", timeout=30_000)
    page.evaluate("console.error('the renderer lost its canvas')")
    page.evaluate("() => { Promise.reject(new Error('nobody caught this')); }")
    # Not time.sleep: the request guard's route handler runs in this thread.
    poll_until(lambda: page.wait_for_timeout(200) or ClientError.objects.count() >= 2)
    kinds = dict(ClientError.objects.values_list("kind", "message"))
    assert kinds["console"] == "the renderer lost its canvas" and "nobody caught this" in kinds["rejection"]
    assert ClientError.objects.first().participant.external_id == "glitchy"
