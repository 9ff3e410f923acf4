"""A researcher's Chromium on the live monitor (Daphne): after logging in, the page fills from its socket and
shows a participant who arrives meanwhile, without reloading."""

from __future__ import annotations

import pytest
from django.test import Client

from testkit.flowhelpers import enter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_live_monitor_updates_without_reloading(asgi_server_url, chromium_context, researcher):
    page = chromium_context.new_page()
    page.goto(f"{asgi_server_url}/admin/live/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", "pw-researcher-1")
    page.click("input[type=submit]")
    page.wait_for_function("() => window.mugLive !== undefined", timeout=60_000)
    page.evaluate("window.sameDocument = true")
    assert "cartpole" in page.inner_text("#live-experiments")
    enter(Client(), "flow", PROLIFIC_PID="newcomer")  # someone starts the study meanwhile
    page.wait_for_function(
        "() => window.mugLive.experiments.find((e) => e.slug === 'flow')?.statuses.active === 1", timeout=60_000
    )
    assert page.evaluate("window.sameDocument") is True  # the same page: no reload
    assert "active: 1" in page.inner_text("#live-experiments")
