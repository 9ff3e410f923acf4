"""The live monitor's snapshot (a read): participants by experiment, scene and status, waiting rooms, running
games with each seat's state (tab, round trip, frame rate, rollbacks) apart from games nobody plays any more,
participants stuck on a game scene, single-player games in browsers with their frame rate from the uploaded steps,
recent errors from browsers and server games, endings over time, and verification: episodes that differ from their
replay or still wait for one (live_verification.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.module_loading import import_string

from experiments.control.live_verification import VERIFICATION_COUNTS, latest_mismatches, verification_counts
from experiments.flow.models import ACTIVE, ClientError, Experiment, MonitorState, Participant, SceneVisit
from experiments.gamedata.models import OPEN, Episode, Step, StepChunk
from matchmaking.models import WAITING, Room, WaitingEntry
from netcode.models import PLAYING, Game, GameSeat
from netcode.selectors import seat_state

BUCKET_MIN = 10
HISTORY_H = 2
GAME_KIND = "gym"
# The monitor shows participants (ids, scenes, errors) and games: staff must be allowed to view both.
LIVE_PERMISSIONS = ("experiments.view_participant", "netcode.view_game")


def live_user_allowed(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perms(LIVE_PERMISSIONS))


class _SessionRequest:
    """What django.contrib.auth.get_user reads from a request: its session."""

    def __init__(self, session) -> None:
        self.session = session


def live_session_allowed(session_key: str | None) -> bool:
    """Whether the session, as stored now, still belongs to a user allowed to watch: a logged-out or flushed
    session, a changed password, a deactivated user or a lost permission all say no."""
    if not session_key:
        return False
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")(session_key=session_key)
    return live_user_allowed(get_user(_SessionRequest(store)))


def stuck_after_s() -> int:
    """Seconds without a sign of life (a page load, an episode begun, an upload, a heartbeat) after which a
    participant on a game scene, or a running game, counts as stuck (setting MUG_LIVE_STUCK_S)."""
    return settings.MUG_LIVE_STUCK_S


def live_snapshot() -> dict[str, Any]:
    now = timezone.now()
    games = _games(now)
    checks = verification_counts()
    return {
        "at": now.isoformat(),
        "stuck_after_s": stuck_after_s(),
        "experiments": [_experiment(e, checks) for e in Experiment.objects.filter(in_code=True).order_by("slug")],
        "rooms": _rooms(),
        "games": [game for game in games if not game["abandoned"]],
        "abandoned_games": [game for game in games if game["abandoned"]],
        "stuck": _stuck(now),
        "solo": _solo_games(now),
        "errors": _errors(),
        "page_errors": _page_errors(),
        "endings": _endings(now),
        "mismatches": latest_mismatches(),
    }


def _experiment(experiment: Experiment, checks: dict[str, dict[str, int]]) -> dict[str, Any]:
    participants = Participant.objects.filter(experiment=experiment)
    statuses = Counter(participants.values_list("status", flat=True))
    scenes = Counter(
        plan[position] if position < len(plan) else "-"
        for plan, position in participants.filter(status=ACTIVE).values_list("plan", "position")
    )
    return {
        "slug": experiment.slug,
        "accepting": experiment.is_active,
        "statuses": dict(statuses),
        "in_progress_by_scene": dict(scenes),
        "verification": checks.get(experiment.slug, dict.fromkeys(VERIFICATION_COUNTS, 0)),
    }


def _rooms() -> list[dict[str, Any]]:
    rooms = Room.objects.select_related("experiment").order_by("experiment__slug", "scene_key")
    return [
        {
            "experiment": room.experiment.slug,
            "scene_key": room.scene_key,
            "waiting": room.entries.filter(status=WAITING).count(),
            "present": room.entries.filter(status=WAITING, connected=True).count(),
        }
        for room in rooms
    ]


def _games(now) -> list[dict[str, Any]]:
    """Games in the `playing` state, each with how long since anyone played it: a game whose seats have sent nothing
    (no input, no keep-alive) and whose host has not reported for MUG_LIVE_STUCK_S is `abandoned`, not running (its
    players left, or the process relaying it died)."""
    games = Game.objects.filter(status=PLAYING).select_related("experiment").prefetch_related("seats__participant")
    listed = []
    for game in games.order_by("-created_at")[:100]:
        seen = [seat.last_seen for seat in game.seats.all() if seat.last_seen] + [game.host_seen, game.created_at]
        idle_s = (now - max(moment for moment in seen if moment)).total_seconds()
        listed.append({**_game(game), "idle_s": round(idle_s), "abandoned": idle_s >= stuck_after_s()})
    return listed


def _game(game: Game) -> dict[str, Any]:
    return {
        "id": game.pk,
        "experiment": game.experiment.slug if game.experiment else "",
        "scene_key": game.scene_key,
        "runs_on": game.runs_on,
        "episode": game.episode,
        "frame": game.frame,
        "stats": game.stats,
        "seats": [_seat(seat) for seat in game.seats.all()],
    }


def _seat(seat) -> dict[str, Any]:
    participant = seat.participant.external_id or seat.participant_id
    played = seat.client_stats or {}
    return {
        "agent": seat.agent,
        "participant": participant,
        "state": seat_state(seat),
        "rtt_ms": seat.rtt_ms,
        "frame": seat.acked,
        "fps": played.get("fps"),
        "rollbacks": played.get("rollbacks"),
    }


def _stuck(now) -> list[dict[str, Any]]:
    """Participants on a game scene with no sign of life for MUG_LIVE_STUCK_S, with where they are stuck (from the
    milestones their page reported on the server's clock) and for how long: "loading Python for 4 min", "ready,
    Start not pressed for 6 min", "playing, no upload for 2 min"... Those waiting for partners or seated in a running
    game are shown there instead."""
    limit = stuck_after_s()
    visits = (
        SceneVisit.objects.filter(
            participant__status=ACTIVE,
            scene_kind=GAME_KIND,
            completed_at=None,
            last_loaded_at__gte=now - timedelta(hours=HISTORY_H),
        )
        .select_related("participant__experiment")
        .order_by("last_loaded_at")[:200]
    )
    stuck = []
    for visit in visits:
        participant = visit.participant
        if participant.current_key != visit.scene_key or _elsewhere(participant, visit.scene_key):
            continue
        episode = Episode.objects.filter(participant=participant, scene_key=visit.scene_key).order_by("-index").first()
        state, since = _where_stuck(visit, episode)
        monitor = MonitorState.objects.filter(participant=participant, scene_key=visit.scene_key).first()
        signs = [since, visit.last_loaded_at, monitor.last_input_at if monitor else None]
        stuck_s = (now - max(sign for sign in signs if sign)).total_seconds()
        if stuck_s >= limit:
            stuck.append(
                {
                    "experiment": participant.experiment.slug,
                    "participant": participant.external_id or participant.pk,
                    "scene_key": visit.scene_key,
                    "state": state,
                    "reason": f"{STUCK_STATES[state]} for {_duration((now - since).total_seconds())}",
                    "episode": episode.index if episode else None,
                    "stuck_s": round(stuck_s),
                }
            )
    return sorted(stuck, key=lambda row: -row["stuck_s"])[:50]


# Where a participant on a game scene is stuck, as the live monitor says it.
STUCK_STATES = {
    "loading": "loading Python",
    "ready": "ready, Start not pressed",
    "started": "Start pressed, no episode begun",
    "playing": "playing, no upload",
    "between": "episode over, no next episode begun",
}


def _where_stuck(visit: SceneVisit, episode: Episode | None) -> tuple[str, Any]:
    """The last milestone the participant's page reached on this scene (its latest page load: a reload loads again)
    and since when: its runtime ready, Start pressed, an episode begun, an upload."""
    loaded = visit.last_loaded_at
    if episode is not None and episode.started_at >= loaded:
        chunk = StepChunk.objects.filter(episode=episode).order_by("-number").first()
        last = max(moment for moment in (episode.started_at, chunk.received_at if chunk else None) if moment)
        return ("playing" if episode.status == OPEN else "between"), last
    ready = visit.runtime_ready_at
    if ready is None or ready < loaded:
        return "loading", loaded
    started = visit.start_pressed_at
    if started is None or started < ready:
        return "ready", ready
    return "started", started


def _duration(seconds: float) -> str:
    """4 min, 45 s, 2 h 5 min: how long, as staff read it."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


def _elsewhere(participant: Participant, scene_key: str) -> bool:
    """Waiting for partners (the rooms table) or seated in a game of this scene (the games tables)."""
    if WaitingEntry.objects.filter(participant=participant, status=WAITING).exists():
        return True
    return GameSeat.objects.filter(participant=participant, game__scene_key=scene_key, game__status=PLAYING).exists()


def _solo_games(now) -> list[dict[str, Any]]:
    """Episodes being played alone in a browser (no game on the server): the frame rate of the last upload."""
    episodes = (
        Episode.objects.filter(
            status=OPEN, started_at__gte=now - timedelta(hours=HISTORY_H), participant__status=ACTIVE
        )
        .exclude(participant__seats__game__status=PLAYING)
        .select_related("participant__experiment")
        .order_by("-started_at")[:50]
    )
    return [_solo(episode, now) for episode in episodes]


def _solo(episode: Episode, now) -> dict[str, Any]:
    chunk = StepChunk.objects.filter(episode=episode).order_by("-number").first()
    fps, focused, upload_age = None, None, None
    if chunk is not None:
        last = Step.objects.filter(episode=episode, frame__gte=chunk.first_frame)
        span = last.aggregate(first=Min("client_time"), end=Max("client_time"), n=Count("pk"))
        if span["n"] > 1 and span["end"] > span["first"]:
            fps = round((span["n"] - 1) * 1000 / (span["end"] - span["first"]), 1)
        focused = last.order_by("-frame").values_list("focused", flat=True).first()
        upload_age = round((now - chunk.received_at).total_seconds(), 1)
    participant = episode.participant
    return {
        "experiment": participant.experiment.slug,
        "participant": participant.external_id or participant.pk,
        "scene_key": episode.scene_key,
        "episode": episode.index,
        "steps": episode.n_steps,
        "fps": fps,
        "focused": focused,
        "last_upload_s": upload_age,
    }


def _page_errors() -> list[dict[str, Any]]:
    """Errors participants' pages caught (console errors, uncaught exceptions), newest first."""
    recent = ClientError.objects.select_related("participant__experiment")[:30]
    return [
        {
            "experiment": e.participant.experiment.slug,
            "participant": e.participant.external_id or e.participant_id,
            "scene": e.scene_key,
            "stage": e.kind,
            "message": e.message[-300:],
            "at": e.at.isoformat(),
        }
        for e in recent
    ]


def _errors() -> list[dict[str, Any]]:
    recent = (
        Participant.objects.exclude(runtime_errors=[]).select_related("experiment").order_by("-last_seen_at", "-pk")
    )
    errors = []
    for participant in recent[:20]:
        for error in participant.runtime_errors[-3:]:
            errors.append(
                {
                    "experiment": participant.experiment.slug,
                    "participant": participant.external_id or participant.pk,
                    "scene": error.get("scene"),
                    "stage": error.get("stage"),
                    "message": str(error.get("message", ""))[-300:],
                }
            )
    return errors[:30]


def _endings(now) -> list[dict[str, Any]]:
    """Completions and exclusions (and other endings) per 10-minute bucket over the last two hours."""
    since = now - timedelta(hours=HISTORY_H)
    buckets: dict[str, Counter] = {}
    for status, finished_at in Participant.objects.filter(finished_at__gte=since).values_list("status", "finished_at"):
        minutes = int((finished_at - since).total_seconds() // 60) // BUCKET_MIN * BUCKET_MIN
        start = (since + timedelta(minutes=minutes)).strftime("%H:%M")
        buckets.setdefault(start, Counter())[status] += 1
    return [{"from": start, **counts} for start, counts in sorted(buckets.items())]
