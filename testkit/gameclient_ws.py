"""Group-game clients for the relay consumer tests: a matched participant's browser on a Channels communicator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import time_machine

from testkit.roomclient import RoomClient


class GameClient(RoomClient):
    """One socket to /x/<slug>/ws/game/ with the participant's cookie."""

    route = "game"
    skipped = ("player", "pong", "probe", "inputs", "ack")
    patience = 15.0

    async def hello(self, scene_key: str = "pair") -> dict:
        await self.send({"type": "hello", "scene_key": scene_key})
        return await self.expect("welcome")

    async def inputs(self, episode: int, frame: int, inputs: list, checksums: list | None = None) -> None:
        await self.send(
            {"type": "input", "episode": episode, "frame": frame, "inputs": inputs, "checksums": checksums or []}
        )


async def matched(slug: str, cookies: list[str], scene_key: str = "pair") -> None:
    """Put these participants into one group through the waiting room (they all acknowledge). The server's wall
    clock stands still meanwhile (time-machine): a busy machine's late pong or acknowledgement cannot outlast the
    room's presence or confirmation timeout (those timers have their own tests)."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        await _matched(slug, cookies, scene_key)


async def _matched(slug: str, cookies: list[str], scene_key: str) -> None:
    rooms = [RoomClient(slug, cookie) for cookie in cookies]
    for room in rooms:
        await room.__aenter__()
    try:
        for room in rooms:
            await room.join(scene_key)
        proposals = [await room.expect("confirm") for room in rooms]
        for room, proposal in zip(rooms, proposals, strict=True):
            await room.send({"type": "ack", "match": proposal["match"]})
        for room in rooms:
            await room.expect("matched")
    finally:
        for room in rooms:
            await room.__aexit__()


class SocketClock:
    """The sockets' clock for a test (StrictJsonConsumer.clock: flood-limit seconds, round trips): it moves only
    when the test moves it, and it counts the messages the sockets have read (so a test can wait for them)."""

    def __init__(self, monkeypatch, start: float = 1000.0) -> None:
        from matchmaking.consumers import StrictJsonConsumer

        self.now, self.read = start, 0
        flooding = StrictJsonConsumer.flooding

        def counted(consumer) -> bool:
            self.read += 1
            return flooding(consumer)

        monkeypatch.setattr(StrictJsonConsumer, "clock", staticmethod(lambda: self.now))
        monkeypatch.setattr(StrictJsonConsumer, "flooding", counted)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def until_read(self, count: int, timeout: float = 60.0) -> None:
        """Wait until the sockets have read `count` messages in all (a generous deadline)."""
        async with asyncio.timeout(timeout):
            while self.read < count:
                await asyncio.sleep(0.01)
