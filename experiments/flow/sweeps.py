"""The participant flow's sweep on the server's own clock: each Daphne process starts one thread with its first
request that runs `monitor_sweep` every second (a hidden tab past its limit is excluded even if it never reports
again). Several processes may sweep at once: the sweep ends a session once."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from experiments.flow.monitoring import monitor_sweep

logger = logging.getLogger(__name__)
SWEEP_EVERY_S = 1.0


def sweep_forever(every_s: float = SWEEP_EVERY_S, stop: threading.Event | None = None) -> None:
    """Sweep until `stop` is set (never, in a server: the thread is a daemon and ends with the process)."""
    stop = stop or threading.Event()
    while not stop.wait(every_s):
        try:
            excluded = monitor_sweep()
            if excluded:
                logger.info("monitoring sweep excluded participants %s", excluded)
        except Exception:  # e.g. the database busy: logged, and the next sweep tries again
            logger.exception("monitoring sweep failed")
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
