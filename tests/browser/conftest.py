"""Real-browser fixtures: Debian's Chromium via Playwright, with every request off 127.0.0.1 failing the test."""

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


@pytest.fixture(scope="package")
def playwright_instance():
    """One Playwright driver for the browser tests, stopped after the last of them.

    Package scope, not session: while the sync API is started, its asyncio loop counts as running in the
    test thread, which would break the async tests and Django's ORM (SynchronousOnlyOperation) of every
    test that runs after. For the browser tests themselves, the ORM calls are allowed meanwhile.
    """
    require_binary("chromium")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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


@pytest.fixture
def chromium_context(playwright_instance):
    with guarded_context(playwright_instance) as context:
        yield context


@pytest.fixture
def second_chromium_context(playwright_instance):
    """Another participant's browser: its own profile and cookies."""
    with guarded_context(playwright_instance) as context:
        yield context


@pytest.fixture
def console_errors(chromium_context) -> list[str]:
    """Console errors and uncaught exceptions of every page in the context, as text, for failure messages."""
    errors: list[str] = []
    chromium_context.on("weberror", lambda error: errors.append(f"uncaught: {error.error}"))
    chromium_context.on(
        "console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None
    )
    return errors


@pytest.fixture
def server_url(live_server) -> str:
    """The live server's origin by IP: the browser resolves no host names at all. Episodes are verified by a
    thread of this process (the live server runs no worker processes)."""
    from testkit.gameclient import verifier_thread

    with verifier_thread():
        yield live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture
def asgi_server_url(tmp_path, transactional_db) -> str:
    """A Daphne process (HTTP and WebSockets) on the test database, for pages that open sockets; in-memory
    channel layer, Pyodide served locally."""
    from testkit.fixture_experiments import PATHS
    from testkit.servers import DaphneProcess, database_env

    env = {**os.environ, "DEBUG": "1", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join(PATHS)}
    env.update({**database_env(), "MUG_PYODIDE_URL": "/static/pyodide/"})
    server = DaphneProcess(env, tmp_path)
    try:
        yield server.url
    finally:
        server.stop()
