"""The relay's hot path as one database write per batch: the inputs of every seat that arrived while the last
write ran are checked, stored (first write wins) and acknowledged together (group commit).

Plain synchronous Python; netcode/input_commit.py gathers the batches, the consumer sends what comes back.
Nothing is forwarded to a partner before it is stored, so what browsers play is what the log holds. The seat that
drives a game's relayed AI agents (mug.relayed: the first seat still playing) sends their inputs in the same
messages (`ai`); they are checked, stored and acknowledged per agent the same way, and ignored from any other seat.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from netcode.input_rules import MAX_AHEAD, RESYNCS, InputRefused, check_frame, contiguous
from netcode.models import ACTIVE, PLAYING, Game, GameEvent, GameInput, GameSeat
from netcode.services import GameRefused

MAX_BATCH = 64  # inputs in one message (a browser resends at most window + delay of them)
MAX_CHECKSUMS = 64  # checksums in one message (a browser sends one per 10 confirmed frames, new ones only)
FRAME_LIMIT = 2**31  # frames and episodes fit the integer columns on every database
CHECKS_KEPT = 16
RESYNC_HOLD = 90  # frames after a refereed desync whose mismatches are not refereed again (3 s at 30 fps)
INSERT_ROWS = 500  # rows per INSERT statement (6 parameters each, well inside SQLite's limit)
logger = logging.getLogger(__name__)


@dataclass
class InputEntry:
    """One input message of one seat, as the consumer parsed it."""

    seat_id: int
    episode: Any
    frame: Any
    inputs: Any
    checksums: Any
    resynced: int = 0  # how many of the relay's resyncs the browser had applied when it sent this
    ai: list = field(default_factory=list)  # [agent, frame, action] of relayed AI agents, from their driver


@dataclass
class InputResult:
    """What the consumer sends: the new inputs to forward and the ack, or the refusal to report."""

    new: list = field(default_factory=list)
    ack: int = -1
    desynced: list = field(default_factory=list)
    refused: Exception | None = None
    ai_new: list = field(default_factory=list)  # [agent, frame, action] stored by this batch, for the others
    ai_ack: dict = field(default_factory=dict)  # relayed agent -> highest frame stored with no gap (driver only)


@dataclass
class SeatNow:
    """A seat as the batch sees it: read once, then advanced by each of its messages in turn."""

    pk: int
    game_id: int
    agent: str
    acked: int
    active: bool
    episode: int
    netcode: dict
    checks: dict
    pending: set = field(default_factory=set)
    local_frame: int | None = None
    touched: bool = False
    driver: bool = False  # the first seat still playing: it sends the relayed AI agents' inputs
    ai_acked: dict = field(default_factory=dict)
    ai_pending: dict = field(default_factory=dict)
    ai_touched: bool = False


@dataclass(frozen=True)
class AgentWriter:
    """Where a relayed AI agent's input goes: its game, the episode, the agent."""

    game_id: int
    episode: int
    agent: str


def input_entry(seat_id: int, content: dict) -> InputEntry:
    """The message as an InputEntry, or InputRefused. Its shape is checked here, before it joins a batch that other
    seats' messages share: a malformed message is refused to its sender alone (the batch then only checks it
    against the seat's state). Plain type checks, no database."""
    episode, frame, inputs = content.get("episode"), content.get("frame"), content.get("inputs")
    checksums = content.get("checksums") or []
    if not _small_int(episode):
        raise InputRefused("input needs the episode number")
    if not isinstance(inputs, list) or len(inputs) > MAX_BATCH:
        raise InputRefused(f"inputs must be a list of at most {MAX_BATCH} [frame, action] pairs")
    for item in inputs:
        if not isinstance(item, list) or len(item) != 2:
            raise InputRefused("each input must be [frame, action]")
        if not _small_int(item[0]):
            raise InputRefused(f"frame {item[0]!r} is not a frame of this game")
    if not isinstance(checksums, list) or len(checksums) > MAX_CHECKSUMS:
        raise InputRefused(f"checksums must be a list of at most {MAX_CHECKSUMS} [frame, hex] pairs")
    for item in checksums:
        if not (isinstance(item, list) and len(item) == 2 and _small_int(item[0]) and isinstance(item[1], str)):
            raise InputRefused("each checksum must be [frame, hex]")
    resynced = content.get("resynced", 0)
    if not _small_int(resynced):
        raise InputRefused("resynced must be the number of resyncs this browser applied")
    ai = content.get("ai") or []
    if not isinstance(ai, list) or len(ai) > MAX_BATCH:
        raise InputRefused(f"ai must be a list of at most {MAX_BATCH} [agent, frame, action] triples")
    for item in ai:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and _small_int(item[1])):
            raise InputRefused("each ai input must be [agent, frame, action]")
    # `frame` (the browser's own frame, shown to staff) is kept only when it is a plausible number (_take).
    return InputEntry(
        seat_id=seat_id, episode=episode, frame=frame, inputs=inputs, checksums=checksums, resynced=resynced, ai=ai
    )


