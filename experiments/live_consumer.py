"""The live monitor's socket, for staff only: a snapshot at once and every few seconds."""

from __future__ import annotations

import asyncio

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from experiments.live import live_snapshot
from matchmaking.consumers import db

EVERY_S = 2.0


class LiveMonitorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_active or not user.is_staff:
            await self.close(code=4003)  # not staff: no data, no socket
            return
        await self.accept()
        self.ticker = asyncio.create_task(self.send_forever())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "ticker", None):
            self.ticker.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        pass  # the monitor only listens: whatever arrives (JSON or not) is ignored

    async def send_forever(self) -> None:
        for _ in range(10**9):
            await self.send_json({"type": "snapshot", **await db(live_snapshot)()})
            await asyncio.sleep(EVERY_S)
