"""Start `bin/demo` as a researcher would (without bin/setup: the checkout is set up) and read the links it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from testkit.servers import free_port, poll_until

ROOT = Path(__file__).resolve().parent.parent
LINK_RE = re.compile(r"^\s+(http://127\.0\.0\.1:\d+/x/([a-z0-9-]+)/)\s", re.M)


@dataclass
class Demo:
    port: int
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return "".join(self.output)

    def links(self) -> dict[str, str]:
        """slug -> participant link, as printed."""
        return {slug: link for link, slug in LINK_RE.findall(self.text())}


@contextmanager
def demo_server(tmp_path: Path, **env: str) -> Iterator[Demo]:
    """bin/demo on a free port with its own SQLite file; yields once its links are printed and it serves."""
    demo = Demo(port=free_port())
    environ = {
        **os.environ,
        "PORT": str(demo.port),
        "SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "MUG_DEMO_SETUP": "0",
        "MUG_ADMIN_PASSWORD": "pw-demo-admin-1",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    for name in ("DJANGO_SETTINGS_MODULE", "MUG_EXPERIMENTS", "DEBUG", "SQLITE_TEST_PATH"):
        if name not in env:
            environ.pop(name, None)  # the demo's own defaults, not the test run's
    # its own process group: the runserver and its autoreloader child are stopped together
    process = subprocess.Popen(
        [str(ROOT / "bin" / "demo")],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    reader = threading.Thread(target=lambda: demo.output.extend(process.stdout), daemon=True)
    reader.start()
    try:
        poll_until(lambda: "Listening on TCP address" in demo.text() or process.poll() is not None, timeout=180)
        assert process.poll() is None, demo.text()
        yield demo
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
