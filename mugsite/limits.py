"""An ASGI wrapper that bounds how many HTTP requests Django works on at once in this process; the rest queue."""

# Django's own ASGI handler runs each request's sync code on a new thread with its own database connection; under a
# burst hundreds of threads shared one core's GIL and fought for the database (SQLite "database is locked",
# PostgreSQL out of connections). In front of mugsite/httpbridge.py, whose fixed pool already bounds this, the
# limit only decides where the excess waits (here, in the event loop). A request takes a slot only once its body
# has arrived (a slow upload holds none) and gives it back when its response is done; a streamed response (an
# export) gives it back as soon as it starts streaming, so a long download never blocks participants.

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class HttpConcurrencyLimit:
    """Lets at most `limit` HTTP requests into `app` at a time (0: no limit); WebSockets pass straight through."""

    def __init__(self, app, limit: int, body_buffer_bytes: int = 4_000_000) -> None:
        self.app, self.limit, self.body_buffer_bytes = app, limit, body_buffer_bytes
        self._slots: asyncio.Semaphore | None = None  # made in the serving event loop, on first use
        self.in_app = 0  # requests holding a slot now (for tests and the curious)
        self.waiting = 0

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        return self._slots

    async def __call__(self, scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        early = await self._read_body(receive)
        if early and early[-1]["type"] == "http.disconnect":
            return  # the client left while sending: nobody is waiting for an answer
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        slot = _Slot(self)
        try:
            await self.app(scope, _replaying(early, receive), slot.watch(send))
        finally:
            slot.give_back()

    async def _read_body(self, receive: Receive) -> list[Message]:
        """The request's messages up to its whole body, a disconnect, or the buffer size (the app reads the rest)."""
        messages, size = [], 0
        while size <= self.body_buffer_bytes:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
            size += len(message.get("body", b""))
        return messages


class _Slot:
    """One request's hold on a slot, given back once: when the app returns or its response starts streaming."""

    def __init__(self, limit: HttpConcurrencyLimit) -> None:
        self.limit, self.held = limit, True
        limit.in_app += 1

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.limit.in_app -= 1
            self.limit.slots.release()

    def watch(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and message.get("more_body", False):
                self.give_back()  # a streamed response: the view is done, the rest trickles out

        return sending


def _replaying(early: list[Message], receive: Receive) -> Receive:
    """A receive that gives the already-read messages first, then the real ones."""
    pending = list(early)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
