"""The deployment recipe run for real (deploy/): nginx from Debian in front of three named Daphne workers, Redis and
PostgreSQL, all on loopback. Headless participants (the browser's NetSession, uploader and reconnect rules:
testkit/groupplay.py) reach the site through nginx only: pages, waiting rooms, uploads and game sockets.

A two-player and a four-player game each stay on the worker their match names (no input crosses Redis); a worker
killed mid-game hands its game to another worker, which the players find through nginx, and nothing is lost."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from deploy.local import local_deployment
from matchmaking.models import Match
from testkit.fixture_experiments import PATHS
from testkit.groupplay import Member, assert_nothing_lost, play_group, run, until
from testkit.servers import production_env, redis_server

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("needs_postgres"),
]


@pytest.fixture
def deployment(tmp_path):
    with redis_server() as redis_url:
        env = production_env(PATHS, REDIS_URL=redis_url)
        with local_deployment(3, env, tmp_path / "deploy") as running:
            yield running


def health(deployment, worker: str) -> dict:
    """One worker's /healthz, asked through nginx's route to it."""
    with urllib.request.urlopen(f"{deployment.url}/w/{worker}/healthz", timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


async def nothing_to_disturb(members) -> None:
    return None


def match_of(member: Member) -> Match:
    # the group they play in (on a busy machine an earlier proposal may have lapsed before it was confirmed)
    return Match.objects.get(members__participant__external_id=member.pid, status="confirmed")


def test_a_pair_and_a_group_of_four_each_stay_on_the_worker_their_match_names(deployment):
    pair = [Member(deployment.url, f"pair-{i}", i) for i in range(2)]
    four = [Member(deployment.url, f"four-{i}", 10 + i, slug="net-reliable-four", scene_key="group") for i in range(4)]

    async def scenario():
        await asyncio.gather(play_group(pair, nothing_to_disturb), play_group(four, nothing_to_disturb))

    run(scenario, pair + four, deployment.run_dir)
    assert_nothing_lost(pair)
    assert_nothing_lost(four)
    for group in (pair, four):
        host = match_of(group[0]).host
        assert host in deployment.workers
        for member in group:
            assert set(member.player.routes) == {host}  # every game socket went to /w/<host>/
            assert set(member.player.served) == {host}  # and that worker served it
    # The workers' own count: not one input message was handed to the channel layer (Redis) by any of them.
    sent = {name: health(deployment, name)["relay"]["layer_sent"] for name in deployment.workers}
    assert all("inputs" not in kinds for kinds in sent.values()), sent
    assert "/w/" in deployment.access_log()


def test_a_worker_killed_mid_game_hands_the_game_to_another_and_nothing_is_lost(deployment):
    members = [Member(deployment.url, f"kill-{i}", i) for i in range(2)]
    doomed: list[str] = []

    async def disturb(members):
        await until(lambda: all(m.player.frame_in(0) >= 60 for m in members), 90)
        host = members[0].player.host
        doomed.append(host)
        deployment.workers[host].kill()  # SIGKILL: no disconnect handler runs, its unflushed work is gone
        # Each player gives up on the dead host, connects through nginx to any worker, and ends up where the game
        # is hosted now.
        await until(lambda: all(m.player.served and m.player.served[-1] != host for m in members), 90)

    async def scenario():
        await play_group(members, disturb)

    run(scenario, members, deployment.run_dir)
    assert_nothing_lost(members)
    new_host = match_of(members[0]).host
    assert doomed and new_host != doomed[0] and deployment.workers[new_host].alive
    for member in members:
        assert member.player.served[0] == doomed[0] and member.player.served[-1] == new_host
        assert member.player.reconnects >= 1
