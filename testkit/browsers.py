"""Debian's Chromium under Playwright: a fresh context, every request off this machine refused, failing the test."""

from __future__ import annotations

import os
import re
import socketserver
import threading
from contextlib import contextmanager, suppress
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
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-features=OptimizationHints,AutofillServerCommunication,Translate,MediaRouter",
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


# Chromium's own services (sign-in, component updates and their redirector, autofill) call Google hosts whatever
# the page does: refused like everything else, but not counted. What a page or worker asks for shows up in
# Playwright's request events.
GOOGLE_HOSTS = r"(google\.com|googleapis\.com|gstatic\.com|gvt1\.com|gvt2\.com)"
CHROMIUM_SERVICES = re.compile(rf"^(CONNECT |[A-Z]+ https?://)[^/: ]*\.{GOOGLE_HOSTS}[:/ ]")


class _Refuse(socketserver.StreamRequestHandler):
    """Records what Chromium asked the proxy for (a CONNECT target or an absolute URL) and refuses it."""

    def handle(self) -> None:
        self.connection.settimeout(5)
        try:
            line = self.rfile.readline(8192).decode("latin-1").strip()
        except OSError:
            line = ""
        if not CHROMIUM_SERVICES.match(line):
            for watcher in self.server.watchers:
                watcher.append(line or "(a connection that sent no request)")
        with suppress(OSError):
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


class _EscapeRecorder(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Refuse)
        self.watchers: list[list[str]] = []  # the record of each open context


def _shared_browser(playwright_instance):
    """One Chromium per Playwright driver, started on first use; its proxy is the driver's escape recorder."""
    browser = getattr(playwright_instance, "mug_browser", None)
    if browser is None or not browser.is_connected():
        recorder = _EscapeRecorder()
        threading.Thread(target=recorder.serve_forever, daemon=True).start()
        proxy = f"--proxy-server=http://127.0.0.1:{recorder.server_address[1]}"
        browser = playwright_instance.chromium.launch(
            executable_path=require_binary("chromium"), headless=True, args=[*FLAGS, proxy]
        )
        playwright_instance.mug_browser, playwright_instance.mug_recorder = browser, recorder
    return browser, playwright_instance.mug_recorder


@contextmanager
def guarded_context(playwright_instance):
    """A fresh browser context. Requests that would leave the machine are refused, recorded, and fail the test.

    Each participant is a browser context of its own (own cookies, storage and cache: a profile nobody used) in one
    Chromium per Playwright driver. Chromium sends everything but loopback to a proxy on loopback that refuses it (and
    names resolve to nothing), so pages and workers alike stay here. No route is installed for this: Playwright
    routing would switch the HTTP cache off, and a participant's browser keeps one.
    `context.mug_requests` lists the local URLs requested (the page's and its workers', cached ones too);
    `context.mug_escaped` what was refused since the context opened.
    """
    require_runtime()
    browser, recorder = _shared_browser(playwright_instance)
    allowed: list[str] = []
    escaped: list[str] = []
    recorder.watchers.append(escaped)

    def seen(request) -> None:
        (allowed if is_local(request.url) else escaped).append(request.url)

    context = browser.new_context()
    context.mug_requests = allowed
    context.mug_escaped = escaped
    try:
        context.on("request", seen)
        yield context
    finally:
        context.close()
        recorder.watchers.remove(escaped)
    if escaped:
        pytest.fail(f"the browser tried to reach beyond localhost ({len(escaped)}): {escaped}")
