"""WebSocket routes; each real-time feature adds its consumer here (under /x/<slug>/ so the cookie is sent)."""

from __future__ import annotations

from django.urls import path

from experiments.live_consumer import LiveMonitorConsumer
from matchmaking.routing import websocket_urlpatterns as matchmaking_routes
from netcode.consumers import GameConsumer
from servergame.consumers import ServerGameConsumer

websocket_urlpatterns: list = [
    *matchmaking_routes,
    path("x/<slug:slug>/ws/game/", GameConsumer.as_asgi()),
    path("x/<slug:slug>/ws/play/", ServerGameConsumer.as_asgi()),
    path("admin/live/ws/", LiveMonitorConsumer.as_asgi()),
]
