"""Real Chromium: an error logged on a participant's game page reaches the server for the live monitor. (Uncaught
exceptions take the same path through window's error events; scripts injected by the test harness do not raise
those events here, so they are not driven from this test.)"""

from __future__ import annotations

import time

import pytest

from experiments.models import ClientError

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_console_error_on_a_game_page_is_recorded(asgi_server_url, chromium_context):
    page = chromium_context.new_page()
    page.goto(f"{asgi_server_url}/x/server-solo/?PROLIFIC_PID=glitchy")
    page.wait_for_selector("#start-button:enabled", timeout=30_000)
    page.evaluate("console.error('the renderer lost its canvas')")
    deadline = time.monotonic() + 10
    while not ClientError.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    kinds = dict(ClientError.objects.values_list("kind", "message"))
    assert kinds == {"console": "the renderer lost its canvas"}
    assert ClientError.objects.first().participant.external_id == "glitchy"
