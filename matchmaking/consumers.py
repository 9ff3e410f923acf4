"""The waiting-room WebSocket: parses messages, calls `lobby`, sends what it returns. Pings while waiting."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque

from asgiref.sync import sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError, connection

from experiments.jsonbody import message_type, parse_json
from experiments.web import token_from_cookies
from matchmaking import lobby, protocol
from matchmaking.services import MatchmakingError

JOIN_LIMIT = 5  # joins per connection within JOIN_WINDOW_S; more are refused (a flooding client)
JOIN_WINDOW_S = 10.0
FINAL = {protocol.MATCHED_MESSAGE, protocol.TIMEOUT}
SWEEP_EVERY_S = 0.5  # per process and room: how often one of its consumers sweeps and matches
STATE_EVERY = 3  # ticks between re-reads of the entry's state (the net under lost notifications)
PRESENCE_EVERY = 2  # ticks between presence writes

CLOSE_UNIDENTIFIED, CLOSE_IDLE, CLOSE_FLOOD = 4001, 4002, 4008  # close codes: no hello/join in time, silent, flood
logger = logging.getLogger(__name__)

# This process's open participant sockets per client address and per participant cookie (the caps are per process).
_open: Counter = Counter()

# When this process last swept each room: the other consumers of the room skip their sweep meanwhile.
_last_sweep: dict[int, float] = {}


def db(function):
    """Database work on the process's one sync thread, its connection kept open across calls (reconnecting for
    every call costs more than the queries); a broken connection is dropped so that the next call reconnects."""

    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DatabaseError:
            connection.close()
            raise

    return sync_to_async(call, thread_sensitive=True)


class StrictJsonConsumer(AsyncJsonWebsocketConsumer):
    """A participant's socket. It takes JSON objects only, parsed strictly (experiments/jsonbody.py: no NaN, no
    nesting past 64, no unstorable text); anything else is answered with an error, never a crash of the socket. It
    is refused while its address or cookie has its cap of sockets open in this process, closed if it does not
    identify (hello/join) within MUG_WS_IDENTIFY_S or then sends nothing for MUG_WS_IDLE_S, and, with a flood
    limit, ignores messages past `messages_per_s` a second (invalid ones count) and closes on a flood of invalid
    ones."""

    messages_per_s: int | None = None  # None: no flood limit
    clock = staticmethod(time.monotonic)  # flood-limit seconds, a seat's round trips (tests inject a clock)
    counted: tuple = ()
    guard: asyncio.Task | None = None

    def identified(self) -> bool:
        raise NotImplementedError

    async def websocket_connect(self, message) -> None:
        keys = self.cap_keys()
        full = [key for key, cap in keys if _open[key] >= cap]
        if full:
            logger.info("%s refused: %s has its cap of sockets open", type(self).__name__, full[0][0])
            self.refused = True
            await self.close()  # before the handshake completes: the client gets HTTP 403
            return
        self.counted = tuple(key for key, _ in keys)
        _open.update(self.counted)
        self.heard_at = time.monotonic()
        self.guard = asyncio.create_task(self.guard_forever())
        await super().websocket_connect(message)

    def cap_keys(self) -> list[tuple[tuple, int]]:
        """What this socket counts against: its client address and the participant cookie it presents (unverified
        here: a forged one is just another cookie, and the address cap bounds those)."""
        keys = []
        client = self.scope.get("client")
        if client:
            keys.append((("address", client[0]), settings.MUG_WS_PER_ADDRESS))
        slug = self.scope.get("url_route", {}).get("kwargs", {}).get("slug")
        token = token_from_cookies(self.scope.get("cookies", {}), slug) if slug else None
        if token:
            keys.append((("participant", slug, token), settings.MUG_WS_PER_PARTICIPANT))
        return keys

    async def websocket_disconnect(self, message) -> None:
        if getattr(self, "refused", False):
            raise StopConsumer  # never connected: nothing of its own to clean up
        _open.subtract(self.counted)
        for key in self.counted:
            if _open[key] <= 0:
                del _open[key]
        self.counted = ()
        if self.guard is not None:
            self.guard.cancel()
        await super().websocket_disconnect(message)

    async def guard_forever(self) -> None:
        """Close the socket if it has not identified in time, and later once it has been silent too long."""
        await asyncio.sleep(settings.MUG_WS_IDENTIFY_S)
        if not self.identified():
            logger.info("%s closed: no hello within %s s", type(self).__name__, settings.MUG_WS_IDENTIFY_S)
            await self.close(code=CLOSE_UNIDENTIFIED)
            return
        for _ in range(10**9):
            silent = time.monotonic() - self.heard_at
            if silent >= settings.MUG_WS_IDLE_S:
                logger.info("%s closed: silent for %s s", type(self).__name__, settings.MUG_WS_IDLE_S)
                await self.close(code=CLOSE_IDLE)
                return
            await asyncio.sleep(settings.MUG_WS_IDLE_S - silent)

    @classmethod
    async def decode_json(cls, text_data):
        return parse_json(text_data)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        self.heard_at = time.monotonic()
        if self.flooding():
            return
        try:
            content = await self.decode_json(text_data) if text_data is not None else None
        except ValueError:  # not JSON (BadJson is a ValueError)
            content = None
        if content is None:  # binary, or not JSON: said, and the socket goes on (unless it floods with them)
            if self.invalid_flooding():
                logger.info("%s closed: a flood of messages that are not JSON", type(self).__name__)
                await self.close(code=CLOSE_FLOOD)
                return
            await self.error("messages must be JSON objects")
            return
        try:
            await self.receive_json(content)
        except ValueError:
            await self.error("messages must be JSON objects")

    def flooding(self) -> bool:
        if self.messages_per_s is None:
            return False
        now = self.clock()
        if now - getattr(self, "window_start", 0.0) >= 1.0:
            self.window_start, self.count, self.invalid = now, 0, 0
        self.count += 1
        if self.count == self.messages_per_s + 1:
            logger.info("%s flooded: over %s messages in a second (ignored)", type(self).__name__, self.messages_per_s)
        return self.count > self.messages_per_s

    def invalid_flooding(self) -> bool:
        """More invalid messages in this second than a tenth of the flood limit (an honest browser sends none)."""
        if self.messages_per_s is None:
            return False
        self.invalid += 1
        return self.invalid > self.messages_per_s // 10

    async def error(self, message: str) -> None:
        raise NotImplementedError


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
            await db(lobby.room_leave)(entry_id=self.entry_id, channel_name=self.channel_name)

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
            joined, state, notify = await db(lobby.room_enter)(
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
        await db(lobby.room_pong)(entry_id=self.entry_id, channel_name=self.channel_name, rtt_ms=rtt)

    async def on_ack(self, content: dict) -> None:
        match = content.get("match")
        if self.entry_id is None or not isinstance(match, int) or isinstance(match, bool) or not 0 < match < 2**63:
            await self.error("ack needs the match id, after joining")
            return
        notify, state = await db(lobby.room_ack)(entry_id=self.entry_id, match_id=content["match"])
        await self.notify(notify)
        await self.tell(state)

    async def tick_forever(self) -> None:
        for number in range(1, 10**9):
            await asyncio.sleep(self.interval)
            self.pings = {k: v for k, v in self.pings.items() if k > number - 10}
            self.pings[number] = time.monotonic()
            await self.send_json({"type": protocol.PING, "id": number})
            with contextlib.suppress(Exception):  # a failed tick (e.g. database busy) is retried on the next
                if time.monotonic() - _last_sweep.get(self.room_id, 0.0) >= SWEEP_EVERY_S:
                    _last_sweep[self.room_id] = time.monotonic()
                    await self.step(match_now=False)
                elif number % STATE_EVERY == 0:
                    await self.refresh()
            if self.last_state and self.last_state["type"] in FINAL:
                return

    async def step(self, match_now: bool) -> None:
        """Sweep and match (this process's turn for the room, or an arrival), then tell the client."""
        state, notify = await db(lobby.room_step)(entry_id=self.entry_id, match_now=match_now)
        await self.notify(notify)
        await self.tell(state)

    async def refresh(self) -> None:
        await self.tell(await db(lobby.room_state)(entry_id=self.entry_id))

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
