"""Writes of server-side games: join, host claims and heartbeats, episodes and their rows, the end and crashes.

The server is the only source of the data: the host process stores every frame it stepped, for every seat's
participant; nothing depends on a browser uploading it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from experiments.definition import registry
from experiments.definition.netplay import SERVER, Netcode, WaitForReturn
from experiments.definition.outcomes import TIMED_OUT
from experiments.definition.preflight import replacement_spec
from experiments.flow.models import Participant
from experiments.flow.queries import lock_rows
from experiments.flow.services import participant_finish
from experiments.gamedata.episodes import (
    episode_open,
    episodes_add_rows,
    episodes_interrupt,
    participant_runtime_error,
)
from experiments.gamedata.models import Episode, Step
from netcode.models import ACTIVE, ENDED, FINISHED, PLAYING, Game, GameEvent, GameSeat
from netcode.protocol import END
from netcode.services import confirmed_match, seat_drop, seat_take

HOST_STALE_S = 5.0  # a host that has not beaten for this long is gone; another socket's process takes over


def server_game_join(*, participant: Participant, scene, scene_key: str, channel_name: str) -> tuple[GameSeat, str]:
    """The participant's seat in their server-side game (their match's, or their own when playing alone)."""
    if len(scene.human_agents()) >= 2:
        match = confirmed_match(participant, scene_key)
        members = [(m.participant_id, m.agent) for m in match.members.order_by("id")]
        game = _game(scene, scene_key, participant.experiment_id, scene.seeds(match.seed), members, match=match)
    else:
        with transaction.atomic():
            lock_rows(Participant.objects.filter(pk=participant.pk))  # one solo game, two tabs
            mine = GameSeat.objects.filter(participant=participant, game__scene_key=scene_key, game__runs_on=SERVER)
            seat = mine.filter(game__match=None).select_related("game").first()
            game = seat.game if seat else None
            if game is None:
                members = [(participant.pk, scene.human_agents()[0])]
                game = _game(scene, scene_key, participant.experiment_id, scene.seeds(participant.seed), members)
    return seat_take(game, participant, channel_name)


def _game(scene, scene_key: str, experiment_id: int, seeds: list[int], members, match=None) -> Game:
    """The match's server-side game (made by the first member to arrive), or a new one for a single player."""
    existing = Game.objects.filter(match=match).first() if match is not None else None
    if existing is not None:
        return existing
    netcode = scene.netcode or Netcode(on_dropout=WaitForReturn())  # alone: the game waits for its player
    settings = {
        **netcode.describe(),
        "replacement": replacement_spec(netcode),
        "fps": scene.fps,
        "countdown_s": scene.countdown_seconds,
    }
    try:
        with transaction.atomic():
            game = Game.objects.create(
                match=match,
                scene_key=scene_key,
                runs_on=SERVER,
                experiment_id=experiment_id,
                seeds=seeds,
                netcode=settings,
            )
            GameSeat.objects.bulk_create(GameSeat(game=game, participant_id=p, agent=agent) for p, agent in members)
    except IntegrityError:  # another member's socket made it first
        game = Game.objects.get(match=match)
    return game


def server_game_claim(*, game_id: int, host: str) -> bool:
    """Become the game's host unless a live one steps it (a conditional update: one winner across processes)."""
    stale = timezone.now() - timedelta(seconds=HOST_STALE_S)
    free = Q(host="") | Q(host_seen__isnull=True) | Q(host_seen__lt=stale)
    before = Game.objects.filter(pk=game_id).values("host", "episode", "frame").first()
    if not Game.objects.filter(free, pk=game_id, status=PLAYING).update(host=host, host_seen=timezone.now()):
        return False
    if before and before["host"]:  # the last host stopped beating (its process died): the episode starts again
        GameEvent.objects.create(
            game_id=game_id,
            episode=before["episode"],
            frame=before["frame"],
            kind="host_lost",
            detail={"host": before["host"]},
        )
    return True


def server_host_beat(*, game_id: int, host: str, stats: dict[str, Any]) -> dict[str, Any] | None:
    """The host is alive; returns the seats' presence, or None if the game is no longer this host's to step."""
    if not Game.objects.filter(pk=game_id, host=host, status=PLAYING).update(host_seen=timezone.now(), stats=stats):
        return None
    seats = GameSeat.objects.filter(game_id=game_id).values("agent", "status", "connected", "absent_since")
    return {seat["agent"]: seat for seat in seats}


def server_host_release(*, game_id: int, host: str) -> None:
    """The host stops (nobody is here): the next arrival's socket starts a new one."""
    Game.objects.filter(pk=game_id, host=host).update(host="", host_seen=None)


def server_episode_start(*, game_id: int, episode: int, scene, reset: dict | None = None) -> dict[str, int]:
    """Every active seat's record of the episode now starting (a new attempt; an open one left by a host that
    stopped mid-episode becomes interrupted, its rows kept); returns the record's id by seat."""
    game = Game.objects.get(pk=game_id)
    Game.objects.filter(pk=game_id).update(episode=episode, frame=0)
    records = {}
    for seat in game.seats.filter(status=ACTIVE):
        with transaction.atomic():
            episodes_interrupt(participant_ids=[seat.participant_id], scene_key=game.scene_key)
            index = Episode.objects.filter(participant_id=seat.participant_id, scene_key=game.scene_key).count()
            records[seat.agent] = episode_open(
                participant_id=seat.participant_id,
                scene=scene,
                scene_key=game.scene_key,
                index=index,
                seed=game.seeds[episode],
                runtime={"runs_on": SERVER},
                reset_data=reset,
            ).pk
    GameEvent.objects.create(game=game, episode=episode, frame=0, kind="episode_start")
    return records


