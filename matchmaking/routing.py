"""WebSocket route of the waiting room (under /x/<slug>/ so the participant cookie is sent)."""

from django.urls import path

from matchmaking.consumers import WaitingRoomConsumer

websocket_urlpatterns = [path("x/<slug:slug>/ws/room/", WaitingRoomConsumer.as_asgi())]
