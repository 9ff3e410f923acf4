"""The researcher's view of matchmaking: each room's queue, and every match with its members and latencies."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from experiments.control.admin import ReadOnlyAdmin, ReadOnlyInline
from matchmaking.handlers import room_release_now
from matchmaking.models import WAITING, Match, MatchMember, Room, WaitingEntry


class MemberInline(ReadOnlyInline):
    model = MatchMember
    fields = ["participant", "agent", "waited_s", "rtt_ms", "acked_at"]


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "room", "status", "matcher_name", "members_list", "seed", "created_at", "confirmed_at"]
    list_filter = ["status", "room__experiment", "room__scene_key"]
    search_fields = ["members__participant__external_id"]
    readonly_fields = ["room", "status", "matcher", "seed", "created_at", "confirmed_at", "ack_deadline"]
    inlines = [MemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room__experiment").prefetch_related("members__participant")

    @admin.display(description="Matcher")
    def matcher_name(self, match: Match) -> str:
        return match.matcher.get("matcher", "")

    @admin.display(description="Seats")
    def members_list(self, match: Match) -> str:
        """e.g. "chaser: P1 (42 ms), runner: P2 (n/a)"."""
        return ", ".join(
            f"{m.agent}: {m.participant.external_id or m.participant_id} ({_ms(m.rtt_ms)})" for m in match.members.all()
        )


@admin.register(WaitingEntry)
class WaitingEntryAdmin(ReadOnlyAdmin):
    list_display = ["participant", "room", "status", "present", "waited", "rtt", "joined_at", "last_seen", "match"]
    list_filter = ["status", "connected", "room__experiment", "room__scene_key"]
    search_fields = ["participant__external_id"]
    readonly_fields = [
        "room",
        "participant",
        "status",
        "joined_at",
        "last_seen",
        "connected",
        "rtt_ms",
        "match",
        "ended_at",
    ]
    list_select_related = ["participant", "room__experiment", "match"]

    @admin.display(boolean=True, description="Present")
    def present(self, entry: WaitingEntry) -> bool:
        return entry.connected and entry.last_seen >= timezone.now() - timedelta(seconds=10)

    @admin.display(description="Waited")
    def waited(self, entry: WaitingEntry) -> str:
        end = timezone.now() if entry.status == WAITING else entry.ended_at or entry.last_seen
        return f"{(end - entry.joined_at).total_seconds():.0f} s"

    @admin.display(description="RTT")
    def rtt(self, entry: WaitingEntry) -> str:
        return _ms(entry.rtt_ms)


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "waiting_now", "matches_confirmed", "swept_at"]
    readonly_fields = ["experiment", "scene_key", "swept_at"]
    actions = ["release"]

    def has_release_room_permission(self, request) -> bool:
        return request.user.has_perm("matchmaking.release_room")

    @admin.action(
        description="Release: end every wait in the selected rooms now, with the room's timeout outcome",
        permissions=["release_room"],
    )
    def release(self, request, queryset):
        ended = sum(room_release_now(room_id=room.pk) for room in queryset)
        self.message_user(request, f"{ended} wait(s) ended; those participants moved on as the room's timeout says.")

    @admin.display(description="Waiting now")
    def waiting_now(self, room: Room) -> int:
        return room.entries.filter(status=WAITING, connected=True).count()

    @admin.display(description="Confirmed matches")
    def matches_confirmed(self, room: Room) -> int:
        return room.matches.filter(status="confirmed").count()


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"
