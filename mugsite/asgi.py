"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from mugsite.checks import refuse_public_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mugsite.settings")
# Before anything serves: Daphne and uvicorn import this module, so a production server without its own key stops.
refuse_public_secret_key()
# Build the Django app first: it sets up the app registry that the consumers' imports need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from experiments.flow.sweeps import StartsSweeps  # noqa: E402
from experiments.gamedata.verification_workers import StartsVerifiers  # noqa: E402
from mugsite import bodies  # noqa: E402
from mugsite.httpbridge import DjangoOnThreads  # noqa: E402
from mugsite.limits import HttpConcurrencyLimit  # noqa: E402
from mugsite.routing import websocket_urlpatterns  # noqa: E402

bodies.install()  # Daphne refuses oversized and slow request bodies before buffering them, for either app below

# MUG_HTTP_CONCURRENCY threads serve HTTP (mugsite/httpbridge.py) and as many requests are let in at once; 0 keeps
# Django's own ASGI handler, unbounded (for comparison: bench/load_participants.py --compare-handlers).
threads = settings.MUG_HTTP_CONCURRENCY
http_app = HttpConcurrencyLimit(DjangoOnThreads(threads), threads) if threads > 0 else django_asgi_app
# Episode verification runs in worker processes that this process starts with its first request (see the module).
http_app = StartsVerifiers(http_app, settings.MUG_VERIFY_WORKERS)
# The monitoring sweep (a tab hidden past its limit) runs on a thread this process starts with its first request.
http_app = StartsSweeps(http_app)

DEFAULT_PORTS = {"http": "80", "https": "443"}


def origin_allowed(scope) -> bool:
    """As Django's CSRF check does for HTTP: the Origin is one of CSRF_TRUSTED_ORIGINS, or has the very host and
    port the socket was opened to (its Host header), a host in ALLOWED_HOSTS. A page on another port of the same
    host is another origin. Without a Host header (in-process test clients) the host alone is checked."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin or origin == "null":
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    scheme, _, netloc = origin.partition("://")
    origin_host, origin_port = split_domain_port(netloc)
    if scheme not in DEFAULT_PORTS or not origin_host or not validate_host(origin_host, settings.ALLOWED_HOSTS):
        return False
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        return True
    request_host, request_port = split_domain_port(host)
    default = DEFAULT_PORTS[scheme]
    return (origin_host, origin_port or default) == (request_host, request_port or default)


class SameOriginValidator:
    """Refuses (HTTP 403) a WebSocket whose Origin is not this site's (origin_allowed)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
