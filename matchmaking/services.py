"""Writes of matchmaking: joining a room, presence, forming groups, acknowledging, sweeping ghosts and timeouts.

Every state change is a conditional update in the database, so any number of server processes can call these
concurrently: a participant is in at most one group, and a group never has more members than seats.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from experiments.definition.errors import ApplicationError
from experiments.definition.matchers import Candidate
from experiments.definition.rooms import WaitingRoom
from experiments.flow.models import ACTIVE, Participant
from matchmaking.models import (
    CANCELLED,
    CONFIRMED,
    LEFT,
    MATCHED,
    PROPOSED,
    TIMED_OUT,
    WAITING,
    Match,
    MatchMember,
    Room,
    WaitingEntry,
)
from matchmaking.placement import placement_host

SWEEP_INTERVAL = timedelta(milliseconds=500)


class MatchmakingError(ApplicationError):
    """A request the room refuses; the message is shown to the participant."""


def room_get(*, experiment, scene_key: str) -> Room:
    room = Room.objects.filter(experiment=experiment, scene_key=scene_key).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            return Room.objects.get_or_create(experiment=experiment, scene_key=scene_key)[0]
    except IntegrityError:  # created by another process in between
        return Room.objects.get(experiment=experiment, scene_key=scene_key)


def waiting_join(*, participant: Participant, room: Room, channel_name: str) -> tuple[WaitingEntry, str]:
    """Enter the room, or come back to the same place; returns the entry and the channel it took over from."""
    if participant.status != ACTIVE or participant.current_key != room.scene_key:
        raise MatchmakingError("you are not at this game in the study")
    now = timezone.now()
    with transaction.atomic():
        entry, created = WaitingEntry.objects.select_for_update().get_or_create(
            room=room,
            participant=participant,
            defaults={"joined_at": now, "last_seen": now, "channel_name": channel_name},
        )
        previous = "" if created or not entry.connected or entry.channel_name == channel_name else entry.channel_name
        if entry.status == LEFT:
            entry.status = WAITING  # back in the queue at the old place: joined_at is kept
        entry.connected, entry.channel_name, entry.last_seen = True, channel_name, now
        entry.save(update_fields=["status", "connected", "channel_name", "last_seen"])
    return entry, previous


def waiting_seen(*, entry_id: int, channel_name: str, rtt_ms: float | None) -> None:
    """A pong: the participant is present (one dropped for silence, e.g. by a stalled server, is back at its
    old place); the round trip is smoothed (half old, half new)."""
    entry = WaitingEntry.objects.filter(pk=entry_id, channel_name=channel_name).values("rtt_ms", "status").first()
    if entry is None:
        return
    rtt = rtt_ms if entry["rtt_ms"] is None or rtt_ms is None else (entry["rtt_ms"] + rtt_ms) / 2
    status = WAITING if entry["status"] == LEFT else entry["status"]
    WaitingEntry.objects.filter(pk=entry_id, channel_name=channel_name, status=entry["status"]).update(
        last_seen=timezone.now(), connected=True, rtt_ms=rtt, status=status
    )


def waiting_disconnect(*, entry_id: int, channel_name: str) -> None:
    """The socket closed; a newer socket of the same participant is not affected."""
    WaitingEntry.objects.filter(pk=entry_id, channel_name=channel_name).update(connected=False)


def room_match(*, room: Room, waiting_room: WaitingRoom, seats: list[str]) -> list[Match]:
    """Propose as many groups as the matcher forms from the present, unmatched participants."""
    now = timezone.now()
    entries = list(_present(room, waiting_room, now))
    history = _previous_partners(room, waiting_room, [e.participant_id for e in entries])
    candidates = [
        Candidate(
            e.participant_id, (now - e.joined_at).total_seconds(), e.rtt_ms, history.get(e.participant_id, frozenset())
        )
        for e in entries
    ]
    by_participant = {e.participant_id: e for e in entries}
    proposed = []
    while len(candidates) >= len(seats):
        group = waiting_room.matcher.find_group(candidates, len(seats))
        if not group or len(group) != len(seats):
            break
        match = _propose(room, waiting_room, seats, [by_participant[c.participant_id] for c in group], group)
        if match is None:
            break  # another process took one of them: try again on the next sweep
        proposed.append(match)
        taken = {c.participant_id for c in group}
        candidates = [c for c in candidates if c.participant_id not in taken]
    return proposed


def _present(room: Room, waiting_room: WaitingRoom, now):
    cutoff = now - timedelta(seconds=waiting_room.presence_timeout_s)
    return WaitingEntry.objects.filter(room=room, status=WAITING, connected=True, last_seen__gte=cutoff).order_by(
        "joined_at", "pk"
    )


def _previous_partners(room: Room, waiting_room: WaitingRoom, participant_ids: list[int]) -> dict[int, frozenset]:
    """For GroupReunion: each participant's partners in the confirmed match of the source scene."""
    source = getattr(waiting_room.matcher, "source_scene", None)
    if source is None:
        return {}
    members = MatchMember.objects.filter(
        match__room__experiment=room.experiment_id,
        match__room__scene_key=source,
        match__status=CONFIRMED,
        match__members__participant__in=participant_ids,
    ).values_list("match_id", "participant_id")
    groups: dict[int, set[int]] = {}
    for match_id, participant_id in members:
        groups.setdefault(match_id, set()).add(participant_id)
    partners = {}
    for group in groups.values():
        for participant_id in group:
            partners[participant_id] = frozenset(group - {participant_id})
    return partners


