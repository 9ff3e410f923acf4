"""Real Chromium in the waiting room (served by Daphne): two participants are matched; one alone times out
into the configured game with an AI partner and plays it to the end."""

from __future__ import annotations

import pytest

from experiments.gamedata.models import Episode
from experiments.gamedata.replay import episode_replay
from matchmaking.models import Match, MatchMember
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_pair_scene(context, base: str, pid: str, slug: str = "duo"):
    page = context.new_page()
    start_in_page(page, f"{base}/x/{slug}/?PROLIFIC_PID={pid}")
    if slug == "duo":  # duo starts with a page before the game
        page.click("button[type=submit]")  # the hello page
    page.wait_for_selector("#waiting-room:not([hidden])")
    return page


def test_two_browsers_are_matched_in_the_waiting_room(asgi_server_url, chromium_context, second_chromium_context):
    first = open_pair_scene(chromium_context, asgi_server_url, "left", slug="pairs")  # a patient room
    first.wait_for_function("() => document.querySelector('#room-status').textContent.startsWith('Waiting for')")
    assert "Others waiting: 0" in first.inner_text("#room-status")
    second = open_pair_scene(second_chromium_context, asgi_server_url, "right", slug="pairs")
    for page, seat in ((first, "chaser"), (second, "runner")):
        page.wait_for_function("() => window.mugRoom && window.mugRoom.matched", timeout=60_000)
        assert page.inner_text("#room-status") == f"Your group is complete. You play {seat}."
    match = Match.objects.get()
    assert match.status == "confirmed"
    assert dict(MatchMember.objects.values_list("participant__external_id", "agent")) == {
        "left": "chaser",
        "right": "runner",
    }


def test_alone_in_the_room_the_participant_plays_with_the_ai(asgi_server_url, chromium_context):
    page = open_pair_scene(chromium_context, asgi_server_url, "alone", slug="duo-ai")
    # This room gives up after 1.5 s and plays the game with a random runner instead.
    page.wait_for_selector("#start-button:enabled", timeout=180_000)
    assert page.locator("#waiting-room").count() == 0  # the solo game has no waiting room
    page.click("#start-button")
    page.wait_for_selector(".scene-static[data-scene=thanks]", timeout=120_000)  # played, stored, moved on
    episode = Episode.objects.get(participant__external_id="alone")
    assert episode.status == "complete"
    assert episode.policies == {"chaser": "human", "runner": {"kind": "random"}}
    assert episode_replay(episode=episode)["status"] == "match"
