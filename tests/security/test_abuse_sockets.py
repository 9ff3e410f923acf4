"""Attacks on the participants' sockets from outside, against a production-like Daphne with plain WebSocket clients:
a malformed input message, checksum and presence spam, floods of invalid JSON, sockets that never say hello,
too many sockets per participant or address, and an Origin on another port. Each hurts only its sender."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import async_to_sync

from experiments.definition import registry
from netcode.input_commit import InputWriter
from netcode.input_store import InputEntry
from netcode.models import Game, GameEvent, GameSeat
from testkit.fixture_experiments import PATHS
from testkit.inputrows import entry, seats, stored
from testkit.servers import production_daphne
from testkit.socketabuse import SLUG, WAIT_S, closed_by_server, cookie_for
from testkit.wsclient import WsRoomClient, match_group
from testkit.wsgame import WsGamePlayer


async def match_pair(server, cookies: list[str]) -> None:
    await match_group([(server.url, cookie) for cookie in cookies], SLUG)


def game_url(server) -> str:
    return server.url.replace("http://", "ws://") + f"/x/{SLUG}/ws/game/"


async def game_socket(server, cookie: str | None, origin: str | None = None):
    headers = {"Origin": origin or server.url, **({"Cookie": f"mug_{SLUG}={cookie}"} if cookie else {})}
    return await websockets.connect(game_url(server), additional_headers=headers, open_timeout=10)


async def seated(server, cookie: str):
    """A game socket that said hello and got its welcome."""
    socket = await game_socket(server, cookie)
    await socket.send(json.dumps({"type": "hello", "scene_key": "pair"}))
    await until(socket, "welcome")
    return socket


async def until(socket, kind: str) -> dict:
    """The next message of this kind (answering probes as a browser does)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind:
                return message
            if message["type"] == "probe":
                await socket.send(json.dumps({"type": "probe", "id": message["id"], "stats": {}}))


async def drained(socket) -> list[dict]:
    """Everything the server says until it answers a ping sent now (it handles one socket's messages in order)."""
    await socket.send(json.dumps({"type": "ping", "id": "last"}))
    seen = []
    async with asyncio.timeout(WAIT_S):
        while (message := json.loads(await socket.recv())) != {"type": "pong", "id": "last"}:
            seen.append(message)
    return seen


def honest_players(server, cookies: list[str]) -> list[WsGamePlayer]:
    config = registry.get_experiment(SLUG).scene("pair").loop_config()
    return [WsGamePlayer(server.url, SLUG, cookie, "pair", config, seed=i) for i, cookie in enumerate(cookies)]


def two_games(server) -> tuple[list[str], list[str]]:
    """An honest pair and an attacker's pair, each matched into its own game on the server."""
    honest = [cookie_for(server, pid) for pid in ("ann", "ben")]
    attacker = [cookie_for(server, pid) for pid in ("eve", "mal")]
    async_to_sync(match_pair)(server, honest)
    async_to_sync(match_pair)(server, attacker)
    return honest, attacker


def test_a_malformed_input_message_fails_only_its_sender_while_another_game_plays_on(prod_server):
    """`checksums: [[true, "x"]]` used to raise inside the group commit that every game's inputs share: each honest
    input in the same batch failed too (and was resent a second later). Now it is refused to its sender alone."""
    honest, attacker = two_games(prod_server)
    bad = {"type": "input", "episode": 0, "frame": 0, "inputs": [], "checksums": [[True, "x"]]}

    async def scenario():
        socket = await seated(prod_server, attacker[0])
        players = honest_players(prod_server, honest)
        games = asyncio.gather(*(player.play(timeout=WAIT_S) for player in players))
        sent = 0
        while not games.done():  # as fast as the flood limit allows, for the whole honest game
            await socket.send(json.dumps(bad))
            sent += 1
            await asyncio.sleep(0.01)
        await games
        replies = await drained(socket)
        await socket.close()
        return players, sent, replies

    players, sent, replies = async_to_sync(scenario)()
    for player in players:  # the honest game saw no error, and both players played both episodes to the end
        assert "error" not in player.messages and player.finished.is_set()
        assert sorted(player.rows) == [0, 1] and all(player.rows[e] for e in (0, 1))
    game = Game.objects.get(seats__participant__external_id="ann")
    assert game.status == "finished" and not GameEvent.objects.filter(game=game, kind="desync").exists()
    errors = [r["message"] for r in replies if r["type"] == "error"]
    assert sent >= 20 and len(errors) == sent and set(errors) == {"each checksum must be [frame, hex]"}
    assert GameSeat.objects.get(participant__external_id="eve").checks == {}  # nothing of the attacker's stored


