"""Bare websockets relay, the physical limit: forwards each text frame unchanged to the partner at /<game>/<player>."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

SEATS: dict[str, dict[str, ServerConnection]] = {}


async def relay(ws: ServerConnection) -> None:
    _, game, player = ws.request.path.split("/", 2)
    seats = SEATS.setdefault(game, {})
    seats[player] = ws
    partner = "1" if player == "0" else "0"
    try:
        async for message in ws:
            other = seats.get(partner)
            if other is not None:
                # A partner that has gone must not end this player's connection.
                with contextlib.suppress(ConnectionClosed):
                    await other.send(message)
    finally:
        if seats.get(player) is ws:
            del seats[player]


async def main(port: int) -> None:
    # No compression: the frames are tiny and the point is the bare cost of a relay.
    async with serve(relay, "127.0.0.1", port, compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
