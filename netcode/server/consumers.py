"""The socket of a server-side game: parses the browser's messages, forwards keys to the game's host, and sends
the host's frames (the host may run in another process; the channel layer carries both ways)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from channels.exceptions import ChannelFull
from django.conf import settings
from django.db import DatabaseError

from experiments.flow.identity import token_from_cookies
from experiments.flow.sockets import db
from netcode import services as seats
from netcode.input_rules import InputRefused
from netcode.seatsocket import SeatSocket
from netcode.server import handlers, protocol, services
from netcode.server.host import HOSTS, host_ensure

logger = logging.getLogger(__name__)
MESSAGES_PER_S = 120  # a browser sends a few inputs per key change and a ping a second; more is a flood
HOST_CHECK_S = 2.0  # how often a socket checks that its game has a live host (and becomes it if not)
SEEN_EVERY_S = 0.9
INPUT_FIELDS = ("frame", "held", "presses", "id")


class ServerGameConsumer(SeatSocket):
    messages_per_s = MESSAGES_PER_S

    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.seat: dict | None = None
        self.host = ""
        self.busy_since: float | None = None
        self.watcher: asyncio.Task | None = None
        self.seen_at = 0.0
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.watcher:
            self.watcher.cancel()
        if self.seat is not None:
            await self.channel_layer.group_discard(protocol.group_name(self.seat["game_id"]), self.channel_name)
            message = await db(seats.game_disconnect)(seat_id=self.seat["seat_id"], channel_name=self.channel_name)
            if message:
                await self.broadcast({"type": protocol.PLAYER, "player": self.seat["agent"], "state": "away"})
                await self.to_host(protocol.HOST_PRESENCE, state="away")

    def seat_pk(self) -> int:
        return self.seat["seat_id"]

    def handlers(self):
        return {
            protocol.HELLO: self.on_hello,
            protocol.INPUT: self.on_input,
            protocol.PRESENCE: self.on_presence,
            protocol.PING: self.on_ping,
            protocol.REPAINT: self.on_repaint,
        }

    async def on_hello(self, content: dict) -> None:
        scene_key = content.get("scene_key")
        if self.seat is not None or not isinstance(scene_key, str):
            raise InputRefused("hello needs a scene_key (once)")
        token = token_from_cookies(self.scope.get("cookies", {}), self.slug)
        place = await self.placed_here(token, scene_key, content.get("down"))
        if place is None:
            return
        seat = await db(handlers.server_join)(
            slug=self.slug, token=token, scene_key=scene_key, channel_name=self.channel_name
        )
        if seat["previous"] and seat["previous"] != self.channel_name:
            await self.channel_layer.send(seat["previous"], {"type": protocol.SUPERSEDE_EVENT})
        self.seat = seat
        await self.channel_layer.group_add(protocol.group_name(seat["game_id"]), self.channel_name)
        await self.find_host()
        await self.to_host(protocol.HOST_JOIN, reply=self.channel_name)
        await self.to_host(protocol.HOST_PRESENCE, state="here")
        await self.broadcast({"type": protocol.PLAYER, "player": seat["agent"], "state": "here"})
        if place.claimed:  # the game's process was unreachable and this one took it: sockets elsewhere come here
            await self.broadcast({"type": protocol.MOVED, "host": settings.MUG_WORKER_NAME})
        self.watcher = asyncio.create_task(self.watch_host())

    async def find_host(self) -> None:
        game_id = self.seat["game_id"]
        slot_free = await host_ensure(game_id)
        here = HOSTS.get(game_id)  # hosted by this process (maybe still starting its game process, not beating yet)
        self.host = here.channel if here else await db(services.server_host_of)(game_id=game_id)
        if self.host:
            self.busy_since = None
        elif not slot_free and self.busy_since is None:  # no game process slot on this machine: the page says so
            self.busy_since = time.monotonic()
            await self.send_json({"type": protocol.BUSY})

    async def watch_host(self) -> None:
        """A host that stopped beating (its process died, or it left an empty game) is replaced from here; a game
        waiting for a free slot starts from here as soon as one frees, or ends after MUG_SERVER_GAME_WAIT_S."""
        for _ in range(10**9):
            await asyncio.sleep(HOST_CHECK_S)
            with contextlib.suppress(DatabaseError):
                previous = self.host
                await self.find_host()
                if self.host and self.host != previous:
                    await self.to_host(protocol.HOST_JOIN, reply=self.channel_name)
                    await self.to_host(protocol.HOST_PRESENCE, state="here")
                elif self.busy_since and time.monotonic() - self.busy_since > settings.MUG_SERVER_GAME_WAIT_S:
                    messages = await db(services.server_busy_end)(game_id=self.seat["game_id"])
                    for message in messages:
                        await self.broadcast(message)

    async def on_input(self, content: dict) -> None:
        # The host's game process validates the keys and frame; the seat is this socket's, never the message's.
        await self.to_host(protocol.HOST_INPUT, input={name: content[name] for name in INPUT_FIELDS if name in content})

    async def on_repaint(self, content: dict) -> None:
        await self.to_host(protocol.HOST_JOIN, reply=self.channel_name)

    async def on_presence(self, content: dict) -> None:
        message = await db(seats.game_presence)(seat_id=self.seat["seat_id"], hidden=bool(content.get("hidden")))
        await self.broadcast({"type": protocol.PLAYER, "player": message["player"], "state": message["state"]})
        await self.to_host(protocol.HOST_PRESENCE, state=message["state"])

    async def on_ping(self, content: dict) -> None:
        await self.send_json({"type": protocol.PONG, "id": content.get("id")})
        if self.seat is not None and time.monotonic() - self.seen_at >= SEEN_EVERY_S:
            self.seen_at = time.monotonic()
            await db(seats.game_seen)(seat_id=self.seat["seat_id"], channel_name=self.channel_name)

    async def to_host(self, kind: str, **fields) -> None:
        if not self.host:
            return
        try:
            await self.channel_layer.send(self.host, {"type": kind, "agent": self.seat["agent"], **fields})
        except ChannelFull:  # the host is behind (or gone): this message is dropped; the next key state follows
            logger.warning("server game %s: the host's inbox is full; %s dropped", self.seat["game_id"], kind)

    async def broadcast(self, message: dict) -> None:
        event = {"type": protocol.GROUP_EVENT, "message": message}
        await self.channel_layer.group_send(protocol.group_name(self.seat["game_id"]), event)

    async def sgame_event(self, event: dict) -> None:
        message = event["message"]
        if message.get("type") == protocol.MOVED:
            await self.move_to(message["host"])
            return
        await self.send_json(message)

    async def sgame_text(self, event: dict) -> None:
        await self.send(text_data=event["text"])

    async def sgame_host(self, event: dict) -> None:
        if event["host"] != self.host:
            self.host = event["host"]
            await self.to_host(protocol.HOST_JOIN, reply=self.channel_name)
            await self.to_host(protocol.HOST_PRESENCE, state="here")

    async def sgame_supersede(self, event: dict) -> None:
        if self.watcher:
            self.watcher.cancel()
        await self.channel_layer.group_discard(protocol.group_name(self.seat["game_id"]), self.channel_name)
        self.seat = None
        await self.send_json({"type": protocol.SUPERSEDED})
        await self.close(code=4000)
