"""Fuzzing every socket's messages (waiting room, game relay, server game, live monitor): each answers or ignores,
never dies, stores nothing malformed, and goes on serving the others."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from experiments.gamedata.models import Step
from matchmaking.models import WaitingEntry
from mugsite.asgi import application
from netcode.consumers import GameConsumer
from netcode.models import GameInput, GameSeat
from netcode.server.consumers import ServerGameConsumer
from netcode.server.host import HOSTS
from testkit.fuzzing import frames, nested, specials
from testkit.gameclient_ws import GameClient, SocketClock, matched
from testkit.roomclient import RoomClient, participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = 300  # messages per socket
INT64 = 2**63
LAST = {"type": "error", "message": "unknown message type 'last-one'"}
ROOM = [{"type": "join", "scene_key": "pair"}, {"type": "pong", "id": 1}, {"type": "ack", "match": 1}]
RELAY = [
    {"type": "input", "episode": 0, "frame": 3, "inputs": [[2, 1], [3, 4]], "checksums": [[2, "ab12"]]},
    {"type": "done", "episode": 0, "frames": 5, "checksum": "ab12"},
    {"type": "presence", "hidden": False},
    {"type": "ping", "id": 1},
    {"type": "sync", "episode": 0, "after": 1},
    {"type": "hello", "scene_key": "pair"},
    {"type": "probe", "id": 1, "stats": {"fps": 30, "rollbacks": 2}},
]
PLAY = [
    {"type": "input", "frame": 3, "held": ["ArrowUp"], "presses": [], "id": 4},
    {"type": "presence", "hidden": False},
    {"type": "ping", "id": 1},
    {"type": "repaint"},
    {"type": "hello", "scene_key": "play"},
    {"type": "probe", "id": 1, "stats": {"fps": 30}},
]


def run(scenario, *args, **kwargs):
    return async_to_sync(scenario)(*args, **kwargs)


def hostile(seed: int, valid: list[dict], room: bool = False) -> list[str | bytes]:
    """COUNT fuzzed frames and every special body (deep, big, odd numbers, binary)."""
    return [*frames(random.Random(seed), valid, COUNT), *specials()]


class Socket(RoomClient):
    """A socket at `path` with this cookie header; `expect` skips whatever else comes first."""

    def __init__(self, path: str, cookie: str | None):
        headers = [(b"origin", b"http://127.0.0.1")] + ([(b"cookie", cookie.encode())] if cookie else [])
        self.socket, self.silent = WebsocketCommunicator(application, path, headers=headers), True

    async def expect(self, kind: str, timeout: float = 20.0) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while (message := await self.next_message(deadline)) is not None:
            if message["type"] in (kind, "error"):
                return message
        raise AssertionError(f"no {kind!r} within {timeout} s")


async def hammer(client: RoomClient, payloads: list, pong: bool = False) -> list[dict]:
    """Send every payload as a frame (text or binary); collect the replies, answering pings; fail if the consumer
    died (it may instead close cleanly)."""
    socket, replies = client.socket, []
    for payload in payloads:
        key = "bytes" if isinstance(payload, bytes) else "text"
        await socket.send_input({"type": "websocket.receive", key: payload})
        while not await socket.receive_nothing(timeout=0.002, interval=0.001):
            output = await socket.receive_output()
            if output["type"] == "websocket.close":
                return replies
            replies.append(json.loads(output["text"]))
            if pong and replies[-1]["type"] == "ping":
                await client.send({"type": "pong", "id": replies[-1]["id"]})
        assert not socket.future.done(), socket.future.exception()
    await client.send({"type": "last-one"})
    deadline = asyncio.get_running_loop().time() + 20
    while (message := await client.next_message(deadline)) != LAST:  # answered: everything before was handled
        assert message is not None and not socket.future.done(), "the last message was never answered"
        replies.append(message)
    return replies


@pytest.fixture(autouse=True)
def no_errors_logged(caplog):
    caplog.set_level(logging.INFO)
    yield
    assert [r.getMessage()[:300] for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.fixture
def unlimited(monkeypatch):
    """The game sockets ignore messages beyond their flood limit: lift it so that every fuzzed message is handled
    (the flood limit has its own test)."""
    monkeypatch.setattr(GameConsumer, "messages_per_s", 10**6)
    monkeypatch.setattr(ServerGameConsumer, "messages_per_s", 10**6)


def test_the_waiting_room_survives_fuzzing_and_still_matches():
    fuzzer, partner = participant_cookie("pairs", "fuzzer"), participant_cookie("pairs", "partner")

    async def scenario():
        async with RoomClient("pairs", fuzzer) as a:
            await a.join()
            replies = await hammer(a, hostile(1, ROOM, room=True), pong=True)
            async with RoomClient("pairs", partner) as b:
                await b.join()
                proposals = [await a.expect("confirm"), await b.expect("confirm")]
                for client, proposal in zip((a, b), proposals, strict=True):
                    await client.send({"type": "ack", "match": proposal["match"]})
                return replies, await a.expect("matched"), await b.expect("matched")

    replies, first, second = run(scenario)
    assert sum(r["type"] == "error" for r in replies) > COUNT // 3
    assert {first["seat"], second["seat"]} == {"chaser", "runner"}
    entries = WaitingEntry.objects.all()
    assert entries.count() == 2 and all(e.rtt_ms is None or math.isfinite(e.rtt_ms) for e in entries)


def test_the_game_relay_survives_fuzzing_stores_only_valid_inputs_and_still_relays(unlimited):
    cookies = [participant_cookie("net-relay", pid) for pid in ("ann", "ben")]
    run(matched, "net-relay", cookies, "pair")

    async def scenario():
        async with GameClient("net-relay", cookies[0]) as a, GameClient("net-relay", cookies[1]) as b:
            seat = (await a.hello())["seat"]
            await b.hello()
            replies = await hammer(a, hostile(2, RELAY))
            await b.idle(0.3)  # what the fuzzing had forwarded
            frame = await database_sync_to_async(lambda: GameSeat.objects.get(agent=seat).acked + 1)()
            await a.inputs(0, frame, [[frame, 3]])
            forwarded = await b.expect("inputs")
            await b.inputs(0, 2, [[2, 4]])
            return replies, frame, forwarded, await a.expect("inputs")

    replies, frame, forwarded, back = run(scenario)
    assert sum(r["type"] == "error" for r in replies) > COUNT // 4
    assert forwarded["inputs"] == [[frame, 3]] and back["inputs"] == [[2, 4]]
    for row in GameInput.objects.all():
        assert row.agent in ("chaser", "runner") and 2 <= row.frame < 400 and row.action in (0, 1, 2, 3, 4)
    for seat in GameSeat.objects.all():
        assert seat.local_frame is None or -INT64 <= seat.local_frame < INT64
        assert all(isinstance(v, str) and len(v) <= 32 for v in seat.checks.values())
        assert all(math.isfinite(v) for v in seat.client_stats.values())


def test_the_server_game_survives_fuzzing_and_every_game_still_plays_to_the_end(unlimited):
    fuzzer, player = participant_cookie("server-long", "fuzzer"), participant_cookie("server-long", "player")

    async def scenario():
        path = "/x/server-long/ws/play/"
        async with Socket(path, f"mug_server-long={fuzzer}") as a, Socket(path, f"mug_server-long={player}") as b:
            for client in (a, b):
                await client.send({"type": "hello", "scene_key": "play"})
            await a.expect("started")
            replies = await hammer(a, hostile(3, PLAY))
            ends = [await a.expect("finished"), await b.expect("finished")]
            for host in list(HOSTS.values()):
                await asyncio.wait_for(host.task, 10)
            return replies, ends

    replies, ends = run(scenario)
    assert sum(r["type"] == "error" for r in replies) > COUNT // 4 and [e["type"] for e in ends] == ["finished"] * 2
    for pid in ("fuzzer", "player"):
        steps = Step.objects.filter(episode__participant__external_id=pid)
        assert sorted(steps.values_list("frame", flat=True)) == list(range(90))
        assert all(tuple(actions.values())[0] in (0, 1, 2, 3, 4) for actions in steps.values_list("actions", flat=True))


def test_the_live_monitor_ignores_whatever_staff_browsers_send_and_keeps_sending_snapshots(researcher):
    client = Client()
    client.force_login(researcher)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def scenario():
        async with Socket("/admin/live/ws/", cookie) as live:
            first = await live.expect("snapshot")
            for payload in [*specials(), *frames(random.Random(4), [{"type": "snapshot"}], COUNT)]:
                key = "bytes" if isinstance(payload, bytes) else "text"
                await live.socket.send_input({"type": "websocket.receive", key: payload})
            await live.expect("snapshot")  # two more snapshots: long after the fuzzed messages were handled
            later = await live.expect("snapshot")
            assert not live.socket.future.done()
            return first, later

    first, later = run(scenario)
    assert later["at"] > first["at"]


def test_a_flood_on_the_game_relay_is_cut_off_and_the_socket_goes_on(caplog, monkeypatch):
    cookies = [participant_cookie("net-relay", pid) for pid in ("ann", "ben")]
    run(matched, "net-relay", cookies, "pair")
    clock = SocketClock(monkeypatch)  # the flood limit's seconds pass only when this test says so

    async def scenario():
        async with GameClient("net-relay", cookies[0]) as a:
            await a.hello()
            clock.advance(1.0)  # the flood starts a second of its own
            read = clock.read
            for number in range(400):
                await a.send({"type": "ping", "id": number})
            await clock.until_read(read + 400)  # all 400 within one second
            clock.advance(1.0)  # the next second's messages are taken again
            await a.send({"type": "ping", "id": "after"})
            await clock.until_read(read + 401)
            pongs = [m["id"] for m in await a.idle(0.5) if m["type"] == "pong"]
            return pongs

    pongs = run(scenario)
    assert pongs == [*range(150), "after"] and "flooded" in caplog.text


def test_a_join_flood_in_the_waiting_room_is_refused_and_makes_one_entry():
    cookie = participant_cookie("pairs", "flooder")

    async def scenario():
        async with RoomClient("pairs", cookie) as room:
            for _ in range(30):
                await room.join()
            return await room.idle(1.0)

    replies = run(scenario)
    refused = [r for r in replies if r["type"] == "error" and "too many join requests" in r["message"]]
    assert len(refused) == 25 and WaitingEntry.objects.count() == 1


SOCKETS = {
    "room": ("pairs", "/x/pairs/ws/room/", {"type": "join", "scene_key": "pair"}),
    "relay": ("net-relay", "/x/net-relay/ws/game/", {"type": "hello", "scene_key": "pair"}),
    "play": ("server-solo", "/x/server-solo/ws/play/", {"type": "hello", "scene_key": "play"}),
}


async def reply_to(slug: str, path: str, cookie: str, before: dict | None, *payloads: str, kind: str = "error"):
    """The socket's first error (or `kind`) message after the payloads (sent after `before`)."""
    async with Socket(path, f"mug_{slug}={cookie}") as client:
        if before:
            await client.send(before)
            await client.expect({"join": "waiting", "hello": "welcome"}[before["type"]])  # it was handled
        for payload in payloads:
            await client.socket.send_to(text_data=payload)
        return await client.expect(kind, timeout=10)


