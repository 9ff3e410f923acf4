"""What every game socket does with a message before its own handlers: JSON only, a flood limit, dispatch by type,
hello first, and refusals sent back as errors (with a logged reason); and, once seated, it times round trips
itself (a probe every 2 s) and keeps them on the seat with the browser's own play figures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.consumer import get_handler_name
from django.conf import settings
from django.db import DatabaseError

from experiments.definition.errors import ApplicationError
from experiments.flow.jsonbody import message_type
from experiments.flow.sockets import CLOSE_MOVED, StrictJsonConsumer, db
from matchmaking.placement import Placement
from netcode.handlers import game_placement
from netcode.measure import game_seat_measure
from netcode.protocol import ERROR, HELLO, MOVED, PING, PROBE

logger = logging.getLogger(__name__)
PROBE_EVERY_S = 2.0
PROBES_OUTSTANDING = 10  # a round trip longer than 20 s is never timed (the dropout rules have acted by then)
SAMPLES_KEPT = 5  # the seat's round trip is the median of the last five


class SeatSocket(StrictJsonConsumer):
    messages_per_s = 150  # more in one second is a flood: the rest of that second is ignored
    open_types: tuple[str, ...] = (HELLO, PING)  # accepted before the socket has a seat
    seat = None

    prober: asyncio.Task | None = None

    def handlers(self) -> dict[str, Callable[[dict], Awaitable[None]]]:
        raise NotImplementedError

    async def placed_here(self, token: str | None, scene_key: str, down: object) -> Placement | None:
        """Where this participant's game sockets belong (matchmaking/placement.py); None once the client was sent
        to the game's host."""
        place = await db(game_placement)(slug=self.slug, token=token, scene_key=scene_key, down=down)
        if place.moved_to:
            await self.move_to(place.moved_to)
            return None
        return place

    async def move_to(self, host: str) -> None:
        """The game's sockets belong on `host`: tell the client and close (a socket already there stays)."""
        if host != settings.MUG_WORKER_NAME:
            await self.send_json({"type": MOVED, "host": host})
            await self.close(code=CLOSE_MOVED)

    async def dispatch(self, message) -> None:
        # Channels first runs close_old_connections() through the one database thread before every handler: ~30
        # times a second per player here, queued behind the database work (and with CONN_MAX_AGE=0 it reconnects
        # each time). Database work goes through db(), which drops a broken connection itself, so it is skipped.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def seat_pk(self) -> int:
        raise NotImplementedError

    def identified(self) -> bool:
        return self.seat is not None

    async def receive_json(self, content, **kwargs) -> None:
        kind = message_type(content)
        handler = {PROBE: self.on_probe, **self.handlers()}.get(kind)
        if handler is None:
            await self.error(f"unknown message type {kind!r}")
        elif kind not in self.open_types and self.seat is None:
            await self.error("say hello first")
        else:
            try:
                await handler(content)
                if self.seat is not None and self.prober is None:
                    self.prober = asyncio.create_task(self.probe_forever())
            except ApplicationError as error:
                logger.info("%s message refused (%s): %s", type(self).__name__, kind, error)
                await self.error(str(error))
            except DatabaseError as error:  # e.g. a locked or restarting database: the client's resend repairs it
                logger.warning("%s message not handled (%s): %s", type(self).__name__, kind, error)
                await self.error("the server is busy; try again")

    async def error(self, message: str) -> None:
        await self.send_json({"type": ERROR, "message": message})

    async def probe_forever(self) -> None:
        self.probes: dict[int, float] = {}
        self.rtt_samples: list[float] = []
        for number in range(1, 10**9):
            self.probes = {k: v for k, v in self.probes.items() if k > number - PROBES_OUTSTANDING}
            self.probes[number] = self.clock()
            await self.send_json({"type": PROBE, "id": number})
            await asyncio.sleep(PROBE_EVERY_S)

    async def on_probe(self, content: dict) -> None:
        number = content.get("id")
        sent = getattr(self, "probes", {}).pop(number, None) if isinstance(number, int) else None
        if sent is None or self.seat is None:
            return  # a stale, repeated or forged answer times nothing
        self.rtt_samples = [*self.rtt_samples[-(SAMPLES_KEPT - 1) :], (self.clock() - sent) * 1000]
        await db(game_seat_measure)(
            seat_id=self.seat_pk(),
            channel_name=self.channel_name,
            rtt_samples=self.rtt_samples,
            stats=content.get("stats"),
        )

    async def websocket_disconnect(self, message) -> None:
        if self.prober:
            self.prober.cancel()
        await super().websocket_disconnect(message)
