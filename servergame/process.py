"""A dedicated OS process per server-side game: it steps the env at a fixed rate, whatever the web process or
the other games do, and reports each frame (with how late it ran) over a pipe. A crash ends only this game."""

from __future__ import annotations

import contextlib
import multiprocessing
import time
import traceback
from typing import Any

SPAWN = multiprocessing.get_context("spawn")  # a clean interpreter: no state or threads inherited from Daphne


def serve(conn, config: dict[str, Any], seats: list[str], seeds: list[int], fps: int) -> None:
    """The game process: start each episode, then step every 1/fps s; inputs are read between frames."""
    from servergame.runner import ServerRunner

    try:
        runner = ServerRunner(config, seats)
        period = 1 / fps
        for episode, seed in enumerate(seeds):
            conn.send({"type": "started", "episode": episode, "seed": seed, **runner.start(episode, seed)})
            next_at = time.perf_counter()
            over = False
            while not over:
                _read_inputs(conn, runner, until=next_at)
                late_ms = max(0.0, (time.perf_counter() - next_at) * 1000)
                out = runner.step()
                over = out["over"]
                conn.send({"type": "frame", "episode": episode, "late_ms": late_ms, "at": time.monotonic(), **out})
                next_at += period
                if time.perf_counter() - next_at > 5 * period:  # far behind: re-anchor, never race a backlog
                    next_at = time.perf_counter()
        conn.send({"type": "finished", "ignored": runner.ignored[-50:]})
    except Exception as error:  # the env crashed: report it; the process ends and frees its core
        conn.send({"type": "error", "message": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()})
    finally:
        conn.close()


def _read_inputs(conn, runner, until: float) -> None:
    """Take inputs until the next frame is due."""
    while True:
        wait = until - time.perf_counter()
        if not conn.poll(max(0.0, wait)):
            return
        message = conn.recv()
        if message.get("type") == "stop":
            raise SystemExit(0)
        runner.take_input(message.get("seat"), message.get("input"))
        if time.perf_counter() >= until:
            return


class GameProcess:
    """The web side's handle on one game process."""

    def __init__(self, config: dict[str, Any], seats: list[str], seeds: list[int], fps: int) -> None:
        self.conn, child = SPAWN.Pipe()
        self.process = SPAWN.Process(target=serve, args=(child, config, seats, seeds, fps), daemon=True)
        self.process.start()
        child.close()

    def send_input(self, seat: str, message: Any) -> None:
        self.conn.send({"seat": seat, "input": message})

    def receive(self, timeout: float) -> dict | None:
        return self.conn.recv() if self.conn.poll(timeout) else None

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send({"type": "stop"})
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
        self.conn.close()
