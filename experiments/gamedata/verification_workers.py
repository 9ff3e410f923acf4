"""The verification worker processes: each Daphne process starts MUG_VERIFY_WORKERS of them with its first HTTP
request (`manage.py verify_episodes` runs them on their own), so replays never run on the HTTP threads."""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time

logger = logging.getLogger(__name__)
SPAWN = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or connections inherited from Daphne
IDLE_POLL_S = 0.1  # how often an idle worker looks at the queue (one indexed query)


def worker_main(name: str, parent: int, settings_module: str) -> None:
    """A worker process: check pending episodes until the process that started it is gone."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from django.db import close_old_connections

    from experiments.gamedata.verification import verification_run_one

    logger.info("verification worker %s started", name)
    while os.getppid() == parent:
        try:
            checked = verification_run_one(worker=name)
        except Exception:  # a database hiccup: log it, let the connection be reopened, go on
            logger.exception("verification worker %s", name)
            close_old_connections()
            checked = []
        if not checked:
            time.sleep(IDLE_POLL_S)


def workers_spawn(count: int) -> list:
    """Start `count` worker processes (daemons: they end with this process)."""
    processes = []
    for number in range(count):
        name = f"{socket.gethostname()}:{os.getpid()}:{number}"
        settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "mugsite.settings")
        process = SPAWN.Process(target=worker_main, args=(name, os.getpid(), settings_module), daemon=True)
        process.start()
        processes.append(process)
    return processes


class StartsVerifiers:
    """ASGI middleware: starts this process's verification workers with the first request it serves (not at
    import: tests and tools import the application without serving it)."""

    def __init__(self, app, count: int) -> None:
        self.app, self.count = app, count
        self.started = count <= 0
        self.lock = threading.Lock()
        self.processes: list = []

    async def __call__(self, scope, receive, send):
        if not self.started:
            with self.lock:
                if not self.started:
                    self.started = True
                    self.processes = workers_spawn(self.count)
        return await self.app(scope, receive, send)
