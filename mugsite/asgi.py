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
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from experiments.verification_workers import StartsVerifiers  # noqa: E402
from mugsite import bodies  # noqa: E402
from mugsite.httpbridge import DjangoOnThreads  # noqa: E402
from mugsite.limits import HttpConcurrencyLimit  # noqa: E402
from netcode.routing import websocket_urlpatterns  # noqa: E402

bodies.install()  # Daphne refuses oversized and slow request bodies before buffering them, for either app below

# MUG_HTTP_CONCURRENCY threads serve HTTP (mugsite/httpbridge.py) and as many requests are let in at once; 0 keeps
# Django's own ASGI handler, unbounded (for comparison: bench/load_participants.py --compare-handlers).
threads = settings.MUG_HTTP_CONCURRENCY
http_app = HttpConcurrencyLimit(DjangoOnThreads(threads), threads) if threads > 0 else django_asgi_app
# Episode verification runs in worker processes that this process starts with its first request (see the module).
http_app = StartsVerifiers(http_app, settings.MUG_VERIFY_WORKERS)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
