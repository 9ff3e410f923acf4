"""Debian's Chromium under Playwright: a fresh profile, every request off this machine aborted, failing the test."""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from experiments.gamedata.wheelhouse import projects
from testkit.servers import require_binary

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


LOCAL_HOSTS = {"127.0.0.1", "localhost"}


LOCAL_SCHEMES = {"data", "blob", "about"}


def is_local(url: str) -> bool:
    """Only this machine: http(s)/ws(s) to 127.0.0.1 or localhost (any port), or in-page data/blob URLs."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS


def require_runtime() -> None:
    """The offline Pyodide (manage.py fetch_pyodide) and the wheelhouse (fetch_wheels), else skip (or fail in CI)."""
    missing = []
    if not (Path(settings.MUG_RUNTIME["PYODIDE_DIR"]) / "pyodide.asm.wasm").is_file():
        missing.append("Pyodide in MUG_RUNTIME['PYODIDE_DIR'] (manage.py fetch_pyodide)")
    if "gymnasium" not in projects(Path(settings.MUG_RUNTIME["WHEELHOUSE_DIR"])):
        missing.append("wheels in MUG_RUNTIME['WHEELHOUSE_DIR'] (manage.py fetch_wheels)")
    if missing and os.environ.get("MUG_REQUIRE_SERVICES"):
        pytest.fail(f"missing {' and '.join(missing)}; bin/setup --dev provides them")
    if missing:
        pytest.skip(f"missing {' and '.join(missing)}")


@contextmanager
def guarded_context(playwright_instance):
    """A fresh profile. Requests that would leave the machine are aborted, recorded, and fail the test.

    `context.mug_requests` lists the local URLs the guard let through (the page's and its workers').
    """
    require_runtime()
    escaped: list[str] = []
    allowed: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        if is_local(url):
            allowed.append(url)
            route.continue_()
        else:
            escaped.append(url)
            route.abort("blockedbyclient")

    def guard_socket(socket) -> None:
        if is_local(socket.url):
            socket.connect_to_server()
        else:
            escaped.append(socket.url)
            socket.close()

    with tempfile.TemporaryDirectory(prefix="mug-chromium-") as profile:
        context = playwright_instance.chromium.launch_persistent_context(
            profile, executable_path=require_binary("chromium"), headless=True, args=FLAGS
        )
        context.mug_requests = allowed
        try:
            context.route("**/*", guard)
            context.route_web_socket(re.compile(".*"), guard_socket)
            yield context
        finally:
            context.close()
    if escaped:
        pytest.fail(f"the browser tried to reach beyond localhost ({len(escaped)}): {escaped}")
