"""The live monitor's socket, for staff who may view participants and games: a snapshot at once and every few
seconds; before each one the session is read again from the store, and the socket closes (4003) once its user is
logged out, deactivated or loses the permission."""

from __future__ import annotations

import asyncio

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from experiments.control.live import live_session_allowed, live_snapshot
from experiments.flow.sockets import db

EVERY_S = 2.0
REFUSED = 4003


class LiveMonitorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        if not await self.allowed():
            await self.close(code=REFUSED)  # no data, no socket
            return
        await self.accept()
        self.ticker = asyncio.create_task(self.send_forever())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "ticker", None):
            self.ticker.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        pass  # the monitor only listens: whatever arrives (JSON or not) is ignored

    async def allowed(self) -> bool:
        # The scope's user was read once, at the handshake: ask the session store again instead.
        session = self.scope.get("session")
        return await db(live_session_allowed)(session.session_key if session is not None else None)

    async def send_forever(self) -> None:
        for _ in range(10**9):
            if not await self.allowed():
                await self.close(code=REFUSED)
                return
            await self.send_json({"type": "snapshot", **await db(live_snapshot)()})
            await asyncio.sleep(EVERY_S)