def _small_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < FRAME_LIMIT


def game_inputs_store(entries: list[InputEntry]) -> list[InputResult]:
    """Store a batch of input messages in one transaction; one result per entry, in order."""
    now = timezone.now()
    with transaction.atomic():
        seats = _seats({e.seat_id for e in entries})
        taken = [_take(entry, seats.get(entry.seat_id)) for entry in entries]
        inserted = _insert([row for _, rows in taken for row in rows], now)
        _update_seats([s for s in seats.values() if s.touched], now)
    for result, rows in taken:  # forwarded: only what this batch added (a clash means it was stored before)
        added = [(seat, frame, action) for seat, frame, action in rows if (seat.game_id, seat.agent, frame) in inserted]
        result.new = [(frame, action) for seat, frame, action in added if isinstance(seat, SeatNow)]
        result.ai_new = [[seat.agent, frame, action] for seat, frame, action in added if isinstance(seat, AgentWriter)]
    return [result for result, _ in taken]


def _seats(ids: set[int]) -> dict[int, SeatNow]:
    """The batch's seats with their game's state, in one plain query (the ORM's cost here was the bottleneck)."""
    seat_table, game_table = GameSeat._meta.db_table, Game._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id, s.game_id, s.agent, s.acked, s.status, g.status, g.episode, g.netcode, s.checks, "  # noqa: S608
            f"s.ai_acked, (SELECT MIN(d.id) FROM {seat_table} d WHERE d.game_id = s.game_id AND d.status = %s) "
            f"FROM {seat_table} s JOIN {game_table} g ON g.id = s.game_id WHERE s.id IN ({marks})",
            [ACTIVE, *ids],
        )
        rows = cursor.fetchall()
    seats = {}
    for pk, game_id, agent, acked, status, game_status, episode, netcode, checks, ai_acked, driver in rows:
        active = status == ACTIVE and game_status == PLAYING
        seat = SeatNow(pk, game_id, agent, acked, active, episode, _json(netcode), _json(checks))
        seat.driver, seat.ai_acked = driver == pk, _json(ai_acked) or {}
        seats[pk] = seat
    return seats


