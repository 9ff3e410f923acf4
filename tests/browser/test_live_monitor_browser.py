"""A researcher's Chromium on the live monitor (Daphne): after logging in, the page fills from its socket and
shows a participant who arrives meanwhile, without reloading, and an episode that differs from its replay links to
its admin page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from experiments.flow.models import Participant
from experiments.gamedata.exact_compare import difference
from experiments.gamedata.models import COMPLETE, VERIFIED, Episode, Exactness
from testkit.flowhelpers import enter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_live_monitor(context, url: str):
    """The researcher logs in through the admin form and lands on the live monitor, its first snapshot read."""
    page = context.new_page()
    page.goto(f"{url}/admin/live/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", "pw-researcher-1")
    page.click("input[type=submit]")
    page.wait_for_function("() => window.mugLive !== undefined", timeout=60_000)
    return page


def test_the_live_monitor_updates_without_reloading(asgi_server_url, chromium_context, researcher):
    page = open_live_monitor(chromium_context, asgi_server_url)
    page.evaluate("window.sameDocument = true")
    assert "cartpole" in page.inner_text("#live-experiments")
    enter(Client(), "flow", PROLIFIC_PID="newcomer")  # someone starts the study meanwhile
    page.wait_for_function(
        "() => window.mugLive.experiments.find((e) => e.slug === 'flow')?.statuses.active === 1", timeout=60_000
    )
    assert page.evaluate("window.sameDocument") is True  # the same page: no reload
    assert "active: 1" in page.inner_text("#live-experiments")


def test_a_differing_episode_is_listed_with_a_link_to_its_admin_page(asgi_server_url, chromium_context, researcher):
    enter(Client(), "game", PROLIFIC_PID="forger")
    differs = Episode.objects.create(
        participant=Participant.objects.get(external_id="forger"),
        scene_key="play",
        index=0,
        seed=1,
        env="e:make",
        code_hash="h",
        status=COMPLETE,
        ended_at=timezone.now(),
        verification=VERIFIED,
        exactness=Exactness.DIFFERS,
        exactness_report={"difference": difference(5, "rewards", {"p": 2.0}, {"p": 1.0})},
    )
    page = open_live_monitor(chromium_context, asgi_server_url)
    row = page.locator("#live-mismatches tbody tr").first
    assert "forger" in row.inner_text() and "frame 5, p, rewards" in row.inner_text()
    assert "1 differ" in page.inner_text("#live-experiments")
    row.locator("a").click()
    page.wait_for_url(f"**/admin/experiments/episode/{differs.pk}/change/", timeout=60_000)
    assert "forger play #0" in page.inner_text("#content")
