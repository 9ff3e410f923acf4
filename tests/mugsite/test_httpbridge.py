"""HTTP through Django's WSGI handler on a thread pool inside the ASGI server (mugsite/httpbridge.py)."""

# Driven at the ASGI level with a real event loop, the real Django stack and the test database (the pool's threads
# use their own connections, hence transactional_db). The whole server path (Daphne, browsers, sockets beside) is
# covered by the reliability, load and browser tests, which all go through this bridge.

from __future__ import annotations

import asyncio
import threading
from http.cookies import SimpleCookie

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from experiments.flow.models import Participant
from mugsite.httpbridge import DjangoOnThreads

pytestmark = pytest.mark.django_db(transaction=True)
STREAM_GO = threading.Event()
STREAM_STARTED = threading.Event()


def streamed(request):
    def parts():
        STREAM_STARTED.set()
        yield b"first;"
        STREAM_GO.wait(60)  # held open until the test has been served something else
        yield b"second"

    return StreamingHttpResponse(parts(), content_type="text/plain")


def quick(request):
    return HttpResponse(b"quick")


def notify(request):
    """A view that talks to the channel layer as staff actions do (netcode/notify.py)."""
    async_to_sync(get_channel_layer().send)(request.GET["channel"], {"type": "note", "text": "hello"})
    return HttpResponse(b"sent")


urlpatterns = [path("stream/", streamed), path("quick/", quick), path("notify/", notify)]


def call(app, method: str, url: str, body: bytes = b"", headers: list | None = None):
    """One request through `app`: (status, headers, body) as the server would send them."""
    target, _, query = url.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": target,
        "query_string": query.encode(),
        "root_path": "",
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"127.0.0.1:8000"), *(headers or [])],
    }
    sent, delivered = [], False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body}
        await asyncio.sleep(3600)  # Django never asks again; a disconnect would arrive here

    async def send(message):
        sent.append(message)

    async def run():
        await app(scope, receive, send)
        start = sent[0]
        return start["status"], start["headers"], b"".join(m.get("body", b"") for m in sent[1:])

    return run()


def cookies_of(headers) -> dict[str, str]:
    jar = {}
    for name, value in headers:
        if name == b"set-cookie":
            jar.update({key: morsel.value for key, morsel in SimpleCookie(value.decode()).items()})
    return jar


async def start(app, query: bytes):
    """The landing page, then its Start (a form POST with the CSRF token): the POST's status and headers."""
    _, landing, _ = await call(app, "GET", "/x/flow/?" + query.decode())
    token = cookies_of(landing)["csrftoken"]
    form = [(b"cookie", _jar(landing)), (b"content-type", b"application/x-www-form-urlencoded")]
    return await call(app, "POST", "/x/flow/", b"csrfmiddlewaretoken=" + token.encode() + b"&" + query, form)


def test_a_participant_enters_and_sees_the_consent_page_through_the_bridge():
    async def main():
        app = DjangoOnThreads(2)
        status, headers, _ = await start(app, b"PROLIFIC_PID=abc&STUDY_ID=s&SESSION_ID=t")
        cookie = "; ".join(f"{k}={v}" for k, v in cookies_of(headers).items())
        page = await call(app, "GET", "/x/flow/flow/", headers=[(b"cookie", cookie.encode())])
        return status, dict(headers), page

    status, headers, (page_status, _, html) = asyncio.run(main())
    assert status == 302 and headers[b"location"] == b"/x/flow/flow/"
    assert page_status == 200 and b'data-scene="welcome"' in html
    assert Participant.objects.get().external_id == "abc"


def test_a_json_post_reaches_the_view_whole_and_csrf_is_enforced():
    async def main():
        app = DjangoOnThreads(2)
        _, headers, _ = await start(app, b"PROLIFIC_PID=abc&STUDY_ID=s&SESSION_ID=t")
        _, headers_page, _ = await call(app, "GET", "/x/flow/flow/", headers=[(b"cookie", _jar(headers))])
        jar = {**cookies_of(headers), **cookies_of(headers_page)}
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items()).encode()
        body = b'{"kind": "error", "message": "x"}'
        json_headers = [
            (b"cookie", cookie),
            (b"content-type", b"application/json"),
            (b"origin", b"http://127.0.0.1:8000"),
        ]
        forged = await call(app, "POST", "/x/flow/episodes/", body, json_headers)
        token = jar["csrftoken"].encode()
        real = await call(
            app, "POST", "/x/flow/episodes/", b'{"scene_key": "nope"}', [*json_headers, (b"x-csrftoken", token)]
        )
        return forged, real

    forged, real = asyncio.run(main())
    assert forged[0] == 403  # no CSRF token
    assert real[0] == 409 and b"not at scene" in real[2]  # the body arrived and the view judged it


def _jar(headers) -> bytes:
    return "; ".join(f"{k}={v}" for k, v in cookies_of(headers).items()).encode()


@override_settings(ROOT_URLCONF=__name__)
def test_a_streamed_response_does_not_hold_the_only_request_thread():
    STREAM_GO.clear()
    STREAM_STARTED.clear()

    async def main():
        app = DjangoOnThreads(1)
        download = asyncio.create_task(call(app, "GET", "/stream/"))
        assert await asyncio.to_thread(STREAM_STARTED.wait, 60)  # the download is open (its view is streaming)
        # Served while the download is open (a generous deadline: were the thread held, this would wait for the
        # stream's 60 s).
        other = await asyncio.wait_for(call(app, "GET", "/quick/"), 30)
        STREAM_GO.set()
        return other, await download

    other, download = asyncio.run(main())
    assert other[0] == 200 and other[2] == b"quick"
    assert download[0] == 200 and download[2] == b"first;second"


@override_settings(ROOT_URLCONF=__name__)
def test_async_to_sync_in_a_view_runs_on_the_servers_event_loop():
    """The in-memory channel layer lives in the server's loop; a view's message must arrive there."""

    async def main():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        response = await call(DjangoOnThreads(1), "GET", f"/notify/?channel={channel}")
        return response, await asyncio.wait_for(layer.receive(channel), 3)

    (status, _, body), message = asyncio.run(main())
    assert status == 200 and body == b"sent" and message == {"type": "note", "text": "hello"}


def test_a_request_with_hundreds_of_duplicate_headers_gets_a_400():
    flood = [(b"x-flood", b"1")] * 150
    status, _, body = asyncio.run(call(DjangoOnThreads(1), "GET", "/x/flow/", headers=flood))
    assert status == 400 and b"duplicate headers" in body
