"""The waiting-room WebSocket: parses messages, calls `lobby`, sends what it returns. Pings while waiting."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from experiments.flow.identity import token_from_cookies
from experiments.flow.jsonbody import message_type
from experiments.flow.sockets import StrictJsonConsumer, db
from matchmaking import handlers, protocol
from matchmaking.services import MatchmakingError

JOIN_LIMIT = 5  # joins per connection within JOIN_WINDOW_S; more are refused (a flooding client)
JOIN_WINDOW_S = 10.0
FINAL = {protocol.MATCHED_MESSAGE, protocol.TIMEOUT}
SWEEP_EVERY_S = 0.5  # per process and room: how often one of its consumers sweeps and matches
STATE_EVERY = 3  # ticks between re-reads of the entry's state (the net under lost notifications)
PRESENCE_EVERY = 2  # ticks between presence writes

logger = logging.getLogger(__name__)

# When this process last swept each room: the other consumers of the room skip their sweep meanwhile.
_last_sweep: dict[int, float] = {}


class WaitingRoomConsumer(StrictJsonConsumer):
    def identified(self) -> bool:
        return self.entry_id is not None

    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.entry_id: int | None = None
        self.ticker: asyncio.Task | None = None
        self.joins: deque[float] = deque()
        self.pings: dict[int, float] = {}
        self.rtts: list[float] = []
        self.presence_written = 0.0
        self.room_id: int | None = None
        self.interval = 1.0
        self.last_state: dict | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.ticker:
            self.ticker.cancel()
        if self.entry_id is not None:
            await db(handlers.room_leave)(entry_id=self.entry_id, channel_name=self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        kind = message_type(content)
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
            joined, state, notify = await db(handlers.room_enter)(
                slug=self.slug, token=token, scene_key=scene_key, channel_name=self.channel_name
            )
        except MatchmakingError as error:
            await self.error(str(error))
            return
        if joined.previous_channel:
            await self.channel_layer.send(joined.previous_channel, {"type": protocol.SUPERSEDE_EVENT})
        self.entry_id, self.room_id, self.interval = joined.entry_id, joined.room_id, joined.ping_interval_s
        self.presence_written = time.monotonic()
        if self.ticker is None:
            self.ticker = asyncio.create_task(self.tick_forever())
        await self.notify(notify)
        await self.tell(state)

    async def on_pong(self, content: dict) -> None:
        sent = self.pings.pop(content.get("id"), None) if isinstance(content.get("id"), int) else None
        if self.entry_id is None or sent is None:
            return  # a stale or forged pong measures nothing
        rtt = (time.monotonic() - sent) * 1000
        await db(handlers.room_pong)(entry_id=self.entry_id, channel_name=self.channel_name, rtt_ms=rtt)

    async def on_ack(self, content: dict) -> None:
        match = content.get("match")
        if self.entry_id is None or not isinstance(match, int) or isinstance(match, bool) or not 0 < match < 2**63:
            await self.error("ack needs the match id, after joining")
            return
        notify, state = await db(handlers.room_ack)(entry_id=self.entry_id, match_id=content["match"])
        await self.notify(notify)
        await self.tell(state)

    async def tick_forever(self) -> None:
        for number in range(1, 10**9):
            await asyncio.sleep(self.interval)
            self.pings = {k: v for k, v in self.pings.items() if k > number - 10}
            self.pings[number] = time.monotonic()
            await self.send_json({"type": protocol.PING, "id": number})
            try:
                if time.monotonic() - _last_sweep.get(self.room_id, 0.0) >= SWEEP_EVERY_S:
                    _last_sweep[self.room_id] = time.monotonic()
                    await self.step(match_now=False)
                elif number % STATE_EVERY == 0:
                    await self.refresh()
            except Exception:  # e.g. the database busy: logged, and the next tick tries again
                logger.exception("waiting room %s: tick failed", self.room_id)
            if self.last_state and self.last_state["type"] in FINAL:
                return

    async def step(self, match_now: bool) -> None:
        """Sweep and match (this process's turn for the room, or an arrival), then tell the client."""
        state, notify = await db(handlers.room_step)(entry_id=self.entry_id, match_now=match_now)
        await self.notify(notify)
        await self.tell(state)

    async def refresh(self) -> None:
        await self.tell(await db(handlers.room_state)(entry_id=self.entry_id))

    async def tell(self, state: dict) -> None:
        if state != self.last_state or state["type"] == protocol.WAITING_MESSAGE:
            self.last_state = state
            await self.send_json(state)

    async def notify(self, notices: list[tuple[str, dict]]) -> None:
        """Tell the other members' sockets (on whatever process) what they should show now."""
        for channel, state in notices:
            if channel and channel != self.channel_name:
                await self.channel_layer.send(channel, {"type": protocol.REFRESH_EVENT, "state": state})

    async def room_refresh(self, event: dict) -> None:
        if self.entry_id is None:
            return
        if isinstance(event.get("state"), dict):
            await self.tell(event["state"])
        else:
            await self.refresh()

    async def room_supersede(self, event: dict) -> None:
        self.entry_id = None  # the newer tab owns the entry now
        if self.ticker:
            self.ticker.cancel()
        await self.send_json({"type": protocol.SUPERSEDED})
        await self.close(code=4000)

    async def error(self, message: str) -> None:
        await self.send_json({"type": protocol.ERROR, "message": message})
