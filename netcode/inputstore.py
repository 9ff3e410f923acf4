"""The relay's hot path as one database write per batch: the inputs of every seat that arrived while the last
write ran are checked, stored (first write wins) and acknowledged together (group commit).

Plain synchronous Python over the ORM; netcode/inputwriter.py gathers the batches, the consumer sends what
comes back. Nothing is forwarded to a partner before it is stored, so what browsers play is what the log holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from netcode.inputlog import MAX_AHEAD, InputRefused, check_frame, contiguous
from netcode.models import ACTIVE, PLAYING, Game, GameEvent, GameInput, GameSeat
from netcode.services import GameRefused

MAX_BATCH = 64  # inputs in one message (a browser resends at most window + delay of them)
CHECKS_KEPT = 16


@dataclass
class InputEntry:
    """One input message of one seat, as the consumer parsed it."""

    seat_id: int
    episode: Any
    frame: Any
    inputs: Any
    checksums: Any


@dataclass
class InputResult:
    """What the consumer sends: the new inputs to forward and the ack, or the refusal to report."""

    new: list = field(default_factory=list)
    ack: int = -1
    desynced: list = field(default_factory=list)
    refused: Exception | None = None


def game_inputs_store(entries: list[InputEntry]) -> list[InputResult]:
    """Store a batch of input messages in one transaction; one result per entry, in order."""
    with transaction.atomic():
        seats = {s.pk: s for s in GameSeat.objects.select_related("game").filter(pk__in={e.seat_id for e in entries})}
        _load_known(list(seats.values()))
        rows: list[GameInput] = []
        touched: dict[int, dict[str, Any]] = {}
        results = [_take(entry, seats.get(entry.seat_id), rows, touched) for entry in entries]
        GameInput.objects.bulk_create(rows, ignore_conflicts=True)  # a clash: another socket's copy was first
        _update_seats(touched)
    return results


def _take(entry: InputEntry, seat: GameSeat | None, rows: list[GameInput], touched: dict) -> InputResult:
    """Check one message against its seat (as updated by the batch's earlier messages) and queue its new rows."""
    if seat is None or seat.game.status != PLAYING or seat.status != ACTIVE:
        return InputResult(refused=GameRefused("this game is over for you"))
    if entry.episode != seat.game.episode:
        return InputResult(ack=seat.acked)  # a late message about the previous episode
    try:
        batch = {f: a for f, a in _parse_inputs(entry.inputs, seat.game, seat.acked).items() if f > seat.acked}
    except InputRefused as error:
        return InputResult(refused=error)
    new = {f: a for f, a in batch.items() if f not in seat.known}
    rows += [GameInput(game=seat.game, episode=seat.game.episode, frame=f, agent=seat.agent, action=a)
             for f, a in new.items()]  # fmt: skip
    seat.known |= set(new)
    seat.acked = contiguous(seat.acked, seat.known)
    checks, desynced = _record_checks(seat, entry.checksums)
    changes = touched.setdefault(seat.pk, {})
    changes["acked"] = seat.acked
    if isinstance(entry.frame, int) and not isinstance(entry.frame, bool):
        changes["local_frame"] = entry.frame
    if checks is not None:  # at once: a later message of this batch compares against it
        seat.checks = checks
        GameSeat.objects.filter(pk=seat.pk).update(checks=checks)
    return InputResult(new=sorted(new.items()), ack=seat.acked, desynced=desynced)


def _load_known(seats: list[GameSeat]) -> None:
    """Each seat's frames stored past its ack (one query for the batch; none unless a browser left a gap)."""
    for seat in seats:
        seat.known = set()
    if not seats:
        return
    beyond = Q()
    for seat in seats:
        beyond |= Q(game_id=seat.game_id, episode=seat.game.episode, agent=seat.agent, frame__gt=seat.acked)
    by_key = {(seat.game_id, seat.agent): seat for seat in seats}
    for game_id, agent, frame in GameInput.objects.filter(beyond).values_list("game_id", "agent", "frame"):
        by_key[(game_id, agent)].known.add(frame)


def _update_seats(touched: dict[int, dict[str, Any]]) -> None:
    """One UPDATE for every seat of the batch: the ack only grows; the frame and keep-alive follow."""
    if not touched:
        return
    now = timezone.now()

    def by_seat(name: str):
        whens = [When(pk=pk, then=Value(c[name])) for pk, c in touched.items() if name in c]
        return Case(*whens, default=F(name), output_field=IntegerField()) if whens else None

    changes = {"acked": Greatest(F("acked"), by_seat("acked")), "last_seen": now}
    if (frames := by_seat("local_frame")) is not None:
        changes["local_frame"] = frames
    GameSeat.objects.filter(pk__in=touched).update(**changes)


def _parse_inputs(inputs: Any, game: Game, acked: int) -> dict[int, Any]:
    """Validate a batch; frames may run at most MAX_AHEAD past the seat's own gapless inputs."""
    if not isinstance(inputs, list) or len(inputs) > MAX_BATCH:
        raise InputRefused(f"inputs must be a list of at most {MAX_BATCH} [frame, action] pairs")
    allowed = game.netcode["actions"]
    first = game.netcode["input_delay"]
    batch = {}
    for item in inputs:
        if not isinstance(item, list) or len(item) != 2:
            raise InputRefused("each input must be [frame, action]")
        frame, action = item
        check_frame(frame, first, acked, MAX_AHEAD)
        if action not in allowed or isinstance(action, bool):
            raise InputRefused(f"action {action!r} is not one of this game's actions")
        batch.setdefault(frame, action)
    return batch


def _record_checks(seat: GameSeat, checksums: Any) -> tuple[dict | None, list[int]]:
    """The seat's recent checksums with these added (None: nothing new), and the frames where another seat's
    checksum differs (each recorded once as a desync)."""
    if not isinstance(checksums, list) or not checksums:
        return None, []
    checks = dict(seat.checks)
    for item in checksums[:8]:
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and isinstance(item[1], str):
            checks[str(item[0])] = item[1][:32]
    checks = {frame: checks[frame] for frame in sorted(checks, key=int)[-CHECKS_KEPT:]}
    desynced = set()
    for other in GameSeat.objects.filter(game_id=seat.game_id).exclude(pk=seat.pk).only("checks"):
        desynced |= {int(f) for f, digest in other.checks.items() if f in checks and checks[f] != digest}
    for frame in sorted(desynced):
        if not GameEvent.objects.filter(game_id=seat.game_id, kind="desync", frame=frame).exists():
            GameEvent.objects.create(game_id=seat.game_id, episode=seat.game.episode, frame=frame, kind="desync",
                                     agent=seat.agent, detail={"checksum": checks[str(frame)]})  # fmt: skip
    return checks, sorted(desynced)
