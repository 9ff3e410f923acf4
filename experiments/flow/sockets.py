"""What every participant socket shares: the strict JSON base class with its caps, identify and idle deadlines and
flood limit; database calls from async code; and the socket routes (every one under /x/<slug>/, so that the browser
sends the participant's cookie with the upgrade request)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter

from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError, connection

from experiments.flow.errors import socket_reply
from experiments.flow.identity import token_from_cookies
from experiments.flow.jsonbody import BadJson, parse_json

ROOM_ROUTE = "x/<slug:slug>/ws/room/"  # waiting rooms (matchmaking)
GAME_ROUTE = "x/<slug:slug>/ws/game/"  # the rollback relay (netcode)
SERVER_GAME_ROUTE = "x/<slug:slug>/ws/play/"  # server-side games (netcode.server)
LIVE_ROUTE = "admin/live/ws/"  # the staff's live monitor (experiments.control)

CLOSE_UNIDENTIFIED, CLOSE_IDLE, CLOSE_FLOOD = 4001, 4002, 4008  # close codes: no hello/join in time, silent, flood
CLOSE_MOVED = 4009  # the game's sockets belong on another process (the client was told which)
logger = logging.getLogger(__name__)

# This process's open participant sockets per client address and per participant cookie (the caps are per process).
_open: Counter = Counter()
# What a send to a socket whose close is under way raises: Daphne's (autobahn's) Disconnected, from the close (the
# browser's close frame, or the consumer's own close) until Daphne has seen the connection go (it drops sends itself
# after that; a busy server's outgoing backlog makes that a while); an OSError from servers that follow ASGI 2.4.
CLOSING = (Disconnected, OSError)


def socket_path(route: str, slug: str) -> str:
    """The URL path of a participant socket route for one experiment."""
    return "/" + route.replace("<slug:slug>", slug)


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
    """A participant's socket. It takes JSON objects only, parsed strictly (experiments/flow/jsonbody.py: no NaN, no
    nesting past 64, no unstorable text); anything else is answered with an error, never a crash of the socket, and
    a reply to a socket whose close is under way is dropped (its disconnect still runs). It is refused while its
    address or cookie has its cap of sockets open in this process, closed if it does not identify (hello/join)
    within MUG_WS_IDENTIFY_S (a hello that arrived in time is answered first, however long that takes) or then sends
    nothing for MUG_WS_IDLE_S, and, with a flood limit, ignores messages past `messages_per_s` a second (invalid
    ones count) and closes on a flood of invalid ones."""

    messages_per_s: int | None = None  # None: no flood limit
    clock = staticmethod(time.monotonic)  # flood-limit seconds, a seat's round trips (tests inject a clock)
    counted: tuple = ()
    guard: asyncio.Task | None = None
    introducing = 0  # messages of a socket not yet identified that are being answered now (a hello, a join)

    def identified(self) -> bool:
        raise NotImplementedError

    async def __call__(self, scope, receive, send) -> None:
        async def send_unless_closing(message) -> None:
            # Nothing reaches a closing socket; its disconnect is still to come, and must run (it frees the seat or
            # room entry, the caps and the tasks): a send that raised ended the consumer without it.
            with contextlib.suppress(*CLOSING):
                await send(message)

        await super().__call__(scope, receive, send_unless_closing)

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
        while self.introducing and not self.identified():  # it spoke in time; a busy server is still answering
            await asyncio.sleep(0.05)
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
        except BadJson:
            content = None
        if content is None:  # binary, or not JSON: said, and the socket goes on (unless it floods with them)
            if self.invalid_flooding():
                logger.info("%s closed: a flood of messages that are not JSON", type(self).__name__)
                await self.close(code=CLOSE_FLOOD)
                return
            await self.error("messages must be JSON objects")
            return
        introducing = not self.identified()
        self.introducing += introducing
        try:
            await self.receive_json(content)
        except StopConsumer:  # the consumer is closing: not an error of the message
            raise
        except Exception as error:  # a refusal is the client's to read; anything else is a bug, logged there
            await self.error(socket_reply(error))
        finally:
            self.introducing -= introducing

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
