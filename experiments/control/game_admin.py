"""The researcher's view of group games: seats with latency and presence, the event timeline, the input log."""

from __future__ import annotations

from django.contrib import admin

from experiments.control.admin import ReadOnlyAdmin, ReadOnlyInline
from netcode.models import Game, GameEvent, GameInput, GameSeat
from netcode.selectors import seat_state


class SeatInline(ReadOnlyInline):
    model = GameSeat
    fields = [
        "participant",
        "agent",
        "status",
        "acked",
        "local_frame",
        "rtt_ms",
        "connected",
        "hidden_since",
        "replaced_from",
        "last_seen",
    ]


class EventInline(ReadOnlyInline):
    model = GameEvent
    fields = ["at", "episode", "frame", "kind", "agent", "detail"]


@admin.register(Game)
class GameAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "scene_key",
        "runs_on",
        "status",
        "episode",
        "seats_now",
        "desyncs",
        "created_at",
        "ended_at",
    ]
    list_filter = ["status", "runs_on", "experiment", "scene_key"]
    search_fields = ["seats__participant__external_id"]
    readonly_fields = [
        "experiment",
        "match",
        "scene_key",
        "runs_on",
        "status",
        "episode",
        "seeds",
        "netcode",
        "frame",
        "stats",
        "error",
        "host",
        "host_seen",
        "created_at",
        "ended_at",
    ]
    inlines = [SeatInline, EventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("seats__participant")

    @admin.display(description="Seats")
    def seats_now(self, game: Game) -> str:
        """e.g. "chaser: P1 here (40 ms), runner: P2 hidden"."""
        return ", ".join(
            f"{s.agent}: {s.participant.external_id or s.participant_id} {seat_state(s)}"
            + (f" ({s.rtt_ms:.0f} ms)" if s.rtt_ms is not None else "")
            for s in game.seats.all()
        )

    @admin.display(description="Desyncs")
    def desyncs(self, game: Game) -> int:
        return game.events.filter(kind="desync").count()


@admin.register(GameInput)
class GameInputAdmin(ReadOnlyAdmin):
    list_display = ["game", "episode", "frame", "agent", "action", "received_at"]
    list_filter = ["game__experiment"]
    search_fields = ["game__id"]
