"""A browser's socket to a server-side game (/x/<slug>/ws/play/), and winding down the game hosts a test started."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync

from netcode.server.host import HOSTS
from testkit.roomclient import RoomClient, participant_cookie

QUIET = ("player", "pong", "probe", "paused")


class PlayClient(RoomClient):
    """One browser's socket to /x/<slug>/ws/play/."""

    route = "play"
    skipped = (*QUIET, "frame", "started", "welcome")  # frames are kept in `self.frames` as they pass
    patience = 20.0

    def __init__(self, slug: str, cookie: str | None):
        super().__init__(slug, cookie)
        self.frames: list[dict] = []

    async def hello(self, scene_key: str = "play") -> dict:
        await self.send({"type": "hello", "scene_key": scene_key})
        return await self.expect("welcome")

    async def next_message(self, deadline: float) -> dict | None:
        message = await super().next_message(deadline)
        if message is not None and message["type"] == "frame":
            self.frames.append(message)
        return message

    async def keys(self, held: list[str], frame: int = 0, id: int = 0) -> None:  # noqa: A002
        await self.send({"type": "input", "frame": frame, "held": held, "presses": [], "id": id})


async def hosts_done() -> None:
    """The hosts of finished games wind down (their process stops) before the test's event loop ends."""
    for host in list(HOSTS.values()):
        await asyncio.wait_for(host.task, 60)  # a generous deadline


async def stop_hosts() -> None:
    """Games a test leaves running stop with it (each test's event loop ends with the test)."""
    for host in list(HOSTS.values()):
        host.stop()
        if host.task:
            await asyncio.wait_for(host.task, 60)  # a generous deadline (a stuck game's process is killed after 5 s)


def play_solo_game(slug: str = "server-solo") -> None:
    """One participant plays the study's one-player server game to its end, holding ArrowRight from frame 0."""
    cookie = participant_cookie(slug, "sam")

    async def scenario():
        async with PlayClient(slug, cookie) as browser:
            await browser.hello()
            await browser.expect("started")
            await browser.keys(["ArrowRight"], frame=0, id=1)
            await browser.expect("finished")
            await hosts_done()

    async_to_sync(scenario)()
