"""Starts MUG servers on loopback with a throwaway database, for the benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.local import free_port  # noqa: F401 (the benchmarks import it from here)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DAPHNE = str(ROOT / ".venv" / "bin" / "daphne")


@contextlib.contextmanager
def fresh_database(extra_env: dict[str, str] | None = None):
    """Yield the environment of a migrated SQLite database in a temp dir (Pyodide served locally)."""
    with tempfile.TemporaryDirectory(prefix="mug-bench-") as work:
        env = {**os.environ, "SQLITE_PATH": f"{work}/db.sqlite3", "DEBUG": "1", "MUG_PYODIDE_URL": "/static/pyodide/"}
        # Every bench participant starts from loopback and has a made-up name: no entry limit, loose ids.
        env.update({"MUG_ENTRY_LIMIT": "0", "MUG_STRICT_RECRUITMENT_IDS": "0"})
        env.update(extra_env or {})
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        yield env


@contextlib.contextmanager
def serving(commands: list[list[str]], env: dict[str, str], ports: list[int]):
    servers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in commands
    ]
    try:
        for port in ports:
            _wait(port)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


@contextlib.contextmanager
def mug_server(extra_env: dict[str, str] | None = None):
    """Yield the base URL of a fresh development server."""
    port = free_port()
    with fresh_database(extra_env) as env:
        command = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        with serving([command], env, [port]) as urls:
            yield urls[0]


@contextlib.contextmanager
def daphne_servers(extra_env: dict[str, str] | None = None, count: int = 1):
    """Yield the base URLs of `count` Daphne processes (as in production) sharing one fresh database."""
    ports = [free_port() for _ in range(count)]
    with fresh_database(extra_env) as env:
        commands = [[DAPHNE, "-b", "127.0.0.1", "-p", str(port), "mugsite.asgi:application"] for port in ports]
        with serving(commands, env, ports) as urls:
            yield urls


@contextlib.contextmanager
def django_on_fresh_database(experiments: str, redis: bool = False):
    """A fresh database that this process's Django also uses (to check what was stored), and a throwaway Redis if
    asked; yields the environment for Daphne processes (DEBUG off, as in production)."""
    from testkit.servers import redis_server

    env_extra = {"MUG_EXPERIMENTS": experiments, "REDIS_URL": "", "DEBUG": "0", "SECRET_KEY": "bench-" + "b" * 50}
    with contextlib.ExitStack() as stack:
        if redis:
            env_extra["REDIS_URL"] = stack.enter_context(redis_server())
        env = stack.enter_context(fresh_database(env_extra))
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mugsite.settings")
        import django

        django.setup()
        yield env


@contextlib.contextmanager
def daphnes(env: dict[str, str], count: int = 1, extra_env: dict[str, str] | None = None):
    """`count` Daphne processes (testkit/servers.py's) with this environment; their logs are printed on failure."""
    from testkit.servers import DaphneProcess

    with tempfile.TemporaryDirectory() as logs:
        started = []
        try:
            started += [DaphneProcess({**env, **(extra_env or {})}, logs) for _ in range(count)]
            yield started
        except BaseException:
            for daphne in started:
                print(Path(logs, f"daphne-{daphne.port}.log").read_text()[-3000:])
            raise
        finally:
            for daphne in started:
                daphne.stop()


@contextlib.contextmanager
def daphne_with_django(experiments: str):
    """One Daphne process on a fresh database that this process's Django also uses."""
    with django_on_fresh_database(experiments) as env, daphnes(env) as (daphne,):
        yield daphne


def _wait(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.1)
    sys.exit(f"the server did not start on port {port}")