def checksums(first: int, digest: str) -> dict:
    return {
        "type": "input",
        "episode": 0,
        "frame": 0,
        "inputs": [],
        "checksums": [[f, digest] for f in range(first, first + 8)],
    }


async def paced(socket, message: dict) -> None:
    """Send, then yield a moment: 100 messages a second at most, under the flood limit (150)."""
    await socket.send(json.dumps(message))
    await asyncio.sleep(0.01)


def test_checksum_spam_is_refereed_at_most_the_limit(prod_server):
    """Two seats of one game report different checksums for hundreds of frames, again and again: each mismatch used
    to make the server replay the episode (and record events); now a desync is refereed once per frame, not again
    while its resync is on the way, and at most MUG_REFEREE_PER_MINUTE (6) a minute per game."""
    _, attacker = two_games(prod_server)

    async def scenario():
        first, second = await seated(prod_server, attacker[0]), await seated(prod_server, attacker[1])
        for frame in range(0, 600, 8):  # both report each block of frames, differently
            await paced(first, checksums(frame, "aaaa"))
            await paced(second, checksums(frame, "bbbb"))
        for round_ in range(3):  # and the same frames again, changed back and forth
            for frame in range(0, 600, 8):
                await paced(second, checksums(frame, "cccc" if round_ % 2 == 0 else "bbbb"))
        replies = await drained(second)
        await drained(first)
        await first.close()
        await second.close()
        return replies

    replies = async_to_sync(scenario)()
    game = Game.objects.get(seats__participant__external_id="eve")
    events = GameEvent.objects.filter(game=game)
    assert 1 <= events.filter(kind="desync").count() <= 6
    assert 1 <= events.filter(kind__in=("resync", "desync_unresolved")).count() <= 6
    assert 1 <= len([r for r in replies if r["type"] == "desync"]) <= 6


def test_presence_toggles_write_at_most_the_limit_of_event_rows(prod_server):
    """A tab hidden and shown again 150 times: each toggle used to write an event row; now at most
    MUG_PRESENCE_EVENTS_PER_MINUTE (20) a minute per seat (the partner is still told each time)."""
    _, attacker = two_games(prod_server)

    async def scenario():
        first, second = await seated(prod_server, attacker[0]), await seated(prod_server, attacker[1])
        for number in range(150):
            await paced(first, {"type": "presence", "hidden": number % 2 == 0})
        await drained(first)
        told = [m for m in await drained(second) if m["type"] == "player" and m["state"] in ("hidden", "here")]
        await first.close()
        await second.close()
        return told

    told = async_to_sync(scenario)()
    game = Game.objects.get(seats__participant__external_id="eve")
    assert GameEvent.objects.filter(game=game, kind__in=("hidden", "visible")).count() == 20
    assert len(told) >= 150  # each toggle still reached the partner


def test_a_flood_of_invalid_json_is_closed_and_counts_toward_the_flood_limit(prod_server):
    _, attacker = two_games(prod_server)

    async def scenario():
        socket = await seated(prod_server, attacker[0])
        for number in range(400):
            try:
                await socket.send(f"{{not json {number}")
            except websockets.ConnectionClosed:
                break
        return await closed_by_server(socket)

    assert async_to_sync(scenario)() == 4008


@pytest.fixture
def quick_server(tmp_path, transactional_db):
    """A production-like Daphne that wants a hello within 1 s and closes a socket silent for 3 s."""
    with production_daphne(tmp_path, PATHS, MUG_WS_IDENTIFY_S="1", MUG_WS_IDLE_S="3") as server:
        yield server


