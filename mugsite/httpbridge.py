"""HTTP inside Daphne through Django's WSGI handler on a fixed pool of threads: one thread hop per request."""

# Django's ASGI handler runs a sync view on a new thread per request and, in async mode, hops to a thread and back
# for every hook of every middleware. Measured here (bench/load_participants.py --compare-handlers): several times
# the CPU of the request's own work for a small page. This bridge builds the WSGI environ from the ASGI scope
# (asgiref's own translation), runs the whole sync middleware chain and view in one pool thread and sends the
# response from there. The threads persist, so each keeps its database connection per Django's CONN_MAX_AGE rules
# (request_started / request_finished fire as under any WSGI server). A streamed response (an export, a static
# file) is sent from a second pool, so a long download never holds a thread that participants' requests need.

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile

from asgiref.sync import SyncToAsync
from asgiref.wsgi import WsgiToAsgiInstance
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

BODY_IN_MEMORY = 1_000_000  # larger request bodies go to a temporary file


class DjangoOnThreads:
    """An ASGI app for HTTP that serves Django on `threads` threads (+ as many for streamed responses)."""

    def __init__(self, threads: int) -> None:
        self.handler = WSGIHandler()
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="http")
        self.stream_pool = ThreadPoolExecutor(threads, thread_name_prefix="http-stream")

    async def __call__(self, scope, receive, send) -> None:
        with SpooledTemporaryFile(max_size=BODY_IN_MEMORY) as body:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client left before its request arrived whole
                body.write(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            size = body.tell()
            body.seek(0)
            exchange = _Exchange(scope, asyncio.get_running_loop(), send)
            # SyncToAsync (not run_in_executor) so that async_to_sync inside a view runs on this event loop.
            streamed = await SyncToAsync(exchange.respond, thread_sensitive=False, executor=self.pool)(
                self.handler, body, size
            )
            if streamed is not None:  # (the body stays open: a generator may still read the request)
                await SyncToAsync(exchange.stream, thread_sensitive=False, executor=self.stream_pool)(streamed)


class _Exchange:
    """One request: its environ, the status and headers Django gives, and sending from a worker thread."""

    def __init__(self, scope, loop: asyncio.AbstractEventLoop, send) -> None:
        self.scope, self.loop, self._send = scope, loop, send
        self.start: dict | None = None

    def respond(self, handler: WSGIHandler, body, size: int):
        """Run Django; send a whole response and return None, or return a streamed one for `stream`."""
        translator = WsgiToAsgiInstance(handler)
        translator.scope = self.scope
        try:
            environ = translator.build_environ(self.scope, body)
        except ValueError:  # asgiref refuses a request with too many duplicate headers
            self.send({"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"text/plain")]})
            self.send({"type": "http.response.body", "body": b"Bad Request: too many duplicate headers"})
            return None
        environ["CONTENT_LENGTH"] = str(size)  # what arrived (a chunked upload has no header; WSGI reads this much)
        response = handler(environ, self.start_response)
        if getattr(response, "streaming", False):
            close_old_connections()  # the stream runs on another thread, with its own connection
            return response
        try:
            self.send(self.start)
            self.send({"type": "http.response.body", "body": b"".join(response)})
        finally:
            response.close()  # request_finished: connections closed or kept per CONN_MAX_AGE
        return None

    def stream(self, response) -> None:
        try:
            self.send(self.start)
            for part in response:
                if part:
                    self.send({"type": "http.response.body", "body": part, "more_body": True})
            self.send({"type": "http.response.body"})
        finally:
            response.close()

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
        self.start = {
            "type": "http.response.start",
            "status": int(status.split(" ", 1)[0]),
            "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        }

    def send(self, message: dict) -> None:
        asyncio.run_coroutine_threadsafe(self._send(message), self.loop).result()
