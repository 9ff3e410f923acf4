"""Waiting-room clients for the consumer tests: a participant's browser (cookie) on a Channels communicator."""

from __future__ import annotations

import asyncio
import json

from channels.testing import WebsocketCommunicator
from django.test import Client

from mugsite.asgi import application
from testkit.flowhelpers import enter, submit


def participant_cookie(slug: str, pid: str, walk: tuple[str, ...] = ()) -> str:
    """Enter the study as `pid`, submit the scenes in `walk`, return the signed participant cookie."""
    client = Client()
    enter(client, slug, PROLIFIC_PID=pid)
    for key in walk:
        submit(client, slug, key)
    return client.cookies[f"mug_{slug}"].value


class RoomClient:
    """One socket; answers pings (unless `silent`) and collects the other messages."""

    def __init__(self, slug: str, cookie: str | None, cookie_slug: str | None = None, silent: bool = False):
        headers = [(b"origin", b"http://127.0.0.1")]
        if cookie:
            headers.append((b"cookie", f"mug_{cookie_slug or slug}={cookie}".encode()))
        self.socket = WebsocketCommunicator(application, f"/x/{slug}/ws/room/", headers=headers)
        self.silent = silent

    async def __aenter__(self) -> RoomClient:
        connected, _ = await self.socket.connect()
        assert connected
        return self

    async def __aexit__(self, *exc) -> None:
        await self.socket.disconnect()

    async def send(self, message) -> None:
        await self.socket.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    async def join(self, scene_key: str = "pair") -> None:
        await self.send({"type": "join", "scene_key": scene_key})

    async def next_message(self, deadline: float) -> dict | None:
        """The next message before the deadline, or None. (A communicator whose receive times out cancels the
        consumer, so poll with receive_nothing instead.)"""
        while asyncio.get_running_loop().time() < deadline:
            if not await self.socket.receive_nothing(timeout=0.02, interval=0.005):
                return json.loads(await self.socket.receive_from())
        return None

    async def expect(self, kind: str, timeout: float = 30.0) -> dict:
        """The next message of this type; pings are answered on the way, waiting updates skipped (a generous
        deadline: a busy machine answers late, not never)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = await self.next_message(deadline)
            assert message is not None, f"no {kind!r} message within {timeout} s"
            if message["type"] == kind:
                return message
            if message["type"] == "ping" and not self.silent:
                await self.send({"type": "pong", "id": message["id"]})
            elif message["type"] not in ("ping", "waiting"):
                raise AssertionError(f"expected {kind!r}, got {message}")

    async def idle(self, seconds: float) -> list[dict]:
        """Keep answering pings for a while; returns the messages other than pings."""
        seen = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (message := await self.next_message(deadline)) is not None:
            if message["type"] == "ping":
                if not self.silent:
                    await self.send({"type": "pong", "id": message["id"]})
            else:
                seen.append(message)
        return seen
