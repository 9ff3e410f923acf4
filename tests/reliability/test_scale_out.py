"""Matchmaking across processes: two Daphne processes, one Redis, one database (all started here, on loopback).

Participants on different processes are matched with each other; a process killed while people wait loses
no one; many simultaneous arrivals never produce a double match or an overfull group.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync

from matchmaking.models import Match, MatchMember, WaitingEntry
from testkit.fixture_experiments import PATHS
from testkit.roomclient import participant_cookie
from testkit.servers import daphne_cluster, redis_server
from testkit.wsclient import WsRoomClient, match_group

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(tmp_path):
    with redis_server() as redis_url, daphne_cluster(2, redis_url, tmp_path, PATHS) as processes:
        yield processes


def at_pair(pid: str) -> str:
    return participant_cookie("pairs", pid)  # a room that waits minutes: timing on a busy machine cannot matter


def logs(tmp_path) -> str:
    return "\n".join(path.read_text()[-2000:] for path in tmp_path.glob("daphne-*.log"))


def test_participants_on_two_processes_are_matched_with_each_other(cluster, tmp_path):
    first, second = cluster
    ann, ben = at_pair("ann"), at_pair("ben")

    async def scenario():
        # Each says hello right after its own connect: the server closes a socket silent for MUG_WS_IDENTIFY_S, and
        # on a busy machine the second connect alone can take that long.
        a = await WsRoomClient(first.url, "pairs", ann).connect()
        b = None
        try:
            await a.join()
            await a.expect("waiting")
            b = await WsRoomClient(second.url, "pairs", ben).connect()
            await b.join()
            return await asyncio.gather(a.expect("matched", ack=True), b.expect("matched", ack=True))
        finally:
            await a.close()
            if b is not None:
                await b.close()

    try:
        matched_a, matched_b = async_to_sync(scenario)()
    except Exception:
        print(logs(tmp_path))
        raise
    assert matched_a["match"] == matched_b["match"] and matched_a["seed"] == matched_b["seed"]
    assert {matched_a["seat"], matched_b["seat"]} == {"chaser", "runner"}
    # the match they were both told of is confirmed (on a busy machine an earlier proposal may have lapsed first)
    assert Match.objects.get(pk=matched_a["match"]).status == "confirmed"


def test_a_killed_process_loses_no_one_waiting(cluster, tmp_path):
    doomed, survivor = cluster
    cara, dan = at_pair("cara"), at_pair("dan")

    async def scenario():
        c = await WsRoomClient(doomed.url, "pairs", cara).connect()
        await c.join()
        await c.expect("waiting")
        joined_at = await asyncio.to_thread(lambda: WaitingEntry.objects.get().joined_at)
        doomed.kill()  # no disconnect handler runs; the entry still says connected
        await c.connect(survivor.url)  # the client reconnects; the proxy sends it to a live process
        await c.join()
        await c.expect("waiting")
        d = await WsRoomClient(survivor.url, "pairs", dan).connect()
        await d.join()
        matched = await asyncio.gather(c.expect("matched", ack=True), d.expect("matched", ack=True))
        await c.close()
        await d.close()
        return joined_at, matched

    joined_at, (matched_c, matched_d) = async_to_sync(scenario)()
    entry = WaitingEntry.objects.get(participant__external_id="cara")
    assert entry.joined_at == joined_at  # the same place in the queue
    assert (matched_c["seat"], matched_d["seat"]) == ("chaser", "runner")  # cara was there first


def test_simultaneous_arrivals_never_double_match(cluster, tmp_path):
    count = 24
    cookies = [at_pair(f"crowd{i}") for i in range(count)]

    async def arrive(index: int) -> dict:
        process = cluster[index % 2]
        client = await WsRoomClient(process.url, "pairs", cookies[index]).connect()
        try:
            await client.join()
            return await client.expect("matched", timeout=60, ack=True)
        finally:
            await client.close()

    async def scenario():
        return await asyncio.gather(*(arrive(i) for i in range(count)))

    try:
        matched = async_to_sync(scenario)()
    except Exception:
        print(logs(tmp_path))
        raise
    confirmed = Match.objects.filter(status="confirmed")
    assert confirmed.count() == count // 2
    members = MatchMember.objects.filter(match__status="confirmed")
    assert members.count() == count and members.values("participant").distinct().count() == count
    assert all(match.members.count() == 2 for match in confirmed)
    by_match = {}
    for message in matched:
        by_match.setdefault(message["match"], set()).add(message["seat"])
    assert all(seats == {"chaser", "runner"} for seats in by_match.values()) and len(by_match) == count // 2


def test_a_group_game_across_two_processes_agrees_and_equals_the_server_replay(cluster, tmp_path):
    """Two headless players (the browser's NetSession over real WebSockets), each on its own Daphne process,
    relayed through Redis: both episodes end on the same frame with the same state, and each player's
    confirmed rows equal the server's replay of the stored input log."""
    from experiments.definition import registry
    from netcode.models import Game, GameEvent
    from netcode.replay import game_replay, scene_of
    from testkit.wsgame import WsGamePlayer

    first, second = cluster
    cookies = {pid: participant_cookie("net-relay", pid) for pid in ("eve", "fay")}

    async def scenario():
        await match_group(list(zip((first.url, second.url), cookies.values(), strict=True)), "net-relay")
        scene = registry.get_experiment("net-relay").scene("pair")
        urls = zip((first.url, second.url), cookies.values(), strict=True)
        players.extend(
            WsGamePlayer(url, "net-relay", cookie, "pair", scene.loop_config(), seed=i)
            for i, (url, cookie) in enumerate(urls)
        )
        return await asyncio.gather(*(player.play(timeout=60) for player in players))

    players = []
    try:
        async_to_sync(scenario)()
    except Exception:
        print(logs(tmp_path))
        for player in players:  # what each headless browser last heard and where its session stood
            net = player.net
            session = net and net.session
            print(player.messages[-30:], player.episode, session and (session.frame, session.confirmed))
        raise
    game = Game.objects.get()
    assert game.status == "finished"
    assert not GameEvent.objects.filter(kind="desync").exists()
    definition = registry.get_experiment("net-relay")
    from mug.rollback import shared_fields

    for episode in (0, 1):
        canonical = game_replay(game=game, episode=episode, scene=scene_of(game, definition))
        for player in players:
            assert [shared_fields(row) for row in player.rows[episode]] == canonical


class WsPlayClient(WsRoomClient):
    """A browser on a server-side game (/ws/play/): holds one key, collects frames."""

    def __init__(self, base_url: str, slug: str, cookie: str, key: str) -> None:
        super().__init__(base_url, slug, cookie)
        self.url = self.url.replace("/ws/room/", "/ws/play/")
        self.key, self.frames, self.started, self.seen = key, 0, 0, []

    async def play_until(self, kind: str, timeout: float = 60.0, frames: int = 10**9) -> dict | None:
        """Play until a message of this kind (or until this many frames were received)."""
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await self.socket.recv())
                self.seen.append(message["type"])
                if message["type"] == "welcome":
                    await self.socket.send(json.dumps({"type": "input", "frame": 0, "held": [self.key]}))
                self.frames += message["type"] == "frame"
                self.started += message["type"] == "started"
                if message["type"] == kind or self.frames >= frames:
                    return message
                if message["type"] in ("end", "error"):
                    raise AssertionError(f"expected {kind!r}, got {message}")

    async def hello(self) -> None:
        await self.socket.send(json.dumps({"type": "hello", "scene_key": "play"}))