@pytest.mark.parametrize("name", SOCKETS)
def test_a_message_type_that_is_a_list_or_an_object_gets_an_error(name):
    slug, path, _ = SOCKETS[name]
    reply = run(reply_to, slug, path, participant_cookie(slug, "p"), None, '{"type": ["join"]}')
    assert reply["message"].startswith("unknown message type")


@pytest.mark.parametrize("name", SOCKETS)
def test_json_nested_too_deeply_gets_an_error(name):
    slug, path, _ = SOCKETS[name]
    reply = run(reply_to, slug, path, participant_cookie(slug, "p"), None, nested(100_000))
    assert reply["message"] == "messages must be JSON objects"


def test_an_ack_for_a_match_id_out_of_range_changes_nothing_and_the_socket_goes_on():
    slug, path, join = SOCKETS["room"]
    cookie = participant_cookie(slug, "p")
    ack = json.dumps({"type": "ack", "match": -(10**20)})
    reply = run(reply_to, slug, path, cookie, join, ack, json.dumps({"type": "last-one"}))
    assert reply["message"] == "ack needs the match id, after joining"  # refused, and the socket answers on
    assert WaitingEntry.objects.get().status == "waiting"


def test_an_input_frame_out_of_range_is_acknowledged_and_not_stored():
    cookies = [participant_cookie("net-relay", pid) for pid in ("ann", "ben")]
    run(matched, "net-relay", cookies, "pair")
    slug, path, hello = SOCKETS["relay"]
    message = {"type": "input", "episode": 0, "frame": 10**20, "inputs": [[2, 1]], "checksums": []}
    reply = run(reply_to, slug, path, cookies[0], hello, json.dumps(message), kind="ack")
    assert reply == {"type": "ack", "ack": 2, "episode": 0}
    assert all(seat.local_frame is None or abs(seat.local_frame) < 2**31 for seat in GameSeat.objects.all())
