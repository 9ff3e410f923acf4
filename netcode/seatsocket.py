"""What every game socket does with a message before its own handlers: JSON only, a flood limit, dispatch by type,
hello first, and refusals sent back as errors (with a logged reason)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import DatabaseError

from netcode.inputlog import InputRefused
from netcode.protocol import ERROR, HELLO, PING
from netcode.services import GameRefused

logger = logging.getLogger(__name__)


class SeatSocket(AsyncJsonWebsocketConsumer):
    messages_per_s = 150  # more in one second is a flood: the rest of that second is ignored
    open_types: tuple[str, ...] = (HELLO, PING)  # accepted before the socket has a seat
    seat = None

    def handlers(self) -> dict[str, Callable[[dict], Awaitable[None]]]:
        raise NotImplementedError

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            await super().receive(text_data, bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self.error("messages must be JSON objects")

    async def receive_json(self, content, **kwargs) -> None:
        if self.flooding():
            return
        kind = content.get("type") if isinstance(content, dict) else None
        handler = self.handlers().get(kind)
        if handler is None:
            await self.error(f"unknown message type {kind!r}")
        elif kind not in self.open_types and self.seat is None:
            await self.error("say hello first")
        else:
            try:
                await handler(content)
            except (InputRefused, GameRefused) as error:
                logger.info("%s message refused (%s): %s", type(self).__name__, kind, error)
                await self.error(str(error))
            except DatabaseError as error:  # e.g. a locked or restarting database: the client's resend repairs it
                logger.warning("%s message not handled (%s): %s", type(self).__name__, kind, error)
                await self.error("the server is busy; try again")

    def flooding(self) -> bool:
        now = time.monotonic()
        if now - getattr(self, "window_start", 0.0) >= 1.0:
            self.window_start, self.count = now, 0
        self.count += 1
        if self.count == self.messages_per_s + 1:
            logger.info("%s flooded: over %s messages in a second (ignored)", type(self).__name__, self.messages_per_s)
        return self.count > self.messages_per_s

    async def error(self, message: str) -> None:
        await self.send_json({"type": ERROR, "message": message})
