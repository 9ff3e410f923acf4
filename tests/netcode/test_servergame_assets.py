"""Server-side games: the welcome carries the env's assets even when the player joins before the game process has
reported them (before, the page drew every sprite as a missing texture until a reload)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync

from netcode.server.host import HOSTS
from testkit.envs.sprites import BADGE_URL
from testkit.roomclient import RoomClient, participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)
BADGE = {"name": "badge", "kind": "image", "url": BADGE_URL}


class PlayClient(RoomClient):
    """One browser's socket to /x/<slug>/ws/play/."""

    route = "play"

    async def first(self, *kinds: str, timeout: float = 30.0) -> dict:
        """The first message of one of these types (presence, pings and the like skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = await self.next_message(deadline)
            assert message is not None, f"no {kinds} message within {timeout} s"
            if message["type"] in kinds:
                return message


async def stop_hosts() -> None:
    for host in list(HOSTS.values()):
        host.stop()
        if host.task:
            await asyncio.wait_for(host.task, 60)  # a generous deadline


def test_the_first_welcome_of_a_new_game_carries_every_asset():
    cookie = participant_cookie("server-sprites", "ada")

    async def scenario():
        try:
            async with PlayClient("server-sprites", cookie) as browser:
                # The hello starts the game process; its env is built (and its assets known) a while later.
                await browser.send({"type": "hello", "scene_key": "play"})
                welcome = await browser.first("welcome")
                started = await browser.first("started")
                frame = await browser.first("frame")
                return welcome, started, frame
        finally:
            await stop_hosts()

    welcome, started, frame = async_to_sync(scenario)()
    assert welcome["assets"] == [BADGE]
    assert started["assets"] == [BADGE]
    assert any(obj["id"] == "badge" and obj["image"] == "badge" for obj in started["render"]["objects"])
    assert frame["episode"] == 0


def test_a_repaint_asked_for_mid_game_also_carries_the_assets():
    cookie = participant_cookie("server-sprites", "bea")

    async def scenario():
        try:
            async with PlayClient("server-sprites", cookie) as browser:
                await browser.send({"type": "hello", "scene_key": "play"})
                await browser.first("frame")
                await browser.send({"type": "repaint"})
                return await browser.first("welcome")
        finally:
            await stop_hosts()

    again = async_to_sync(scenario)()
    assert again["assets"] == [BADGE] and any(obj["id"] == "badge" for obj in again["render"]["objects"])
