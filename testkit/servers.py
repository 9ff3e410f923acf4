"""Start real servers (Redis) on loopback for a test, and stop them afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deploy.local import LocalProcess, daphne_command, free_port, wait_for_port


def require_binary(name: str) -> str:
    """The binary's path; a missing one skips the test, or fails it when MUG_REQUIRE_SERVICES is set (CI)."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if path:
        return path
    if os.environ.get("MUG_REQUIRE_SERVICES"):
        pytest.fail(f"{name} is required (bin/setup --dev installs it)")
    pytest.skip(f"{name} is not installed")


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on loopback; yields its URL."""
    binary = require_binary("redis-server")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def database_env() -> dict[str, str]:
    """Environment that points a server process at the database this test process uses (the test database)."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(config["NAME"]), "DATABASE_URL": ""}
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    url = f"postgres://{config['USER']}{password}@{config['HOST']}:{config['PORT']}/{config['NAME']}"
    return {"DATABASE_URL": url}


class DaphneProcess(LocalProcess):
    """One `daphne` serving mugsite.asgi on loopback, reached directly (no proxy), with a log file for failures."""

    def __init__(self, env: dict[str, str], log_dir) -> None:
        port = free_port()
        super().__init__(daphne_command(port, proxy_headers=False), port, Path(log_dir) / f"daphne-{port}.log", env)


@contextmanager
def daphne_cluster(count: int, redis_url: str, log_dir, experiments: list[str]) -> Iterator[list[DaphneProcess]]:
    """`count` Daphne processes sharing the test database and one Redis, as behind a load balancer."""
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": redis_url, "MUG_EXPERIMENTS": ",".join(experiments)}
    env.update(database_env())
    processes: list[DaphneProcess] = []
    try:
        for _ in range(count):
            processes.append(DaphneProcess(env, log_dir))
        yield processes
    finally:
        for process in processes:
            process.stop()


PRODUCTION_SECRET_KEY = "attacker-tests-" + "k" * 50  # a real-looking key: the server runs as in production


def production_env(experiments: list[str], **extra: str) -> dict[str, str]:
    """Environment of a production-like server on the test database: DEBUG off, its own SECRET_KEY, no Redis."""
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": PRODUCTION_SECRET_KEY, "REDIS_URL": ""}
    env.update({"MUG_EXPERIMENTS": ",".join(experiments), "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    env.update(database_env())
    env.update(extra)
    return env


@contextmanager
def production_daphne(log_dir, experiments: list[str], **extra: str) -> Iterator[DaphneProcess]:
    """One Daphne process as an attacker meets it (DEBUG off, real key); `extra` overrides environment variables."""
    server = DaphneProcess(production_env(experiments, **extra), log_dir)
    try:
        yield server
    finally:
        server.stop()


def poll_until(condition, timeout: float = 90.0):
    """Poll `condition` until it returns something truthy (returned); a generous deadline, never a measured time."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return result
