"""The game relay's WebSocket: parses messages, calls `relay` and `services`, broadcasts what they return."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from django.conf import settings

from experiments.flow.identity import token_from_cookies
from experiments.flow.sockets import db
from netcode import handlers, protocol, services
from netcode.input_commit import input_writer
from netcode.input_rules import InputRefused
from netcode.input_store import input_entry
from netcode.localgroups import PROCESS, layer_sent, local_deliver, local_join, local_leave
from netcode.seatsocket import SeatSocket
from netcode.selectors import input_log_message
from netcode.services import GameRefused

logger = logging.getLogger(__name__)
MESSAGES_PER_S = 150  # a browser sends about 31 (inputs at 30 fps and a ping); more is a flood
SWEEP_EVERY_S = 0.5  # per process and game: how often one of its sockets checks for dropouts
HELLO_LIMIT = 5
SEEN_EVERY_S = 0.9  # keep-alive writes per socket (pings come every second)
ACK_EVERY_S = 0.2  # acks only stop resends (a browser resends after a second without one): at most 5 a second

_last_sweep: dict[int, float] = {}


class GameConsumer(SeatSocket):
    messages_per_s = MESSAGES_PER_S

    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.seat: handlers.Seat | None = None
        self.ticker: asyncio.Task | None = None
        self.hellos, self.seen_at = 0, 0.0
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.ticker:
            self.ticker.cancel()
        if getattr(self, "ack_timer", None) is not None:
            self.ack_timer.cancel()
        if self.seat is not None:
            local_leave(self.seat.game_id, self)
            await self.channel_layer.group_discard(protocol.group_name(self.seat.game_id), self.channel_name)
            message = await db(services.game_disconnect)(seat_id=self.seat.seat_id, channel_name=self.channel_name)
            await self.broadcast([message] if message else [])

    def seat_pk(self) -> int:
        return self.seat.seat_id

    def handlers(self):
        return {
            protocol.HELLO: self.on_hello,
            protocol.INPUT: self.on_input,
            protocol.DONE: self.on_done,
            protocol.PRESENCE: self.on_presence,
            protocol.PING: self.on_ping,
            protocol.SYNC: self.on_sync,
            protocol.READY: self.on_ready,
        }

    async def on_hello(self, content: dict) -> None:
        self.hellos += 1
        scene_key = content.get("scene_key")
        if self.hellos > HELLO_LIMIT or not isinstance(scene_key, str):
            raise InputRefused("hello needs a scene_key (once)")
        token = token_from_cookies(self.scope.get("cookies", {}), self.slug)
        place = await self.placed_here(token, scene_key, content.get("down"))
        if place is None:
            return
        join = handlers.relay_loading if content.get("loading") is True else handlers.relay_join
        try:
            seat, reply = await db(join)(
                slug=self.slug, token=token, scene_key=scene_key, channel_name=self.channel_name
            )
        except GameRefused as refused:
            if refused.over is None:
                raise
            # The game is over for this participant: the page moves on to their ending rather than wait on it.
            await self.send_json(handlers.refusal_ending(slug=self.slug, over=refused.over, message=str(refused)))
            return
        if seat.previous_channel and seat.previous_channel != self.channel_name:
            await self.channel_layer.send(seat.previous_channel, {"type": protocol.SUPERSEDE_EVENT})
        if self.seat is not None and self.seat.game_id != seat.game_id:
            raise InputRefused("this socket already holds a seat in another game")
        self.seat = seat
        await self.channel_layer.group_add(protocol.group_name(seat.game_id), self.channel_name)
        if reply["type"] == protocol.WELCOME:
            self.players = len(reply["players"])
            if settings.MUG_WORKER_ROUTES:  # the process serving the game now: the client's next connection's route
                reply = {**reply, "host": settings.MUG_WORKER_NAME}
            await self.send_json(reply)
            local_join(seat.game_id, self)
            await self.broadcast([{"type": protocol.PLAYER, "player": seat.agent, "state": "here"}])
        else:  # the page's socket while its game loads: it hears the game's news, the others hear it is loading
            self.players = await db(handlers.relay_players)(game_id=seat.game_id)
            local_join(seat.game_id, self)
            await self.broadcast([reply])
        if place.claimed:  # the game's host was unreachable and this process took it: sockets elsewhere come here
            await self.broadcast([{"type": protocol.MOVED, "host": settings.MUG_WORKER_NAME}])
        if self.ticker is None:
            self.ticker = asyncio.create_task(self.sweep_forever())

    async def on_input(self, content: dict) -> None:
        entry = input_entry(self.seat.seat_id, content)  # a malformed message never joins the shared batch
        result = await input_writer().store(entry)
        if result.refused is not None:
            raise result.refused
        if result.new or result.ai_new:  # the others get them at once; this socket reads its ack from the same message
            message = {
                "type": protocol.INPUTS,
                "player": self.seat.agent,
                "frame": content.get("frame"),
                "episode": content.get("episode"),
                "inputs": result.new,
                "ack": result.ack,
            }
            if result.ai_new:
                message.update(ai=result.ai_new, ai_ack=result.ai_ack)
            await self.broadcast([message])
        else:
            ack = {"type": protocol.ACK, "ack": result.ack, "episode": content.get("episode")}
            await self.send_json({**ack, "ai_ack": result.ai_ack} if result.ai_ack else ack)
        await self.broadcast([{"type": protocol.DESYNC, "frame": frame} for frame in result.desynced])
        if result.desynced:  # the referee replays the log and sends the seats that diverged its state
            await self.broadcast(await db(handlers.relay_referee)(seat_id=self.seat.seat_id, frame=result.desynced[0]))

    async def on_done(self, content: dict) -> None:
        messages = await db(handlers.relay_done)(
            seat_id=self.seat.seat_id,
            episode=content.get("episode"),
            frames=content.get("frames"),
            checksum=content.get("checksum"),
        )
        await self.broadcast(messages)

    async def on_sync(self, content: dict) -> None:
        message = await db(input_log_message)(
            seat_id=self.seat.seat_id, episode=content.get("episode"), after=content.get("after")
        )
        if message is not None:
            await self.send_json(message)

    async def on_ready(self, content: dict) -> None:
        message = await db(services.game_ready)(seat_id=self.seat.seat_id, episode=content.get("episode"))
        if message is not None:
            await self.broadcast([message])

    async def on_presence(self, content: dict) -> None:
        message = await db(services.game_presence)(seat_id=self.seat.seat_id, hidden=bool(content.get("hidden")))
        await self.broadcast([message])

    async def on_ping(self, content: dict) -> None:
        await self.send_json({"type": protocol.PONG, "id": content.get("id")})
        if self.seat is not None and time.monotonic() - self.seen_at >= SEEN_EVERY_S:
            self.seen_at = time.monotonic()
            await db(services.game_seen)(seat_id=self.seat.seat_id, channel_name=self.channel_name)

    async def sweep_forever(self) -> None:
        """Check the game for dropouts (one socket per process and game does it each interval)."""
        for _ in range(10**9):
            await asyncio.sleep(SWEEP_EVERY_S)
            game_id = self.seat.game_id
            if time.monotonic() - _last_sweep.get(game_id, 0.0) < SWEEP_EVERY_S:
                continue
            _last_sweep[game_id] = time.monotonic()
            try:
                await self.broadcast(await db(handlers.relay_sweep)(game_id=game_id))
            except Exception:  # e.g. the database busy: logged, and the next tick sweeps again
                logger.exception("game %s: sweep failed", game_id)

    async def broadcast(self, messages: list[dict]) -> None:
        """To every seat's socket: this process's directly, the others' over the layer (only if there are any)."""
        game_id = self.seat.game_id
        for message in messages:
            here = await local_deliver(game_id, message)
            if here < self.players:
                layer_sent(message["type"])
                event = {"type": protocol.GROUP_EVENT, "message": message, "origin": PROCESS}
                await self.channel_layer.group_send(protocol.group_name(game_id), event)

    async def game_event(self, event: dict) -> None:
        if event.get("origin") != PROCESS:  # a copy from this process: its sockets had theirs directly
            await self.deliver(event["message"])

    async def deliver(self, message: dict) -> None:
        if self.seat is None:
            return  # superseded: the newer socket has the seat
        if message.get("type") == protocol.INPUTS and message.get("player") == self.seat.agent:
            ack = {"type": protocol.ACK, "ack": message["ack"], "episode": message.get("episode")}
            self.ack_later({**ack, "ai_ack": message["ai_ack"]} if "ai_ack" in message else ack)
            return
        elif message.get("type") == protocol.RESYNC and message.get("player") != self.seat.agent:
            return  # another seat's checkpoint
        elif message.get("type") == protocol.MOVED:
            await self.move_to(message["host"])
            return
        await self.send_json(message)

    def ack_later(self, ack: dict) -> None:
        """This seat's own inputs came back stored: acknowledge them, at most every ACK_EVERY_S (the latest ack
        then stands for the ones between; a send per input was a third of the relay's socket writes)."""
        earlier = getattr(self, "ack_due", None) or {}
        if "ai_ack" not in ack and "ai_ack" in earlier and earlier.get("episode") == ack.get("episode"):
            ack = {**ack, "ai_ack": earlier["ai_ack"]}  # relayed agents' acks only grow: keep the last one known
        self.ack_due = ack
        if getattr(self, "ack_timer", None) is None:
            wait = max(0.0, ACK_EVERY_S - (time.monotonic() - getattr(self, "acked_at", 0.0)))
            self.ack_timer = asyncio.get_running_loop().call_later(wait, self.ack_now)

    def ack_now(self) -> None:
        self.ack_timer, self.acked_at = None, time.monotonic()
        if self.seat is not None:
            asyncio.ensure_future(self.send_quietly(self.ack_due))

    async def send_quietly(self, message: dict) -> None:
        """A send outside the socket's own handlers: the socket may have closed meanwhile (nothing to do then)."""
        with contextlib.suppress(Exception):
            await self.send_json(message)

    async def game_supersede(self, event: dict) -> None:
        if self.ticker:
            self.ticker.cancel()
        local_leave(self.seat.game_id, self)
        await self.channel_layer.group_discard(protocol.group_name(self.seat.game_id), self.channel_name)
        self.seat = None  # the newer tab owns the seat now
        await self.send_json({"type": protocol.SUPERSEDED})
        await self.close(code=4000)
