"""Plain WebSocket clients against a real Daphne: seated players, what the server closes, and a generous deadline."""

from __future__ import annotations

import asyncio

import websockets

from testkit.plainhttp import Browser

SLUG = "net-relay"


WAIT_S = 60  # a generous deadline for anything the server should do soon (never a measured time)


def cookie_for(server, pid: str, slug: str = SLUG) -> str:
    """Enter the study over HTTP as a participant from Prolific; the participant cookie the server set."""
    browser = Browser(server.url)
    browser.enter(slug, PROLIFIC_PID=pid)  # the landing page's Start, as a participant presses it
    return next(c.value for c in browser.jar if c.name == f"mug_{slug}")


async def closed_by_server(socket) -> int:
    """Wait (with a generous deadline) until the server closes the socket; its close code."""
    async with asyncio.timeout(WAIT_S):
        while True:
            try:
                await socket.recv()
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else -1
