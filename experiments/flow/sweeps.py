"""The participant flow's sweeps on the server's own clock: each Daphne process starts one thread with its first
request that runs them every second: `monitor_sweep` (a hidden tab past its limit is excluded even if it never
reports again) and `participant_load_deadline_sweep` (a game page that reported no runtime ready within the scene's
load deadline ends with runtime_error, even if its page died or was closed). Several processes may sweep at once:
each ends a session once."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from experiments.flow.monitoring import monitor_sweep
from experiments.flow.services import participant_load_deadline_sweep

logger = logging.getLogger(__name__)
SWEEP_EVERY_S = 1.0
SWEEPS = (("monitoring", monitor_sweep), ("load deadline", participant_load_deadline_sweep))


def sweep_forever(every_s: float = SWEEP_EVERY_S, stop: threading.Event | None = None) -> None:
    """Sweep until `stop` is set (never, in a server: the thread is a daemon and ends with the process)."""
    stop = stop or threading.Event()
    while not stop.wait(every_s):
        for name, sweep in SWEEPS:
            try:
                ended = sweep()
                if ended:
                    logger.info("%s sweep ended participants %s", name, ended)
            except Exception:  # e.g. the database busy: logged, and the next sweep tries again
                logger.exception("%s sweep failed", name)
            finally:
                close_old_connections()


class StartsSweeps:
    """ASGI middleware: starts this process's sweep thread with the first request it serves (not at import: tests
    and tools import the application without serving it)."""

    def __init__(self, app) -> None:
        self.app = app
        self.started = False
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if not self.started:
            with self.lock:
                if not self.started:
                    self.started = True
                    threading.Thread(target=sweep_forever, name="mug-sweeps", daemon=True).start()
        return await self.app(scope, receive, send)
