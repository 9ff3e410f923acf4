"""The waiting-room WebSocket: parses messages, calls `lobby`, sends what it returns. Pings while waiting."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from experiments.web import token_from_cookies
from matchmaking import lobby, protocol
from matchmaking.services import MatchmakingError

JOIN_LIMIT = 5  # joins per connection within JOIN_WINDOW_S; more are refused (a flooding client)
JOIN_WINDOW_S = 10.0
FINAL = {protocol.MATCHED_MESSAGE, protocol.TIMEOUT}


class WaitingRoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.entry_id: int | None = None
        self.ticker: asyncio.Task | None = None
        self.joins: deque[float] = deque()
        self.pings: dict[int, float] = {}
        self.last_state: dict | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.ticker:
            self.ticker.cancel()
        if self.entry_id is not None:
            await database_sync_to_async(lobby.room_leave)(entry_id=self.entry_id, channel_name=self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            await super().receive(text_data, bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self.error("messages must be JSON objects")

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        handler = {protocol.JOIN: self.on_join, protocol.PONG: self.on_pong, protocol.ACK: self.on_ack}.get(kind)
        if handler is None:
            await self.error(f"unknown message type {kind!r}")
            return
        await handler(content)

    async def on_join(self, content: dict) -> None:
        now = time.monotonic()
        while self.joins and now - self.joins[0] > JOIN_WINDOW_S:
            self.joins.popleft()
        if len(self.joins) >= JOIN_LIMIT:
            await self.error("too many join requests; wait a moment")
            return
        self.joins.append(now)
        scene_key = content.get("scene_key")
        if not isinstance(scene_key, str) or not scene_key:
            await self.error("join needs a scene_key")
            return
        token = token_from_cookies(self.scope.get("cookies", {}), self.slug)
        try:
            joined = await database_sync_to_async(lobby.room_join)(
                slug=self.slug, token=token, scene_key=scene_key, channel_name=self.channel_name
            )
        except MatchmakingError as error:
            await self.error(str(error))
            return
        if joined.previous_channel:
            await self.channel_layer.send(joined.previous_channel, {"type": protocol.SUPERSEDE_EVENT})
        self.entry_id = joined.entry_id
        if self.ticker is None:
            self.ticker = asyncio.create_task(self.tick_forever(joined.ping_interval_s))
        await self.step(match_now=True)

    async def on_pong(self, content: dict) -> None:
        sent = self.pings.pop(content.get("id"), None) if isinstance(content.get("id"), int) else None
        if self.entry_id is None or sent is None:
            return  # a stale or forged pong measures nothing
        rtt = (time.monotonic() - sent) * 1000
        await database_sync_to_async(lobby.room_pong)(
            entry_id=self.entry_id, channel_name=self.channel_name, rtt_ms=rtt
        )

    async def on_ack(self, content: dict) -> None:
        if self.entry_id is None or not isinstance(content.get("match"), int):
            await self.error("ack needs the match id, after joining")
            return
        notify = await database_sync_to_async(lobby.room_ack)(entry_id=self.entry_id, match_id=content["match"])
        await self.notify(notify)
        await self.step(match_now=False)

    async def tick_forever(self, interval: float) -> None:
        for number in range(1, 10**9):
            await asyncio.sleep(interval)
            self.pings = {k: v for k, v in self.pings.items() if k > number - 10}
            self.pings[number] = time.monotonic()
            await self.send_json({"type": protocol.PING, "id": number})
            with contextlib.suppress(Exception):  # a failed tick (e.g. database busy) is retried on the next
                await self.step(match_now=False)
            if self.last_state and self.last_state["type"] in FINAL:
                return

    async def step(self, match_now: bool) -> None:
        state, notify = await database_sync_to_async(lobby.room_step)(entry_id=self.entry_id, match_now=match_now)
        await self.notify([channel for channel in notify if channel != self.channel_name])
        if state != self.last_state or state["type"] == protocol.WAITING_MESSAGE:
            self.last_state = state
            await self.send_json(state)

    async def notify(self, channels: list[str]) -> None:
        for channel in set(channels):
            if channel:
                await self.channel_layer.send(channel, {"type": protocol.REFRESH_EVENT})

    async def room_refresh(self, event: dict) -> None:
        if self.entry_id is not None:
            await self.step(match_now=False)

    async def room_supersede(self, event: dict) -> None:
        self.entry_id = None  # the newer tab owns the entry now
        if self.ticker:
            self.ticker.cancel()
        await self.send_json({"type": protocol.SUPERSEDED})
        await self.close(code=4000)

    async def error(self, message: str) -> None:
        await self.send_json({"type": protocol.ERROR, "message": message})