def _json(value: Any) -> Any:
    """A JSON column as plain SQL returns it: text on SQLite, already decoded by the PostgreSQL driver."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _take(entry: InputEntry, seat: SeatNow | None) -> tuple[InputResult, list]:
    """Check one message against its seat (as the batch's earlier messages left it); its rows to insert."""
    if seat is None or not seat.active:
        return InputResult(refused=GameRefused("this game is over for you")), []
    if entry.episode != seat.episode:
        return InputResult(ack=seat.acked), []  # a late message about the previous episode
    try:
        batch = _parse_inputs(entry.inputs, seat.netcode, seat.acked)
    except InputRefused as error:
        return InputResult(refused=error), []
    rows = [(seat, f, a) for f, a in batch.items() if f > seat.acked and f not in seat.pending]
    # Every frame of `rows` is stored once the batch commits (inserted now, or there already after a gap).
    seat.pending |= {f for _, f, _ in rows}
    seat.acked = contiguous(seat.acked, seat.pending)
    seat.touched = True
    if isinstance(entry.frame, int) and not isinstance(entry.frame, bool) and abs(entry.frame) < 2**31:
        seat.local_frame = entry.frame
    checks, desynced = _record_checks(seat, entry.checksums, entry.resynced)
    if checks is not None:  # at once: a later message of this batch compares against it
        seat.checks = checks
        GameSeat.objects.filter(pk=seat.pk).update(checks=checks)
    try:
        ai_rows = _take_relayed(entry.ai, seat)
    except InputRefused as error:
        return InputResult(refused=error), []
    ai_ack = dict(seat.ai_acked["agents"]) if seat.driver and seat.ai_acked.get("episode") == seat.episode else {}
    return InputResult(ack=seat.acked, desynced=desynced, ai_ack=ai_ack), rows + ai_rows


def _take_relayed(ai: list, seat: SeatNow) -> list:
    """The relayed AI agents' inputs of a message from the seat that drives them (from any other seat they are
    ignored: the seat before it may have dropped out only now), checked like a seat's own."""
    relayed = seat.netcode.get("relayed") or []
    if not relayed or not seat.driver:
        return []
    if seat.ai_acked.get("episode") != seat.episode:  # the first of this episode, or this seat took over just now
        seat.ai_acked = {"episode": seat.episode, "agents": {agent: _stored_up_to(seat, agent) for agent in relayed}}
        seat.ai_touched = True
    acked = seat.ai_acked["agents"]
    rows = []
    for agent, frame, action in ai:
        if agent not in relayed:
            raise InputRefused(f"{agent!r} is not an AI agent whose inputs this game relays")
        check_frame(frame, seat.netcode["input_delay"], acked[agent], MAX_AHEAD)
        if action not in seat.netcode["ai_actions"][agent] or isinstance(action, bool):
            raise InputRefused(f"action {action!r} is not one of {agent!r}'s actions")
        pending = seat.ai_pending.setdefault(agent, set())
        if frame > acked[agent] and frame not in pending:
            pending.add(frame)
            rows.append((AgentWriter(seat.game_id, seat.episode, agent), frame, action))
    for agent, pending in seat.ai_pending.items():
        now = contiguous(acked[agent], pending)
        seat.ai_touched |= now != acked[agent]
        acked[agent] = now
    return rows


def _stored_up_to(seat: SeatNow, agent: str) -> int:
    """The highest frame of `agent` stored with no gap this episode (a driver that takes over starts from it)."""
    stored = GameInput.objects.filter(game_id=seat.game_id, episode=seat.episode, agent=agent)
    frames = set(stored.values_list("frame", flat=True))
    return contiguous(seat.netcode["input_delay"] - 1, frames)


def _insert(rows: list, now) -> set[tuple[int, str, int]]:
    """Insert; the first write wins. Returns (game, agent, frame) of the rows these statements added.

    Plain SQL (valid on SQLite and PostgreSQL): the ORM's bulk_create cannot say which rows a conflict skipped,
    and building its statements cost more than the database's own work on this path."""
    inserted = set()
    table = GameInput._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    action_field = GameInput._meta.get_field("action")
    for start in range(0, len(rows), INSERT_ROWS):
        part = rows[start : start + INSERT_ROWS]
        params = []
        for seat, frame, action in part:
            prepared = action_field.get_db_prep_save(action, connection)
            params += [seat.game_id, seat.episode, frame, seat.agent, prepared, stamp]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (game_id, episode, frame, agent, action, received_at) VALUES {values} "  # noqa: S608
                "ON CONFLICT (game_id, episode, frame, agent) DO NOTHING RETURNING game_id, agent, frame",
                params,
            )
            inserted |= {tuple(row) for row in cursor.fetchall()}
    return inserted


