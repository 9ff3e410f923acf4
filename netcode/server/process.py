"""A dedicated OS process per server-side game: it steps the env at a fixed rate, whatever the web process or
the other games do, and reports each frame (with how late it ran) over a pipe. A crash ends only this game."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import time
import traceback
from typing import Any

from netcode.server import protocol

SPAWN = multiprocessing.get_context("spawn")  # a clean interpreter: no state or threads inherited from Daphne


class Stop(Exception):
    """The host asked the game to stop."""


def serve(conn, config: dict[str, Any], seats: list[str], seeds: list[int], fps: int, options: dict) -> None:
    """The game process: build the env, wait for "go", then play each episode (after a countdown) one frame every
    1/fps s. Inputs and control messages are read between frames."""
    from netcode.server.runner import ServerRunner  # in the game's process only: the web process never runs envs

    try:
        runner = ServerRunner(config, seats, options.get("models"))
        control = Control(conn, runner)
        conn.send({"type": "ready", "assets": runner.loop.assets()})
        control.wait_for("go")
        first = options.get("first_episode", 0)
        for episode, seed in enumerate(seeds[first:], start=first):
            conn.send({"type": "started", "episode": episode, "seed": seed, **runner.start(episode, seed)})
            control.read_until(control.clock() + options.get("countdown_s", 0))
            _play(conn, runner, control, episode, 1 / fps)
        conn.send({"type": "finished", "ignored": runner.ignored[-50:]})
    except Stop:
        pass
    except Exception as error:  # the env crashed: report it; the process ends and frees its core
        with contextlib.suppress(OSError):
            conn.send({"type": "error", "message": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()})
    finally:
        conn.close()


def _play(conn, runner, control: Control, episode: int, period: float) -> None:
    clock = control.clock
    next_at = clock()
    started = clock()
    over = False
    while not over:
        if control.read_until(next_at):  # paused meanwhile: the clock starts again from now
            next_at = clock()
        late_ms = max(0.0, (clock() - next_at) * 1000)
        out = runner.step()
        over = out["over"]
        out["row"].update(t=round((clock() - started) * 1000, 3), late_ms=round(late_ms, 3))
        # The browsers' message is encoded here, once, in this game's own process (the web process only relays it).
        shown = {
            "type": protocol.FRAME,
            "episode": episode,
            "frame": out["row"]["frame"],
            "render": out["render"],
            "hud": out["hud"],
            "over": out["over"],
            "seen": out["seen"],
        }
        text = json.dumps(shown, separators=(",", ":"), allow_nan=False)
        at = time.monotonic()
        conn.send({"type": "frame", "episode": episode, "late_ms": late_ms, "at": at, "text": text, **out})
        next_at += period
        if clock() - next_at > 5 * period:  # far behind: re-anchor, never race a backlog
            next_at = clock()


class Control:
    """Messages from the host: seats' inputs, pause/resume, replacements, stop. `clock` paces the frames (a test
    gives its own)."""

    def __init__(self, conn, runner, clock=time.perf_counter) -> None:
        self.conn, self.runner, self.paused, self.clock = conn, runner, False, clock
        self.window, self.reported = 0.0, 0

    def wait_for(self, kind: str) -> None:
        while self._handle(self.conn.recv()) != kind:
            pass

    def read_until(self, until: float) -> bool:
        """Take messages until `until` (and for as long as the game is paused); True if it was paused."""
        was_paused = False
        while True:
            wait = None if self.paused else until - self.clock()
            if wait is not None and wait <= 0:
                return was_paused
            if not self.conn.poll(wait if wait is None else max(0.0, wait)):
                if not self.paused:
                    return was_paused
                continue
            self._handle(self.conn.recv())
            was_paused = was_paused or self.paused

    def _handle(self, message: dict) -> str | None:
        kind = message.get("type")
        if kind == "stop":
            raise Stop
        if kind in ("pause", "resume"):
            self.paused = kind == "pause"
        elif kind == "replace":
            self.runner.replace(message["seat"], message["policy"])
        elif kind == "input" and not self.runner.take_input(message.get("seat"), message.get("input")):
            self._report_ignored(message.get("seat"))
        return kind

    def _report_ignored(self, seat) -> None:
        """Tell the host why an input was dropped (it logs it), at most 10 times a second."""
        now = time.monotonic()
        if now - self.window > 1:
            self.window, self.reported = now, 0
        self.reported += 1
        if self.reported <= 10:
            self.conn.send({"type": "ignored", "seat": str(seat)[:100], "reason": self.runner.ignored[-1][:300]})


class GameProcess:
    """The web side's handle on one game process."""

    def __init__(self, config: dict[str, Any], seats: list[str], seeds: list[int], fps: int, **options) -> None:
        self.conn, child = SPAWN.Pipe()
        self.process = SPAWN.Process(target=serve, args=(child, config, seats, seeds, fps, options), daemon=True)
        self.process.start()
        child.close()

    def send_input(self, seat: str, message: Any) -> None:
        self.send({"type": "input", "seat": seat, "input": message})

    def send(self, message: dict) -> None:
        with contextlib.suppress(OSError):  # the game already ended; its last messages say why
            self.conn.send(message)

    def receive(self, timeout: float) -> dict | None:
        return self.conn.recv() if self.conn.poll(timeout) else None

    def stop(self) -> None:
        if self.process.is_alive():
            self.send({"type": "stop"})
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()
        self.conn.close()
