"""A socket must identify (hello/join) within MUG_WS_IDENTIFY_S: one that says nothing is closed then, but one whose
hello arrived in time is answered however long a busy server takes over it (it was closed mid-answer before)."""

from __future__ import annotations

import asyncio

from channels.testing import WebsocketCommunicator

from experiments.flow.sockets import CLOSE_UNIDENTIFIED, StrictJsonConsumer


class SlowHello(StrictJsonConsumer):
    """Identifies on its first message, once `release` is set (a database busy with other work)."""

    release: asyncio.Event
    looks = 0  # how often anything asked whether it identified (the guard, past the deadline, asks again and again)

    def identified(self) -> bool:
        type(self).looks += 1
        return getattr(self, "who", None) is not None

    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content, **kwargs) -> None:
        await type(self).release.wait()
        self.who = content["hello"]
        await self.send_json({"welcome": self.who})


async def test_a_hello_that_arrived_in_time_is_answered_past_the_deadline(settings):
    settings.MUG_WS_IDENTIFY_S = 0.05
    SlowHello.release, SlowHello.looks = asyncio.Event(), 0
    communicator = WebsocketCommunicator(SlowHello.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"hello": "ann"})
    async with asyncio.timeout(30):
        while SlowHello.looks < 2:  # the hello's own look, then the guard's, past the deadline, while it is answered
            await asyncio.sleep(0)
    SlowHello.release.set()
    assert await communicator.receive_json_from(timeout=30) == {"welcome": "ann"}
    await communicator.disconnect()


async def test_a_socket_that_says_nothing_is_still_closed_at_the_deadline(settings):
    settings.MUG_WS_IDENTIFY_S = 0.05
    SlowHello.release = asyncio.Event()
    communicator = WebsocketCommunicator(SlowHello.as_asgi(), "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    closed = await communicator.receive_output(timeout=30)
    assert closed == {"type": "websocket.close", "code": CLOSE_UNIDENTIFIED}
