"""Nothing is lost when a group game's server restarts or a participant's network goes away for 10 s mid-episode."""

# Real Daphne processes on loopback against the test database. Each participant is a headless browser: HTTP for the
# pages, the upload of its confirmed rows and the completion code (bench/load_participants.py's Browser), the
# waiting room and the relay over WebSockets, and the browser's own NetSession at 30 fps with random keys. A reload
# mid-episode is covered by Chromium in tests/browser/test_netplay_browser.py
# (test_a_reload_rejoins_the_running_game_mid_episode_from_the_log).

from __future__ import annotations

import asyncio
import os

import pytest

from testkit.fixture_experiments import PATHS
from testkit.groupplay import (
    Member,
    assert_nothing_lost,
    play_group,
    run,
    until,
)
from testkit.netproxy import DelayProxy
from testkit.servers import DaphneProcess, database_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def daphne(tmp_path):
    """One Daphne process with the in-memory channel layer, as the embedded default runs."""
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join(PATHS), **database_env()}
    process = DaphneProcess(env, tmp_path)
    yield process
    process.stop()


def test_a_server_restarted_mid_episode_loses_no_input_and_no_step(daphne, tmp_path):
    members = [Member(daphne.url, pid, seed) for seed, pid in enumerate(("ann", "ben"))]

    async def disturb(members):
        await until(lambda: all(m.player.frame_in(0) >= 60 for m in members))
        await asyncio.to_thread(daphne.restart)

    async def scenario():
        await play_group(members, disturb)

    run(scenario, members, tmp_path)
    assert_nothing_lost(members)
    assert all(m.player.reconnects >= 1 for m in members)  # both sockets dropped and came back


def test_a_participant_offline_for_10_s_comes_back_and_nothing_is_lost(daphne, tmp_path):
    from netcode.models import GameEvent

    proxy = DelayProxy(daphne.port)  # the network between the first participant and the server
    members = [Member(proxy.url, "cut", 0), Member(daphne.url, "stays", 1)]

    async def disturb(members):
        await until(lambda: members[0].player.frame_in(0) >= 60)
        proxy.cut(10)
        await until(lambda: members[0].player.reconnects and members[0].player.socket.socket is not None, 30)

    async def scenario():
        await play_group(members, disturb)

    try:
        run(scenario, members, tmp_path)
    finally:
        proxy.stop()
    assert_nothing_lost(members)
    agent = members[0].player.net.local
    kinds = set(GameEvent.objects.filter(agent=agent).values_list("kind", flat=True))
    assert {"disconnected", "rejoin"} <= kinds
