"""Reads of matchmaking: what a waiting participant should see now, and the room's queue."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from experiments.definition.rooms import WaitingRoom
from matchmaking.models import LEFT, MATCHED, PROPOSED, TIMED_OUT, WAITING, MatchMember, WaitingEntry
from matchmaking.protocol import CONFIRM, MATCHED_MESSAGE, TIMEOUT, WAITING_MESSAGE


def entry_state(*, entry: WaitingEntry, waiting_room: WaitingRoom) -> dict:
    """The message that tells the participant where they stand (sent on every change and every few ticks)."""
    if entry.status in (WAITING, LEFT):
        waited = (timezone.now() - entry.joined_at).total_seconds()
        state = {"type": WAITING_MESSAGE, "waited_s": round(waited, 1), "timeout_s": waiting_room.timeout_s}
        if waiting_room.show_count:
            state["waiting"] = waiting_count(room_id=entry.room_id, waiting_room=waiting_room)
        return state
    if entry.status == PROPOSED:
        return {"type": CONFIRM, "match": entry.match_id}
    if entry.status == MATCHED:
        seats = dict(MatchMember.objects.filter(match_id=entry.match_id).values_list("participant_id", "agent"))
        return matched_message(entry.match, seats[entry.participant_id], len(seats))
    if entry.status == TIMED_OUT:
        return {"type": TIMEOUT}
    raise ValueError(f"unknown entry status {entry.status!r}")


def matched_message(match, seat: str, size: int) -> dict:
    message = {"type": MATCHED_MESSAGE, "match": match.pk, "seat": seat, "seed": match.seed, "size": size}
    return {**message, "host": match.host} if match.host else message


def waiting_count(*, room_id: int, waiting_room: WaitingRoom) -> int:
    """Participants present in the room and not yet in a group."""
    cutoff = timezone.now() - timedelta(seconds=waiting_room.presence_timeout_s)
    return WaitingEntry.objects.filter(room_id=room_id, status=WAITING, connected=True, last_seen__gte=cutoff).count()


def participant_entry(*, participant, scene_key: str) -> WaitingEntry | None:
    return (
        WaitingEntry.objects.filter(participant=participant, room__scene_key=scene_key).select_related("match").first()
    )
