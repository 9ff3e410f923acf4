"""Request bodies refused inside Daphne by size (413) and by time (408) before they are buffered."""

# Daphne reads a request's whole body (Twisted's http.Request: into memory, or a temporary file past 100 kB) before
# it calls the ASGI app, so no ASGI middleware can refuse a body early: an anonymous 2 GB POST was read whole
# (2.28 GB RSS, 4.1 GB of temporary files) before Django answered 403. Daphne makes each request from the name
# `daphne.http_protocol.WebRequest` when a connection opens; `install()` puts the subclass below there (at import
# of mugsite.asgi), so every request is checked where Twisted hands over its parts: the declared Content-Length as
# the headers end, each chunk of a chunked body as it arrives, and the time since the request line at Daphne's
# periodic timeout check. This holds for both HTTP apps (the bridge and Django's ASGI handler) and for WebSocket
# handshakes, which pass through the same request object.

from __future__ import annotations

import json
import re
import time

from daphne import http_protocol
from django.conf import settings

# Routes whose clients read JSON (the pages' fetch calls and the export API) get a JSON error; pages get HTML.
JSON_ROUTES = re.compile(rb"^/(api/|x/[^/?]+/(screening|monitor|client-error|data|episodes|runtime-error)/)")
UPLOAD_ROUTES = re.compile(rb"^/x/[^/?]+/data/")  # step chunks: the largest bodies a participant sends
# After refusing, read (and drop) this much more for a moment so that the client, still sending, reads the answer
# before the connection closes (closing with unread data makes the kernel reset it, and the answer can be lost).
LINGER_BYTES = 256_000
LINGER_S = 2.0
REASONS = {408: "Request Timeout", 413: "Content Too Large"}


def body_limit(path: bytes) -> int:
    """The largest body this route takes, in bytes (settings MUG_MAX_UPLOAD_BYTES and MUG_MAX_BODY_BYTES)."""
    return settings.MUG_MAX_UPLOAD_BYTES if UPLOAD_ROUTES.match(path) else settings.MUG_MAX_BODY_BYTES


class GuardedRequest(http_protocol.WebRequest):
    """Daphne's request, refusing a body over its route's limit or a request that is not whole in time."""

    def __init__(self, *args, **kwargs) -> None:
        self.begun_at = time.monotonic()  # the request line has arrived (Twisted makes the request then)
        self.refused = False
        self.received = 0
        self.limit = settings.MUG_MAX_BODY_BYTES
        super().__init__(*args, **kwargs)

    def gotLength(self, length: int | None) -> None:
        self.limit = body_limit(self._path())
        if self.refused or (length is not None and length > self.limit):
            self.requestHeaders.removeHeader(b"Expect")  # no "100 Continue" after the refusal
            self.content = _Sink()
        if length is not None and length > self.limit and not self.refused:
            self._refuse(413, f"The request body is {length} bytes; this address takes at most {self.limit}.")
        if not self.refused:
            super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            self.received += len(data)
            if self.received > LINGER_BYTES:
                self._abort()
            return
        self.received += len(data)
        if self.received > self.limit:  # a chunked body (no length declared) grew past the limit
            self.received = 0
            self._refuse(413, f"The request body is over {self.limit} bytes, the most this address takes.")
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version) -> None:
        if not self.refused:
            super().requestReceived(command, path, version)

    def check_timeouts(self) -> None:
        whole = hasattr(self, "request_start")  # Daphne sets it once the body is complete and the app is called
        waited = time.monotonic() - self.begun_at
        if not whole and not self.refused and self.channel is not None and waited > settings.MUG_BODY_TIMEOUT_S:
            self._refuse(408, f"The request did not arrive whole within {settings.MUG_BODY_TIMEOUT_S} seconds.")
            return
        super().check_timeouts()

    def _path(self) -> bytes:
        return getattr(self.channel, "_path", b"") or b""  # the request line, parsed before any header

    def _refuse(self, status: int, message: str) -> None:
        """Answer now with `status`, stop taking the body, and close the connection soon."""
        self.refused = True
        if JSON_ROUTES.match(self._path()):
            body, kind = json.dumps({"error": message}).encode(), b"application/json"
        else:
            body, kind = f"<!doctype html><title>{REASONS[status]}</title><p>{message}</p>".encode(), b"text/html"
        head = f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        transport = self.channel.transport
        transport.write(head.encode() + b"Content-Type: " + kind + b"; charset=utf-8\r\n\r\n" + body)
        transport.loseWriteConnection()
        self.channel.callLater(LINGER_S, self._abort)  # (the reactor's, via Twisted's TimeoutMixin)

    def _abort(self) -> None:
        transport = self.channel.transport if self.channel is not None else None
        if transport is not None and transport.connected:
            transport.abortConnection()


class _Sink:
    """Where a refused body goes: nowhere."""

    closed = False

    def write(self, data: bytes) -> None:
        pass

    def read(self, size: int = -1) -> bytes:
        return b""

    def seek(self, *args) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def install() -> None:
    """Make Daphne build every request as a GuardedRequest (read when each connection opens)."""
    http_protocol.WebRequest = GuardedRequest