def _update_seats(seats: list[SeatNow], now) -> None:
    """One statement, run once per seat of the batch: the ack only grows; the frame and keep-alive follow."""
    if not seats:
        return
    for seat in seats:
        if seat.ai_touched:
            GameSeat.objects.filter(pk=seat.pk).update(ai_acked=seat.ai_acked)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {GameSeat._meta.db_table} SET acked = CASE WHEN acked < %s THEN %s ELSE acked END, "  # noqa: S608
            "local_frame = COALESCE(%s, local_frame), last_seen = %s WHERE id = %s",
            [(s.acked, s.acked, s.local_frame, stamp, s.pk) for s in seats],
        )


def _parse_inputs(inputs: Any, netcode: dict, acked: int) -> dict[int, Any]:
    """Validate a batch; frames may run at most MAX_AHEAD past the seat's own gapless inputs."""
    if not isinstance(inputs, list) or len(inputs) > MAX_BATCH:
        raise InputRefused(f"inputs must be a list of at most {MAX_BATCH} [frame, action] pairs")
    allowed = netcode["actions"]
    first = netcode["input_delay"]
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


def _record_checks(seat: SeatNow, checksums: Any, resynced: int = 0) -> tuple[dict | None, list[int]]:
    """The seat's recent checksums with this message's added (None: nothing new), and the new desyncs: frames of
    this message where another seat's checksum differs (compared once, when the checksum arrives).

    Checksums the browser computed before it applied the last resync the relay sent it (`resynced` lower than the
    seat's RESYNCS count) are of the diverged state the resync replaces: neither kept nor compared (one divergence,
    one resync). The browser reports those frames again once it has re-simulated them from the referee's state."""
    if not isinstance(checksums, list) or not checksums or resynced < seat.checks.get(RESYNCS, 0):
        return None, []
    checks, new = dict(seat.checks), {}
    for item in checksums[:MAX_CHECKSUMS]:
        if isinstance(item, list) and len(item) == 2 and _small_int(item[0]) and isinstance(item[1], str):
            frame, digest = str(item[0]), item[1][:32]
            if checks.get(frame) != digest:
                new[frame] = checks[frame] = digest
    if not new:
        return None, []  # a repeat: compared when it first came
    frames = sorted((frame for frame in checks if frame != RESYNCS), key=int)[-CHECKS_KEPT:]
    checks = {frame: checks[frame] for frame in frames} | ({RESYNCS: checks[RESYNCS]} if RESYNCS in checks else {})
    differ = set()
    for other in GameSeat.objects.filter(game_id=seat.game_id).exclude(pk=seat.pk).only("checks"):
        differ |= {int(f) for f, digest in other.checks.items() if f in new and new[f] != digest}
    return checks, _desyncs_record(seat, new, sorted(differ))


def _desyncs_record(seat: SeatNow, new: dict, frames: list[int]) -> list[int]:
    """Record these mismatches as desyncs (each is refereed: a replay of the episode), skipping a frame already
    recorded in this episode or within RESYNC_HOLD frames after one (its resync is on the way: the diverged browser
    reports more mismatches until it lands), and beyond settings.MUG_REFEREE_PER_MINUTE per game; returns the
    frames recorded."""
    if not frames:
        return []
    events = GameEvent.objects.filter(game_id=seat.game_id, kind="desync")
    held = set(
        events.filter(episode=seat.episode, frame__gt=frames[0] - RESYNC_HOLD, frame__lte=frames[-1]).values_list(
            "frame", flat=True
        )
    )
    budget = settings.MUG_REFEREE_PER_MINUTE - events.filter(at__gte=timezone.now() - timedelta(minutes=1)).count()
    recorded = []
    for frame in frames:
        if any(frame - RESYNC_HOLD < done <= frame for done in held):
            continue
        if budget <= 0:
            logger.warning(
                "game %s: desync at frame %s not refereed (over %s a minute)",
                seat.game_id,
                frame,
                settings.MUG_REFEREE_PER_MINUTE,
            )
            break
        GameEvent.objects.create(
            game_id=seat.game_id,
            episode=seat.episode,
            frame=frame,
            kind="desync",
            agent=seat.agent,
            detail={"checksum": new[str(frame)]},
        )
        held.add(frame)
        budget -= 1
        recorded.append(frame)
    return recorded
