"""Server-side games are bounded, checked from outside against a production-like Daphne: at most
MUG_MAX_SERVER_GAMES game processes run at once on the machine; a participant beyond them is told the server is
busy and starts by itself when a place frees (or gets the timed-out ending after MUG_SERVER_GAME_WAIT_S); and a
socket without a real seat at that scene starts no process at all."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import websockets
from asgiref.sync import async_to_sync

from experiments.flow.models import Participant
from netcode.models import Game, GameEvent
from testkit.fixture_experiments import PATHS
from testkit.servers import production_daphne
from testkit.socketabuse import WAIT_S, closed_by_server, cookie_for

# The server's only spawned children are then its game processes (verifier workers are spawned children too).
NO_VERIFIERS = {"MUG_VERIFY_WORKERS": "0"}


def game_processes(server) -> int:
    """The server's child processes that are games (multiprocessing's spawned children; not its resource tracker)."""
    pid = server.process.pid
    children = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children |= set((task / "children").read_text().split())
        except OSError:
            continue  # the thread ended meanwhile
    count = 0
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        count += b"spawn_main" in command
    return count


@pytest.fixture
def one_slot(tmp_path, transactional_db):
    """A production-like Daphne on a machine that allows one game process (its own slot directory)."""
    limits = {"MUG_MAX_SERVER_GAMES": "1", "MUG_SERVER_GAME_SLOTS_DIR": str(tmp_path / "slots"), **NO_VERIFIERS}
    with production_daphne(tmp_path, PATHS, MUG_SERVER_GAME_WAIT_S="600", **limits) as server:
        yield server


@pytest.fixture
def one_slot_short_wait(tmp_path, transactional_db):
    limits = {"MUG_MAX_SERVER_GAMES": "1", "MUG_SERVER_GAME_SLOTS_DIR": str(tmp_path / "slots"), **NO_VERIFIERS}
    with production_daphne(tmp_path, PATHS, MUG_SERVER_GAME_WAIT_S="1", **limits) as server:
        yield server


async def play_socket(server, slug: str, cookie: str | None):
    url = server.url.replace("http://", "ws://") + f"/x/{slug}/ws/play/"
    headers = {"Origin": server.url, **({"Cookie": f"mug_{slug}={cookie}"} if cookie else {})}
    socket = await websockets.connect(url, additional_headers=headers, open_timeout=10)
    await socket.send(json.dumps({"type": "hello", "scene_key": "play"}))
    return socket


async def read_until(socket, kinds: set[str], seen: list[str], watch=None) -> dict:
    """Messages until one of these kinds (each type noted in `seen`; `watch` is called after each)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            message = json.loads(await socket.recv())
            seen.append(message["type"])
            if watch:
                watch()
            if message["type"] == "probe":
                await socket.send(json.dumps({"type": "probe", "id": message["id"], "stats": {}}))
            if message["type"] in kinds:
                return message


def test_beyond_the_cap_a_participant_is_told_busy_and_starts_when_a_place_frees(one_slot):
    occupant, waiter = cookie_for(one_slot, "first", "server-slow"), cookie_for(one_slot, "second", "server-solo")
    most = []

    def sample() -> None:
        most.append(game_processes(one_slot))

    async def scenario():
        first = await play_socket(one_slot, "server-slow", occupant)
        first_seen, second_seen = [], []
        await read_until(first, {"started"}, first_seen)
        second = await play_socket(one_slot, "server-solo", waiter)
        await read_until(second, {"busy"}, second_seen)
        running_while_busy = game_processes(one_slot)
        finished = await read_until(first, {"finished", "end"}, first_seen, sample)
        started = await read_until(second, {"started"}, second_seen, sample)
        ended = await read_until(second, {"finished", "end"}, second_seen, sample)
        for socket in (first, second):
            await socket.close()
        return running_while_busy, finished, started, ended, second_seen

    running_while_busy, finished, started, ended, second_seen = async_to_sync(scenario)()
    assert running_while_busy == 1 and max(most) <= 1  # two participants at server games, one process at a time
    assert finished["type"] == "finished" and ended["type"] == "finished"
    assert second_seen[0] == "busy" and second_seen.count("busy") == 1  # told at once, then started by itself
    assert not {"welcome", "started", "frame"} & set(second_seen[: second_seen.index("busy")])
    assert set(Game.objects.values_list("status", flat=True)) == {"finished"}


def test_after_a_long_wait_for_a_place_the_flow_ends_as_timed_out(one_slot_short_wait):
    server = one_slot_short_wait
    occupant, waiter = cookie_for(server, "first", "server-slow"), cookie_for(server, "second", "server-solo")

    async def scenario():
        first = await play_socket(server, "server-slow", occupant)
        await read_until(first, {"started"}, [])
        second = await play_socket(server, "server-solo", waiter)
        seen = []
        end = await read_until(second, {"end", "started"}, seen)
        for socket in (first, second):
            await socket.close()
        return seen, end

    seen, end = async_to_sync(scenario)()
    assert seen[0] == "busy" and end["type"] == "end" and end["reason"] == "timed_out"
    assert end["next"] == "/x/server-solo/flow/"
    assert Participant.objects.get(external_id="second").status == "timed_out"
    assert GameEvent.objects.filter(kind="busy_timeout", game__experiment__slug="server-solo").count() == 1


def test_a_socket_without_a_real_seat_starts_no_process(one_slot):
    stranger = cookie_for(one_slot, "elsewhere", "pairs")  # a participant of another study
    at_the_start = cookie_for(one_slot, "walker", "server-solo")

    async def scenario():
        replies = []
        for slug, cookie in (("server-solo", None), ("server-solo", "forged"), ("server-solo", stranger)):
            socket = await play_socket(one_slot, slug, cookie)
            replies.append(await read_until(socket, {"error", "welcome", "started", "busy"}, []))
            await socket.close()
        url = one_slot.url.replace("http://", "ws://") + "/x/server-solo/ws/play/"
        headers = {"Origin": one_slot.url, "Cookie": f"mug_server-solo={at_the_start}"}
        bare = await websockets.connect(url, additional_headers=headers)
        code = await closed_by_server(bare)  # it never said hello: closed, and no game for it
        return replies, code

    replies, code = async_to_sync(scenario)()
    assert [reply["type"] for reply in replies] == ["error"] * 3
    assert code == 4001 and game_processes(one_slot) == 0 and not Game.objects.exists()
