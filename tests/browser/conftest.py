"""Real-browser fixtures: Debian's Chromium via Playwright, with every request off 127.0.0.1 failing the test."""

from __future__ import annotations

import os

import pytest

from testkit.browsers import guarded_context
from testkit.servers import require_binary


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

    def console(message) -> None:
        if message.type == "error":  # (a failed load says which URL only in its location)
            errors.append(f"console: {message.text} at {message.location.get('url', '?')}")

    chromium_context.on("console", console)
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
