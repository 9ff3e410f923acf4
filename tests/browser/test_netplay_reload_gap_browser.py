"""The reload gap in real Chromium: a reloading page's next page is held back (Playwright routing) until the seat has
been gone longer than dropout_s; the old page's pagehide said it was unloading, so the relay holds the seat, the
partner is told "reconnecting", the page rejoins and both seats store the same rows as the server's replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.flow.models import Participant
from netcode.models import Game, GameEvent, GameSeat
from testkit.fixture_experiments import PATHS
from testkit.netpages import (
    BANNER_LOG,
    assert_rows_replayed,
    daphne_with,
    ending,
    join,
    playing,
    seen_banners,
    waited,
    what_happened,
)
from testkit.netproxy import RANDOM_KEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DROPOUT_S = 3.0  # net-gap's


@pytest.fixture
def server_url(tmp_path, transactional_db) -> str:
    server = daphne_with(tmp_path, PATHS)
    try:
        yield server.url
    finally:
        server.stop()


def gone_for(pid: str) -> float:
    """How long the participant's seat has been without a socket (0 while it has one)."""
    seat = GameSeat.objects.get(participant__external_id=pid)
    if seat.connected or seat.absent_since is None:
        return 0.0
    return (timezone.now() - seat.absent_since) / timedelta(seconds=1)


def test_a_reload_whose_next_page_comes_after_dropout_s_keeps_the_seat(
    server_url, chromium_context, second_chromium_context
):
    stays = join(chromium_context, server_url, "net-gap", "stays", seed=1)
    reloads = join(second_chromium_context, server_url, "net-gap", "reloads", seed=2)
    playing(reloads, 30)
    playing(stays, 30)
    stays.evaluate(BANNER_LOG)
    held, hold = [], {"on": False}

    def slow_network(route, request) -> None:
        # The new document itself passes (the old page unloads only when it arrives); what it loads then waits.
        if hold["on"] and request.resource_type != "document" and "/game/unloading/" not in request.url:
            held.append(route)
        else:
            route.fallback()

    reloads.route("**/*", slow_network)
    hold["on"] = True
    reloads.evaluate("() => setTimeout(() => location.reload(), 0)")
    deadline = timezone.now() + timedelta(seconds=120)
    while gone_for("reloads") < DROPOUT_S + 2 and timezone.now() < deadline:  # the sweep runs every 0.5 s
        stays.wait_for_timeout(250)  # lets Playwright hand this test the held requests meanwhile
    gap = gone_for("reloads")
    seat, game = GameSeat.objects.get(participant__external_id="reloads"), Game.objects.get()
    assert gap > DROPOUT_S + 2, what_happened(stays)
    assert (seat.status, game.status) == ("active", "playing"), what_happened(stays)
    hold["on"] = False
    for route in held:
        route.fallback()
    rejoined = waited(reloads, "() => window.mugGame?.net?.episodes?.[0]", 300_000)  # Pyodide boots again
    reloads.evaluate(RANDOM_KEYS, 3)
    assert rejoined["rejoined"] is True
    assert any("is reconnecting" in text for text in seen_banners(stays)), seen_banners(stays)
    for page in (stays, reloads):
        ending(page)
    kinds = list(GameEvent.objects.values_list("kind", "agent"))
    assert ("unloading", seat.agent) in kinds, kinds  # what the old page's pagehide said
    assert {"reloading", "rejoin"} <= {kind for kind, _ in kinds} and "dropout" not in {kind for kind, _ in kinds}
    assert set(Participant.objects.values_list("status", flat=True)) == {"completed"}
    assert assert_rows_replayed("net-gap", 2, episodes=1).status == "finished"
