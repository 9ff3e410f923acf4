"""Client adapter for the bare websockets relay (echo_server): one socket per player at /<game>/<player>."""

from __future__ import annotations

import asyncio
import json
import time

PROBE = -1  # a frame number the core never sends: used to check that the relay path is up both ways


class EchoClient:
    def __init__(self, ws, game: int, player: int) -> None:
        self.ws = ws
        self.game, self.player = game, player
        self.on_partner_input = None
        self.probed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def send_input(self, frame: int) -> None:
        # The same fields MUG's browser sends with each relayed input.
        message = {"game_id": str(self.game), "player_id": self.player, "action": frame % 5, "frame_number": frame}
        message |= {"timestamp": int(time.time() * 1000), "sync_epoch": 0}
        await self.ws.send(json.dumps(message))

    async def _read(self) -> None:
        async for message in self.ws:
            frame = json.loads(message)["frame_number"]
            if frame == PROBE:
                self.probed.set()
            elif self.on_partner_input is not None:
                self.on_partner_input(frame)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()


async def _probe(sender: EchoClient, receiver: EchoClient) -> None:
    for _ in range(20):
        await sender.send_input(PROBE)
        try:
            await asyncio.wait_for(receiver.probed.wait(), 0.5)
            return
        except TimeoutError:
            continue
    raise TimeoutError(f"game {sender.game}: the relay never delivered a probe")


async def make_pair(url: str, game: int) -> tuple[EchoClient, EchoClient]:
    from websockets.asyncio.client import connect

    sockets = [await connect(f"{url}/{game}/{player}", compression=None) for player in (0, 1)]
    a, b = (EchoClient(ws, game, player) for player, ws in enumerate(sockets))
    await _probe(a, b)
    await _probe(b, a)
    return a, b
