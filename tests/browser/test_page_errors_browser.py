"""Real Chromium: an error on a participant's game page reaches the server for the live monitor."""

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
    page.evaluate("setTimeout(() => { throw new Error('uncaught in a timer'); }, 0)")
    deadline = time.monotonic() + 10
    while ClientError.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    kinds = dict(ClientError.objects.values_list("kind", "message"))
    assert "the renderer lost its canvas" in kinds["console"] and "uncaught in a timer" in kinds["error"]
    assert ClientError.objects.first().participant.external_id == "glitchy"
