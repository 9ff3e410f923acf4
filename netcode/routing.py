"""WebSocket routes; each real-time feature adds its consumer here."""

from __future__ import annotations

from matchmaking.routing import websocket_urlpatterns as matchmaking_routes

websocket_urlpatterns: list = [*matchmaking_routes]
