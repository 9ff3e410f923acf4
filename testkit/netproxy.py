"""Real-browser network tests and benchmarks: a TCP delay proxy on loopback (one-way delay plus jitter per
direction, byte order kept as TCP does, a switch that cuts every connection; it shapes WebSockets and HTTP
alike), and a page script that plays by pressing random keys."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time

from testkit.servers import free_port

# Presses a random arrow key every 120-300 ms (seeded per page), so that predictions are often wrong.
RANDOM_KEYS = """(seed) => {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const keys = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"];
  let held = null;
  const press = () => {
    if (held) window.dispatchEvent(new KeyboardEvent("keyup", { key: held }));
    held = keys[Math.floor(next() * 4)];
    window.dispatchEvent(new KeyboardEvent("keydown", { key: held }));
    setTimeout(press, 120 + next() * 180);
  };
  press();
}"""


class DelayProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target>, each chunk delivered `delay_ms` (+ up to `jitter_ms`) later."""

    def __init__(self, target_port: int, delay_ms: float = 0.0, jitter_ms: float = 0.0, seed: int = 0) -> None:
        self.target_port, self.delay_ms, self.jitter_ms = target_port, delay_ms, jitter_ms
        self.rng = random.Random(seed)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.writers: set[asyncio.StreamWriter] = set()
        self.blocked = False
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        if not started.wait(10):
            raise RuntimeError("the delay proxy did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        started.set()
        self.loop.run_forever()

    async def _serve(self, client_reader, client_writer) -> None:
        if self.blocked:
            client_writer.close()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        self.writers |= {client_writer, server_writer}
        # When the proxy stops, a cancelled connection task would be reported as an error: end it quietly.
        with contextlib.suppress(asyncio.CancelledError):
            pipes = self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer)
            await asyncio.gather(*pipes, return_exceptions=True)

    async def _pipe(self, reader, writer) -> None:
        """Forward chunks in order, each after the delay; a later chunk never overtakes an earlier one."""
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, data = item
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        last_due = 0.0
        try:
            while data := await reader.read(65536):
                jitter = self.rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0
                last_due = max(last_due, time.monotonic() + (self.delay_ms + jitter) / 1000)
                queue.put_nowait((last_due, data))
        finally:
            queue.put_nowait(None)
            await asyncio.gather(sender, return_exceptions=True)
            self.writers.discard(writer)

    def cut(self, seconds: float = 0.0) -> None:
        """Drop every open connection (and refuse new ones for `seconds`): the network goes away."""

        def cut_now() -> None:
            self.blocked = seconds > 0
            for writer in list(self.writers):
                writer.transport.abort()
            if seconds > 0:
                self.loop.call_later(seconds, lambda: setattr(self, "blocked", False))

        self.loop.call_soon_threadsafe(cut_now)

    def stop(self) -> None:
        """Close everything and let every pipe finish before the loop stops (nothing left pending)."""

        async def shutdown() -> None:
            self.server.close()
            for writer in list(self.writers):
                writer.transport.abort()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
