"""Every WebSocket route of the site (the paths are named in experiments/flow/sockets.py)."""

from __future__ import annotations

from django.urls import path

from experiments.control.live_consumer import LiveMonitorConsumer
from experiments.flow.sockets import GAME_ROUTE, LIVE_ROUTE, ROOM_ROUTE, SERVER_GAME_ROUTE
from matchmaking.consumers import WaitingRoomConsumer
from netcode.consumers import GameConsumer
from netcode.server.consumers import ServerGameConsumer

websocket_urlpatterns: list = [
    path(ROOM_ROUTE, WaitingRoomConsumer.as_asgi()),
    path(GAME_ROUTE, GameConsumer.as_asgi()),
    path(SERVER_GAME_ROUTE, ServerGameConsumer.as_asgi()),
    path(LIVE_ROUTE, LiveMonitorConsumer.as_asgi()),
]
