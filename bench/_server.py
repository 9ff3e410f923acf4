"""Starts the MUG dev server on loopback with a throwaway database, for the browser benchmarks."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def mug_server(extra_env: dict[str, str] | None = None, daphne: bool = False):
    """Yield the base URL of a fresh server (SQLite in a temp dir, Pyodide served locally); `daphne` serves
    with Daphne itself (as in production) instead of the development server."""
    with tempfile.TemporaryDirectory(prefix="mug-bench-") as work:
        env = {**os.environ, "SQLITE_PATH": f"{work}/db.sqlite3", "DEBUG": "1", "MUG_PYODIDE_URL": "/static/pyodide/"}
        env.update(extra_env or {})
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        port = free_port()
        command = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        if daphne:
            command = [
                str(ROOT / ".venv" / "bin" / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "mugsite.asgi:application",
            ]
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.1)
    sys.exit(f"the server did not start on port {port}")
