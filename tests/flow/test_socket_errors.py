"""What a participant socket answers: a refusal (ApplicationError) with its message, a handler's bug with a reply
that names nothing of it (and a log line for staff), and either way the socket stays open for the next message."""

from __future__ import annotations

import logging

import pytest
from channels.testing import WebsocketCommunicator

from experiments.definition.errors import ApplicationError
from experiments.flow.errors import SERVER_FAULT
from experiments.flow.sockets import StrictJsonConsumer


class Echo(StrictJsonConsumer):
    def identified(self) -> bool:
        return True

    async def connect(self) -> None:
        await self.accept()

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("do") == "refuse":
            raise ApplicationError("not in this game")
        if content.get("do") == "crash":
            raise KeyError("secret-internal-name")
        await self.send_json({"echo": content})

    async def error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})


@pytest.mark.parametrize(
    ("message", "reply"), [({"do": "refuse"}, "not in this game"), ({"do": "crash"}, SERVER_FAULT)]
)
async def test_refusals_and_bugs_get_their_replies_and_the_socket_goes_on(message, reply, caplog):
    socket = WebsocketCommunicator(Echo.as_asgi(), "/x/s/ws/test/")
    assert (await socket.connect())[0]
    with caplog.at_level(logging.ERROR, logger="experiments.flow.errors"):
        await socket.send_json_to(message)
        assert await socket.receive_json_from() == {"type": "error", "message": reply}
    logged = [record for record in caplog.records if record.name == "experiments.flow.errors"]
    assert bool(logged) == (message["do"] == "crash")  # a bug is logged with its traceback; a refusal is not
    assert "secret-internal-name" not in reply
    await socket.send_json_to({"do": "hello"})
    assert await socket.receive_json_from() == {"echo": {"do": "hello"}}
    await socket.disconnect()
