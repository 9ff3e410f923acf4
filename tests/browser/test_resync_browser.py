"""One divergence, one resync, in real Chromium: one browser's env (testkit/envs/diverge_once.py, marked through its
worker) miscounts a step at step 40; the checksums disagree, the relay's referee sends that browser its state once,
play goes on to the end, and both seats' stored rows equal the server's replay."""

from __future__ import annotations

import json

import pytest

from experiments.flow.models import Participant
from netcode.models import GameEvent, GameSeat
from testkit.fixture_experiments import PATHS
from testkit.netpages import assert_rows_replayed, daphne_with, ending, join, what_happened

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_url(tmp_path, transactional_db) -> str:
    server = daphne_with(tmp_path, PATHS)
    try:
        yield server.url
    finally:
        server.stop()


def mark_worker(page) -> None:
    """Set `self.mugDiverge` in the page's game worker (the env reads it through Pyodide's `js`)."""
    page.wait_for_function("() => true")  # a round trip, so Playwright has heard of the page's workers
    if not page.workers:
        page.wait_for_event("worker", timeout=120_000)
    page.workers[0].evaluate("() => { self.mugDiverge = true; }")


def net_stats(page) -> dict:
    """What the game page kept of its net session (sessionStorage outlives the move to the end page)."""
    return json.loads(page.evaluate("() => sessionStorage.getItem('mugNetStats')") or "{}")


def test_a_browser_that_diverges_once_is_resynced_once_and_the_rows_match_the_replay(
    server_url, chromium_context, second_chromium_context
):
    diverges = join(chromium_context, server_url, "net-diverge", "diverges", seed=1)
    mark_worker(diverges)
    keeps = join(second_chromium_context, server_url, "net-diverge", "keeps", seed=2)
    for page in (diverges, keeps):
        ending(page)
    seat = GameSeat.objects.get(participant__external_id="diverges")
    events = list(GameEvent.objects.values_list("kind", "agent", "frame"))
    resyncs = [event for event in events if event[0] == "resync"]
    assert [(kind, agent) for kind, agent, _ in resyncs] == [("resync", seat.agent)], what_happened(keeps)
    assert resyncs[0][2] >= 39  # a checksummed frame after the divergence
    desyncs = [(agent, frame) for kind, agent, frame in events if kind == "desync"]
    assert len(desyncs) == 1 and desyncs[0][1] == resyncs[0][2], events  # found once, at that frame, mid-game
    assert not GameEvent.objects.filter(kind="desync", detail__has_key="ends").exists()  # the final states agree
    assert not GameEvent.objects.filter(kind="desync_unresolved").exists()
    assert net_stats(diverges).get("resyncs") == 1 and not net_stats(keeps).get("resyncs")
    assert set(Participant.objects.values_list("status", flat=True)) == {"completed"}
    assert assert_rows_replayed("net-diverge", 2, episodes=1).status == "finished"