def server_rows_store(
    *, game_id: int, records: dict[str, int], rows: list[dict], hidden: dict[str, list[int]], final: bool
) -> None:
    """Store the frames the host stepped as each seat's rows (`records`: the seat's Episode id; `hidden`: frames
    its tab was hidden on), in one insert; `final` completes the episode. No reads: the hot path of a host."""
    Step.objects.bulk_create(
        _step(record, row, row["frame"] not in set(hidden.get(agent, ())))
        for agent, record in records.items()
        for row in rows
    )
    episodes_add_rows(
        episode_ids=list(records.values()), rows=len(rows), final_by="server game host" if final else None
    )
    last = rows[-1]["frame"] if rows else 0
    if rows:
        Game.objects.filter(pk=game_id).update(frame=last)
        GameSeat.objects.filter(game_id=game_id, agent__in=list(records)).update(acked=last)
    if final:
        episode = Game.objects.filter(pk=game_id).values_list("episode", flat=True).first()
        GameEvent.objects.create(game_id=game_id, episode=episode, frame=last, kind="episode_end")


def _step(record: int, row: dict, focused: bool) -> Step:
    return Step(
        episode_id=record,
        frame=row["frame"],
        client_time=row["t"],
        focused=focused,
        late_ms=row["late_ms"],
        actions=row["actions"],
        rewards=row["rewards"],
        terminated=row["terminated"],
        truncated=row["truncated"],
        infos=row["infos"],
        observations=row.get("obs"),
    )


def server_game_finish(*, game_id: int) -> None:
    Game.objects.filter(pk=game_id, status=PLAYING).update(status=FINISHED, ended_at=timezone.now(), host="")


def server_game_crash(*, game_id: int, message: str, definition) -> None:
    """The env raised: the game ends with the error recorded, and each player's flow with the error outcome."""

    if not Game.objects.filter(pk=game_id, status=PLAYING).update(
        status=ENDED, ended_at=timezone.now(), error=message[-4000:], host=""
    ):
        return
    game = Game.objects.get(pk=game_id)
    GameEvent.objects.create(
        game=game, episode=game.episode, frame=game.frame, kind="error", detail={"message": message[-2000:]}
    )
    for seat in game.seats.filter(status=ACTIVE).select_related("participant"):
        episodes_interrupt(participant_ids=[seat.participant_id], scene_key=game.scene_key)
        participant_runtime_error(
            participant=seat.participant,
            definition=definition,
            scene_key=game.scene_key,
            stage="server",
            message=message,
            witnessed=True,
        )


def server_seat_drop(*, game_id: int, agent: str, frame: int, definition) -> list[dict]:
    """The dropout policy for a seat absent too long, from the frame the server is at."""
    game = Game.objects.get(pk=game_id)
    seat = GameSeat.objects.filter(game=game, agent=agent, status=ACTIVE).select_related("participant").first()
    if seat is None:
        return []
    messages = seat_drop(game, seat, definition, first=frame)
    game.refresh_from_db()
    ended = game.status != PLAYING
    finished = list(game.seats.values_list("participant_id", flat=True)) if ended else [seat.participant_id]
    episodes_interrupt(participant_ids=finished, scene_key=game.scene_key)
    return messages


def server_host_of(*, game_id: int) -> str:
    """The channel of the game's live host ("" if none: never claimed, released, or stopped beating)."""
    live = Game.objects.filter(pk=game_id, host_seen__gte=timezone.now() - timedelta(seconds=HOST_STALE_S))
    return live.values_list("host", flat=True).first() or ""


def server_busy_end(*, game_id: int) -> list[dict]:
    """The game waited MUG_SERVER_GAME_WAIT_S for a free game-process slot and none freed: it ends unplayed (a
    `busy_timeout` event), and each player's flow with the timed-out outcome; returns the END for the sockets."""
    stale = timezone.now() - timedelta(seconds=HOST_STALE_S)
    hostless = Q(host="") | Q(host_seen__isnull=True) | Q(host_seen__lt=stale)
    with transaction.atomic():
        if not Game.objects.filter(hostless, pk=game_id, status=PLAYING).update(status=ENDED, ended_at=timezone.now()):
            return []  # a host started meanwhile, or another socket ended it
        game = Game.objects.select_related("experiment").get(pk=game_id)
        definition = registry.get_experiment(game.experiment.slug)
        GameEvent.objects.create(game=game, episode=game.episode, frame=game.frame, kind="busy_timeout")
        for seat in game.seats.filter(status=ACTIVE).select_related("participant"):
            episodes_interrupt(participant_ids=[seat.participant_id], scene_key=game.scene_key)
            participant_finish(participant=seat.participant, definition=definition, outcome=TIMED_OUT)
    return [{"type": END, "reason": TIMED_OUT, "next": reverse("experiments:flow", kwargs={"slug": definition.slug})}]
