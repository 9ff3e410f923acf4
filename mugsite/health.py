"""The health endpoint a process manager or reverse proxy polls: this process answers, and reaches its database and
its channel layer (the relay's path between processes). 200 when all are fine, 503 naming what is not."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from netcode.localgroups import relay_stats

CHECK_TIMEOUT_S = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    await layer.receive(channel)


async def _check(run) -> str:
    """'ok', or the kind of failure (never its message: this answer is public)."""
    try:
        await asyncio.wait_for(run(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return "no answer"
    except Exception as error:  # noqa: BLE001 (any failure of the dependency is what this endpoint reports)
        return f"failed ({type(error).__name__})"
    return "ok"


@never_cache
async def health(request):
    checks = {
        "database": await _check(sync_to_async(_database)),
        "channel_layer": await _check(_channel_layer),
    }
    ok = all(state == "ok" for state in checks.values())
    body = {"ok": ok, "worker": settings.MUG_WORKER_NAME, "checks": checks, "relay": relay_stats()}
    return JsonResponse(body, status=200 if ok else 503)
