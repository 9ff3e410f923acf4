"""/healthz on a production-like Daphne, asked with plain HTTP: 200 with the worker's name when its database and
channel layer answer; 503 naming the channel layer when Redis is unreachable (and no detail of the failure)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from testkit.servers import production_daphne

pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_a_healthy_worker_says_so_with_its_name(tmp_path):
    with production_daphne(tmp_path, [], MUG_WORKER_NAME="worker-2") as server:
        status, body, headers = _get(f"{server.url}/healthz")
    assert status == 200 and body == {
        "ok": True,
        "worker": "worker-2",
        "checks": {"database": "ok", "channel_layer": "ok"},
        "relay": {"games": 0, "sockets": 0, "layer_sent": {}},
    }
    assert "no-cache" in headers.get("Cache-Control", "")  # a proxy must not answer for a dead worker


def test_an_unreachable_redis_makes_the_worker_unhealthy_without_saying_more(tmp_path):
    with production_daphne(tmp_path, [], REDIS_URL="redis://127.0.0.1:9/0") as server:  # port 9: nothing listens
        status, body, _ = _get(f"{server.url}/healthz")
    assert status == 503 and body["ok"] is False
    assert body["checks"]["database"] == "ok" and body["checks"]["channel_layer"].startswith("failed (")
    assert "127.0.0.1" not in json.dumps(body)