@pytest.fixture
def capped_server(tmp_path, transactional_db):
    """A production-like Daphne that lets a participant cookie open 2 sockets and an address 8 (in this process)."""
    with production_daphne(tmp_path, PATHS, MUG_WS_PER_PARTICIPANT="2", MUG_WS_PER_ADDRESS="8") as server:
        yield server


def test_sockets_that_never_say_hello_are_closed(quick_server):
    async def scenario():
        sockets = [await game_socket(quick_server, None) for _ in range(6)]
        return [await closed_by_server(socket) for socket in sockets]

    assert async_to_sync(scenario)() == [4001] * 6


def test_a_silent_socket_is_closed_after_it_identified(quick_server):
    cookie = cookie_for(quick_server, "quiet")

    async def scenario():
        room = await WsRoomClient(quick_server.url, SLUG, cookie).connect()
        await room.join()
        await room.expect("waiting")
        return await closed_by_server(room.socket)  # it never answers a ping: silent

    assert async_to_sync(scenario)() == 4002


def refused(error: BaseException) -> bool:
    return isinstance(error, websockets.InvalidStatus) and error.response.status_code == 403


def test_sockets_are_capped_per_participant_and_per_address(capped_server):
    cookie = cookie_for(capped_server, "many")

    async def scenario():
        mine = [await game_socket(capped_server, cookie) for _ in range(2)]
        with pytest.raises(websockets.InvalidStatus) as third:
            await game_socket(capped_server, cookie)
        others = [await game_socket(capped_server, f"forged-{n}") for n in range(6)]  # 8 from this address now
        with pytest.raises(websockets.InvalidStatus) as ninth:
            await game_socket(capped_server, "forged-9")
        await mine[0].close()
        await closed_by_server(mine[0])
        again = None
        async with asyncio.timeout(WAIT_S):  # the server frees the place once it has seen the close
            while again is None:
                try:
                    again = await game_socket(capped_server, cookie)
                except websockets.InvalidStatus:
                    await asyncio.sleep(0.05)
        for socket in [*mine[1:], *others, again]:
            await socket.close()
        return third.value, ninth.value

    third, ninth = async_to_sync(scenario)()
    assert refused(third) and refused(ninth)


def test_a_socket_from_a_page_on_another_port_is_refused(prod_server):
    cookie = cookie_for(prod_server, "ann")
    other_port = f"http://127.0.0.1:{prod_server.port + 1}"

    async def scenario():
        with pytest.raises(websockets.InvalidStatus) as elsewhere:
            await game_socket(prod_server, cookie, origin=other_port)
        with pytest.raises(websockets.InvalidStatus) as no_port:
            await game_socket(prod_server, cookie, origin="http://127.0.0.1")
        same = await game_socket(prod_server, cookie)  # the page's own origin is let in
        await same.close()
        return elsewhere.value, no_port.value

    elsewhere, no_port = async_to_sync(scenario)()
    assert refused(elsewhere) and refused(no_port)


@pytest.mark.django_db(transaction=True)
def test_a_batch_the_store_still_chokes_on_is_split_so_only_the_culprit_fails():
    """Behind the shape checks: should a message still make the shared write raise, the writer stores each message
    of that batch alone, so the others are stored and only the culprit gets the error (here a seat id no integer
    column holds, made in-process since no socket can send one)."""
    a, b = seats()

    async def scenario():
        writer = InputWriter()  # the three messages wait for the same write
        culprit = InputEntry(seat_id=2**70, episode=0, frame=0, inputs=[], checksums=[])
        return await asyncio.gather(
            writer.store(entry(a, [[2, 1]])),
            writer.store(culprit),
            writer.store(entry(b, [[2, 2]])),
            return_exceptions=True,
        )

    first, culprit, last = async_to_sync(scenario)()
    assert isinstance(culprit, Exception) and first.new == [(2, 1)] and last.new == [(2, 2)]
    assert stored() == {("chaser", 2): 1, ("runner", 2): 2}