def test_a_server_game_survives_the_death_of_the_process_hosting_it(cluster, tmp_path):
    """Two players of one server-side game on two Daphne processes (Redis between them). The process hosting the
    game is killed mid-episode: the other process's socket takes over the game, the episode starts again, both
    players finish; what was stored before the loss stays, and both participants' rows are the same frames."""
    from experiments.gamedata.models import Episode
    from netcode.models import Game, GameEvent

    doomed, survivor = cluster
    cookies = [participant_cookie("server-pair", pid) for pid in ("gil", "hal")]

    async def scenario():
        await match_group(list(zip((doomed.url, survivor.url), cookies, strict=True)), "server-pair", "play")
        a = await WsPlayClient(doomed.url, "server-pair", cookies[0], "ArrowLeft").connect()
        await a.hello()  # first: this process hosts the game (once it has taken it, the other may say hello)
        async with asyncio.timeout(60):
            while not await asyncio.to_thread(lambda: Game.objects.exclude(host="").exists()):
                await asyncio.sleep(0.05)
        b = await WsPlayClient(survivor.url, "server-pair", cookies[1], "ArrowRight").connect()
        await b.hello()
        await asyncio.gather(a.play_until("frames", frames=40), b.play_until("frames", frames=40))
        host = await asyncio.to_thread(lambda: Game.objects.get().host)
        doomed.kill()
        await a.connect(survivor.url)  # the browser reconnects; the proxy sends it to a live process
        await a.hello()
        finished = await asyncio.gather(a.play_until("finished"), b.play_until("finished"))
        await a.close()
        await b.close()
        return host, finished, b.started

    try:
        host, finished, restarts_seen = async_to_sync(scenario)()
    except Exception:
        print(logs(tmp_path))
        print(list(Game.objects.values("status", "host", "error", "episode", "frame")))
        print(list(GameEvent.objects.values_list("kind", "agent", "episode", "frame", "detail")))
        raise
    game = Game.objects.get()
    assert game.status == "finished" and game.host == "" and host != ""
    assert GameEvent.objects.filter(kind="host_lost").count() == 1 and restarts_seen >= 2
    by_participant = {}
    for episode in Episode.objects.order_by("index"):
        steps = list(episode.steps.order_by("frame").values_list("actions", flat=True))
        by_participant.setdefault(episode.participant_id, []).append((episode.status, steps))
    first, second = by_participant.values()
    assert first == second  # one game: the same frames stored for both
    assert [status for status, _ in first] == ["interrupted", "complete", "complete"]
    assert len(first[0][1]) == 30 and [len(steps) for _, steps in first[1:]] == [60, 60]  # one stored batch kept
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))
    assert {seats["gil"]: 3, seats["hal"]: 4} in first[1][1]  # both players' keys reached the new host
