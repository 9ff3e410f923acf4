"""Late loaders after the first frame, in real Chromium. Every episode's first frame waits for every seat's reset: a
browser whose reset takes seconds before the second episode (testkit/envs/slow_reset.py, marked through its worker)
is waited for at the start barrier, and its partner is not told it is lagging. A page reloaded mid-game rejoins from
the relay's log without a barrier or a countdown of its own, and the game goes on for both."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from netcode.models import GameEvent
from testkit.fixture_experiments import PATHS
from testkit.netpages import assert_rows_replayed, daphne_with, ending, join, playing, waited
from testkit.netproxy import RANDOM_KEYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every text the banner shows, with the number of episodes the page had started then.
EPISODE_BANNERS = """() => { const seen = window.mugSeen = window.mugSeen || [];
  const watch = () => { const b = document.getElementById('net-status');
    const n = window.mugGame?.net?.episodes?.length || 0; const last = seen[seen.length - 1];
    if (b && !b.hidden && (!last || last[0] !== n || last[1] !== b.textContent)) seen.push([n, b.textContent]); };
  if (!window.mugWatching) { window.mugWatching = setInterval(watch, 50); } }"""
# (net.frame is still the first episode's last frame, 150, when the second one starts)
SECOND_EPISODE_PLAYING = """() => { const net = window.mugGame?.net;
  return net?.episodes?.length === 2 && net.frame > 30 && net.frame < 100; }"""


@pytest.fixture
def server_url(tmp_path, transactional_db) -> str:
    server = daphne_with(tmp_path, PATHS)
    try:
        yield server.url
    finally:
        server.stop()


def test_the_second_episode_waits_for_a_seat_whose_reset_is_slow(server_url, chromium_context, second_chromium_context):
    fast = join(chromium_context, server_url, "net-late", "fast", seed=1)
    slow = join(second_chromium_context, server_url, "net-late", "slow", seed=2)
    playing(slow, 10)
    slow.workers[0].evaluate("() => { self.mugSlowReset = true; }")  # its next reset (the second episode's) is slow
    fast.evaluate(EPISODE_BANNERS)
    waited(fast, SECOND_EPISODE_PLAYING, 240_000)
    banners = fast.evaluate("() => window.mugSeen")
    second = [text for episodes, text in banners if episodes == 2]
    assert any("Waiting for the others to load (1 of 2 ready)" in text for text in second), banners
    assert not [text for text in second if "lagging" in text or "reconnecting" in text], banners
    for page in (fast, slow):
        ending(page)
    assert set(Participant.objects.values_list("status", flat=True)) == {"completed"}
    assert assert_rows_replayed("net-late", 2, episodes=2).status == "finished"


def test_a_page_reloaded_mid_game_rejoins_from_the_log_and_the_game_goes_on(
    server_url, chromium_context, second_chromium_context
):
    stays = join(chromium_context, server_url, "net-late", "stays", seed=3)
    reloads = join(second_chromium_context, server_url, "net-late", "reloads", seed=4)
    playing(reloads, 60)
    reloads.reload()
    reloads.evaluate(EPISODE_BANNERS)
    rejoined = waited(reloads, "() => window.mugGame?.net?.episodes?.[0]", 300_000)
    reloads.evaluate(RANDOM_KEYS, 5)
    assert rejoined["rejoined"] is True and rejoined["episode"] == 0
    waited(stays, SECOND_EPISODE_PLAYING, 240_000)
    first = [text for episodes, text in reloads.evaluate("() => window.mugSeen") if episodes == 1]
    assert not [text for text in first if "Waiting for the others" in text], first  # no barrier mid-episode
    for page in (stays, reloads):
        ending(page)
    kinds = list(GameEvent.objects.values_list("kind", flat=True))
    assert "rejoin" in kinds and "dropout" not in kinds, kinds
    assert set(Participant.objects.values_list("status", flat=True)) == {"completed"}
    assert assert_rows_replayed("net-late", 2, episodes=2).status == "finished"
