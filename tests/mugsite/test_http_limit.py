"""The HTTP concurrency limit: at most N requests inside Django at once, the rest queue; bodies are read first."""

# Plain ASGI with a real event loop: the app below records how many requests it holds at once. The whole stack
# under load (30 and 200 participants, queueing included) is tests/reliability/test_reliability_load.py and
# bench/load_participants.py.

from __future__ import annotations

import asyncio

from mugsite.limits import HttpConcurrencyLimit


class Recorder:
    """An ASGI app that holds each request for a while and records the most it held at once."""

    def __init__(self, hold_s: float = 0.02, stream: bool = False) -> None:
        self.inside, self.most, self.bodies, self.hold_s, self.stream = 0, 0, [], hold_s, stream
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.inside += 1
        self.most = max(self.most, self.inside)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if self.stream:
            self.inside -= 1  # the view is done; the rest trickles out
            await send({"type": "http.response.body", "body": b"part", "more_body": True})
            await self.release.wait()
            await send({"type": "http.response.body", "body": b"end"})
            return
        await asyncio.sleep(self.hold_s)
        self.inside -= 1
        await send({"type": "http.response.body", "body": body})


def request(
    limit: HttpConcurrencyLimit,
    parts: list[bytes],
    gap_s: float = 0.0,
    disconnect: bool = False,
    last_part_after: asyncio.Event | None = None,
):
    """One HTTP request through `limit`, its body sent in `parts` (the last one once `last_part_after` is set, if
    given); returns the messages sent back."""
    sent = []
    queue = asyncio.Queue()

    async def client():
        for index, part in enumerate(parts):
            await asyncio.sleep(gap_s)
            if last_part_after is not None and index == len(parts) - 1:
                await last_part_after.wait()
            await queue.put({"type": "http.request", "body": part, "more_body": index < len(parts) - 1})
            if disconnect:
                await queue.put({"type": "http.disconnect"})
                return

    async def send(message):
        sent.append(message)

    async def run():
        feeder = asyncio.create_task(client())
        await limit({"type": "http"}, queue.get, send)
        await feeder
        return sent

    return run()


def test_at_most_the_limit_inside_at_once_and_every_request_answered():
    async def main():
        app = Recorder()
        limit = HttpConcurrencyLimit(app, 3)
        replies = await asyncio.gather(*[request(limit, [f"r{i}".encode()]) for i in range(20)])
        return app, limit, replies

    app, limit, replies = asyncio.run(main())
    assert app.most == 3
    assert sorted(app.bodies) == sorted(f"r{i}".encode() for i in range(20))
    assert [reply[-1]["body"] for reply in replies] == [f"r{i}".encode() for i in range(20)]
    assert limit.in_app == 0 and limit.waiting == 0


def test_zero_means_no_limit():
    async def main():
        app = Recorder()
        await asyncio.gather(*[request(HttpConcurrencyLimit(app, 0), [b"x"]) for _ in range(10)])
        return app

    assert asyncio.run(main()).most == 10


def test_a_slow_upload_holds_no_slot_while_its_body_arrives():
    async def main():
        app = Recorder(hold_s=0.0)
        limit = HttpConcurrencyLimit(app, 1)
        rest = asyncio.Event()  # the slow client's last part arrives only after the fast requests were served
        slow = asyncio.create_task(request(limit, [b"a", b"b", b"c"], last_part_after=rest))
        await asyncio.sleep(0.05)
        # Not stuck behind it (a generous deadline: were they stuck, they would wait for good).
        fast = [await asyncio.wait_for(request(limit, [b"quick"]), 30) for _ in range(3)]
        rest.set()
        return app, await slow, fast

    app, slow, fast = asyncio.run(main())
    assert app.bodies[:3] == [b"quick"] * 3 and app.bodies[3] == b"abc"  # the body reached the app whole
    assert slow[-1]["body"] == b"abc" and all(reply[-1]["body"] == b"quick" for reply in fast)


def test_a_client_gone_before_its_body_arrived_never_reaches_the_app():
    async def main():
        app = Recorder()
        limit = HttpConcurrencyLimit(app, 1)
        sent = await request(limit, [b"half", b"never"], disconnect=True)
        return app, limit, sent

    app, limit, sent = asyncio.run(main())
    assert app.bodies == [] and sent == [] and limit.in_app == 0


def test_a_streamed_response_frees_its_slot_once_it_streams():
    async def main():
        app = Recorder(stream=True)
        limit = HttpConcurrencyLimit(app, 1)
        download = asyncio.create_task(request(limit, [b"export"]))
        await asyncio.sleep(0.05)
        app.stream = False
        other = await asyncio.wait_for(request(limit, [b"page"]), 30)  # served while the download streams (or never)
        app.release.set()
        return await download, other

    download, other = asyncio.run(main())
    assert other[-1]["body"] == b"page"
    assert [m.get("body") for m in download[1:]] == [b"part", b"end"]


def test_websockets_pass_straight_through():
    async def main():
        seen = []

        async def app(scope, receive, send):
            seen.append(scope["type"])

        limit = HttpConcurrencyLimit(app, 1)
        await asyncio.gather(*[limit({"type": "websocket"}, None, None) for _ in range(5)])
        return seen, limit

    seen, limit = asyncio.run(main())
    assert seen == ["websocket"] * 5 and limit.in_app == 0
