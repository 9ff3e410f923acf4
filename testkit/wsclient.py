"""A waiting-room client over a real WebSocket (the `websockets` library), for tests and benchmarks against
Daphne processes: sends the participant cookie, answers pings, confirms groups on request."""

from __future__ import annotations

import asyncio
import json

import websockets


class WsRoomClient:
    def __init__(self, base_url: str, slug: str, cookie: str) -> None:
        self.url = base_url.replace("http://", "ws://") + f"/x/{slug}/ws/room/"
        self.origin = base_url
        self.cookie = f"mug_{slug}={cookie}"
        self.socket = None

    async def connect(self, base_url: str | None = None) -> WsRoomClient:
        if base_url:  # e.g. another process after this one's died
            self.url = base_url.replace("http://", "ws://") + self.url[self.url.index("/x/") :]
            self.origin = base_url
        headers = {"Cookie": self.cookie, "Origin": self.origin}
        self.socket = await websockets.connect(self.url, additional_headers=headers, open_timeout=10)
        return self

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def join(self, scene_key: str = "pair") -> None:
        await self.socket.send(json.dumps({"type": "join", "scene_key": scene_key}))

    async def expect(self, kind: str, timeout: float = 30.0, ack: bool = False) -> dict:
        """The next message of this type; answers pings; confirms a proposed group if `ack`."""
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await self.socket.recv())
                if message["type"] == kind:
                    return message
                if message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong", "id": message["id"]}))
                elif message["type"] == "confirm" and ack:
                    await self.socket.send(json.dumps({"type": "ack", "match": message["match"]}))
                elif message["type"] not in ("waiting", "confirm"):
                    raise AssertionError(f"expected {kind!r}, got {message}")


async def match_group(
    members: list[tuple[str, str]], slug: str, scene_key: str = "pair", timeout: float = 60.0
) -> list[dict]:
    """Seat (base_url, cookie) members in one group: each joins right after its own connect (the server closes a
    socket silent for MUG_WS_IDENTIFY_S, and on a busy machine the next connect alone can take that long), all
    confirm, the rooms close. Returns each member's `matched` message."""
    rooms: list[WsRoomClient] = []
    try:
        for base_url, cookie in members:
            room = await WsRoomClient(base_url, slug, cookie).connect()
            rooms.append(room)
            await room.join(scene_key)
        return list(await asyncio.gather(*(room.expect("matched", timeout=timeout, ack=True) for room in rooms)))
    finally:
        for room in rooms:
            await room.close()