def _propose(room, waiting_room, seats, entries, group) -> Match | None:
    """Create the match and move its members from waiting to proposed, all or nothing."""
    now = timezone.now()
    ids = [entry.pk for entry in entries]
    try:
        with transaction.atomic():
            match = Match.objects.create(
                room=room,
                matcher=waiting_room.matcher.describe(),
                seed=secrets.randbelow(2**31),
                ack_deadline=now + timedelta(seconds=waiting_room.ack_timeout_s),
                host=placement_host(),
            )
            # Seats go in order of arrival: deterministic and recorded.
            MatchMember.objects.bulk_create(
                MatchMember(
                    match=match, participant_id=c.participant_id, agent=seat, waited_s=c.waited_s, rtt_ms=c.rtt_ms
                )
                for seat, c in zip(seats, group, strict=True)
            )
            moved = WaitingEntry.objects.filter(pk__in=ids, status=WAITING).update(status=PROPOSED, match=match)
            if moved != len(ids):
                raise IntegrityError("a member was taken by another process")
    except IntegrityError:
        return None
    return match


def match_ack(*, entry_id: int, match_id: int) -> Match | None:
    """A member confirms; the last confirmation turns the match into a confirmed one (returned then)."""
    now = timezone.now()
    with transaction.atomic():
        entry = WaitingEntry.objects.filter(pk=entry_id, match_id=match_id, status=PROPOSED).first()
        if entry is None:
            return None
        MatchMember.objects.filter(match_id=match_id, participant_id=entry.participant_id, acked_at=None).update(
            acked_at=now
        )
        if MatchMember.objects.filter(match_id=match_id, acked_at=None).exists():
            return None
        if not Match.objects.filter(pk=match_id, status=PROPOSED).update(status=CONFIRMED, confirmed_at=now):
            return None
        WaitingEntry.objects.filter(match_id=match_id).update(status=MATCHED, ended_at=now)
    return Match.objects.get(pk=match_id)


def room_sweep(*, room: Room, waiting_room: WaitingRoom, on_timeout) -> bool:
    """Dissolve unconfirmed groups past their deadline, drop ghosts, time out long waits. One process per
    interval does it (conditional update on `swept_at`); returns whether this call did."""
    now = timezone.now()
    due = Room.objects.filter(pk=room.pk).filter(swept_at__isnull=True) | Room.objects.filter(
        pk=room.pk, swept_at__lt=now - SWEEP_INTERVAL
    )
    if not due.update(swept_at=now):
        return False
    for match in Match.objects.filter(room=room, status=PROPOSED, ack_deadline__lt=now):
        match_cancel(match=match)
    ghosts = now - timedelta(seconds=waiting_room.presence_timeout_s)
    WaitingEntry.objects.filter(room=room, status=WAITING, last_seen__lt=ghosts).update(status=LEFT, connected=False)
    expired = now - timedelta(seconds=waiting_room.timeout_s)
    _time_out(WaitingEntry.objects.filter(room=room, status__in=[WAITING, LEFT], joined_at__lt=expired), on_timeout)
    return True


def room_release(*, room: Room, on_timeout) -> int:
    """Staff release a stuck room: open proposals are cancelled and every wait ends now with the room's timeout
    outcome (no partner, continue to a scene, or play with AI); returns how many waits ended."""
    for match in Match.objects.filter(room=room, status=PROPOSED):
        match_cancel(match=match)
    return _time_out(WaitingEntry.objects.filter(room=room, status__in=[WAITING, LEFT]), on_timeout)


def waiting_end(*, participant: Participant) -> None:
    """The participant's flow ended elsewhere: none of their waits may still form a group."""
    WaitingEntry.objects.filter(participant=participant, status__in=[WAITING, LEFT]).update(
        status=TIMED_OUT, ended_at=timezone.now()
    )


def _time_out(entries, on_timeout) -> int:
    ended = 0
    for entry in entries:
        if WaitingEntry.objects.filter(pk=entry.pk, status__in=[WAITING, LEFT]).update(
            status=TIMED_OUT, ended_at=timezone.now()
        ):
            on_timeout(entry)
            ended += 1
    return ended


def match_cancel(*, match: Match) -> None:
    """A group that did not confirm in time: those who confirmed wait again at their old place; those who did
    not are treated as gone until their browser speaks again."""
    with transaction.atomic():
        if not Match.objects.filter(pk=match.pk, status=PROPOSED).update(status=CANCELLED):
            return
        acked = set(match.members.exclude(acked_at=None).values_list("participant_id", flat=True))
        entries = WaitingEntry.objects.filter(match=match, status=PROPOSED)
        entries.filter(participant_id__in=acked).update(status=WAITING, match=None)
        entries.exclude(participant_id__in=acked).update(status=WAITING, match=None, connected=False)


def waits_end_with_session(*, participant: Participant, definition, outcome: str) -> None:
    """The flow's session-end hook (matchmaking/apps.py)."""
    waiting_end(participant=participant)
