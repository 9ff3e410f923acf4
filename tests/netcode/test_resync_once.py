"""One divergence, one resync: checksums a diverged browser computed before it applied the referee's state are
neither kept nor compared (they would each be refereed again: a single desync once cost ~150 resyncs), and once the
browser says it applied the resync its checksums are compared again."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from experiments.definition import registry
from matchmaking.models import MatchMember
from netcode.models import Game, GameEvent
from netcode.replay import game_checkpoint
from testkit.gameclient_ws import GameClient, matched
from testkit.roomclient import participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)
SLUG = "net-patient"  # Gather for two (it has get_state: the referee can send its state); nobody drops out


def seated_cookies() -> list[str]:
    cookies = {pid: participant_cookie(SLUG, pid) for pid in ("ann", "ben")}
    async_to_sync(matched)(SLUG, list(cookies.values()), "pair")
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))
    return [cookies[pid] for pid in sorted(cookies, key=lambda pid: seats[pid])]


async def until(client: GameClient, kind: str, timeout: float = 30.0) -> dict:
    """The next `kind` message to this client; every other message it got meanwhile is kept in `client.seen`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (message := await client.next_message(deadline)) is not None:
        if message["type"] == kind:
            return message
        client.seen.append(message)
    raise AssertionError(f"no {kind!r} within {timeout} s; got {[m['type'] for m in client.seen]}")


async def report(client: GameClient, checksums: list, resynced: int | None = None) -> None:
    """An input message with these checksums only, as the browser sends them; waits until the relay took it."""
    message = {"type": "input", "episode": 0, "frame": 130, "inputs": [], "checksums": checksums}
    if resynced is not None:
        message["resynced"] = resynced
    await client.send(message)
    await until(client, "ack")


def test_checksums_from_before_a_resync_are_not_compared_again():
    cookies = seated_cookies()
    scene = registry.get_experiment(SLUG).scene("pair")

    async def scenario():
        right, wrong = GameClient(SLUG, cookies[0]), GameClient(SLUG, cookies[1])
        for client in (right, wrong):
            await client.__aenter__()
            await client.hello()
            client.seen = []
        for client, action in ((right, 1), (wrong, 4)):
            for first in (2, 62):
                await client.inputs(0, first, [[f, action] for f in range(first, first + 60)])
                await client.expect_all("ack")
        game = await sync_to_async(Game.objects.get)()
        truth = {
            frame: (await sync_to_async(game_checkpoint)(game=game, episode=0, frame=frame, scene=scene))["checksum"]
            for frame in (10, 110, 120)
        }
        # The wrong browser diverged at frame 10: one desync, one resync (numbered 1).
        await report(right, [[10, truth[10]]])
        await report(wrong, [[10, "0badc0ffee000010"]])
        first = await until(wrong, "resync")
        wrong.seen.clear()
        # Before that state lands, the wrong browser still reports its diverged frames (100 frames on: past the
        # relay's hold), without saying it applied a resync; the right one reports the true checksum.
        await report(wrong, [[110, "0badc0ffee000110"]])
        await report(right, [[110, truth[110]]])
        quiet = [m["type"] for m in [*wrong.seen, *await wrong.idle(1.0)]]  # a second resync would come now
        assert "resync" not in quiet and "desync" not in quiet, quiet
        # It applied resync 1 and re-simulated: its new checksums are compared again (and a new divergence at 120
        # is a new desync, with its own resync).
        await report(wrong, [[110, truth[110]], [120, "0badc0ffee000120"]], resynced=1)
        await report(right, [[120, truth[120]]])
        second = await until(wrong, "resync")
        for client in (right, wrong):
            await client.__aexit__()
        return first, quiet, second

    first, _, second = async_to_sync(scenario)()
    assert (first["frame"], first["resync"]) == (10, 1)
    assert (second["frame"], second["resync"]) == (120, 2)
    assert list(GameEvent.objects.filter(kind="desync").values_list("frame", flat=True)) == [10, 120]
    assert list(GameEvent.objects.filter(kind="resync").values_list("frame", "agent")) == [
        (10, "player_1"),
        (120, "player_1"),
    ]


def test_a_malformed_resync_count_is_refused_and_stores_nothing():
    cookies = seated_cookies()

    async def scenario():
        async with GameClient(SLUG, cookies[0]) as client:
            await client.hello()
            await client.send(
                {"type": "input", "episode": 0, "frame": 3, "inputs": [[2, 1]], "checksums": [], "resynced": "x"}
            )
            return await client.expect("error")

    refused = async_to_sync(scenario)()
    assert "resynced" in refused["message"]
    assert not Game.objects.get().inputs.exists()
