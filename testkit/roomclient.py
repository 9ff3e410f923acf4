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
    """One socket to /x/<slug>/ws/<route>/; answers pings (unless `silent`) and collects the other messages."""

    route = "room"
    # What `expect` passes over on its way to the message it waits for (anything else fails the test).
    skipped: tuple[str, ...] = ("ping", "waiting")
    patience = 30.0  # seconds: a generous deadline (a busy machine answers late, not never)

    def __init__(self, slug: str, cookie: str | None, cookie_slug: str | None = None, silent: bool = False):
        headers = [(b"origin", b"http://127.0.0.1")]
        if cookie:
            headers.append((b"cookie", f"mug_{cookie_slug or slug}={cookie}".encode()))
        self.socket = WebsocketCommunicator(application, f"/x/{slug}/ws/{self.route}/", headers=headers)
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

    async def expect(self, kind: str, timeout: float | None = None) -> dict:
        """The next message of this type, passing over the `skipped` kinds."""
        return (await self.expect_all(kind, timeout=timeout))[kind]

    async def expect_all(self, *kinds: str, timeout: float | None = None) -> dict[str, dict]:
        """The first message of each of these types, in whatever order they come (e.g. a partner's inputs and
        this seat's own ack race each other)."""
        timeout = self.patience if timeout is None else timeout
        deadline = asyncio.get_running_loop().time() + timeout
        got: dict[str, dict] = {}
        while len(got) < len(kinds):
            message = await self.next_message(deadline)
            assert message is not None, f"no {sorted(set(kinds) - set(got))} message within {timeout} s"
            if message["type"] in kinds:
                got.setdefault(message["type"], message)
            elif message["type"] in self.skipped:
                await self.passed_over(message)
            else:
                raise AssertionError(f"expected {kinds}, got {message}")
        return got

    async def passed_over(self, message: dict) -> None:
        """A skipped message: pings are answered (unless `silent`)."""
        if message["type"] == "ping" and not self.silent:
            await self.send({"type": "pong", "id": message["id"]})

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
