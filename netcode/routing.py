"""WebSocket routes; each real-time feature adds its consumer here."""

from __future__ import annotations

websocket_urlpatterns: list = []
