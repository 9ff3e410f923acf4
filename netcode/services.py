"""Writes of the game relay: join a game, take inputs (first write wins), episode ends, presence and dropouts.

Every function returns what to broadcast; the consumer only parses and sends. The database is the log, so any
server process can serve any seat, and a reload or a restarted process resumes from it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone

from experiments.definition.errors import ApplicationError
from experiments.definition.netplay import SERVER
from experiments.definition.outcomes import DROPPED_OUT, PARTNER_DROPPED, RUNTIME_ERROR
from experiments.definition.preflight import replacement_spec
from experiments.flow.models import Participant
from experiments.flow.services import participant_finish
from experiments.gamedata.episodes import episode_open, episodes_interrupt, episodes_witness
from matchmaking.models import CONFIRMED, MATCHED
from matchmaking.selectors import participant_entry
from netcode import protocol
from netcode.input_rules import RESYNCS, InputRefused
from netcode.models import ACTIVE, DROPPED, ENDED, FINISHED, PLAYING, Game, GameEvent, GameSeat
from netcode.replay import game_checkpoint


class GameRefused(ApplicationError):
    """The participant has no place in a game here, or the game is over for them; the message says which.
    `over`: the game is over for them, as "ended" (their flow has ended: the page shows their ending) or "finished"
    (every episode was played: the page moves on as after the last one); None: a plain refusal."""

    status = 409

    def __init__(self, message: str, status: int | None = None, *, over: str | None = None) -> None:
        super().__init__(message, status)
        self.over = over


def game_join(*, participant: Participant, scene, scene_key: str, channel_name: str) -> tuple[GameSeat, str]:
    """Take (or retake, after a reload) the participant's seat in their match's game; returns it and the channel
    of the socket it replaces."""
    game = _game_for(confirmed_match(participant, scene_key), scene, scene_key)
    return seat_take(game, participant, channel_name)


def confirmed_match(participant: Participant, scene_key: str):
    """The participant's confirmed group for this scene, or GameRefused."""
    entry = participant_entry(participant=participant, scene_key=scene_key)
    if entry is None or entry.status != MATCHED or entry.match is None or entry.match.status != CONFIRMED:
        raise GameRefused("you are not in a group for this game")
    return entry.match


def seat_take(game: Game, participant: Participant, channel_name: str) -> tuple[GameSeat, str]:
    """This socket serves the participant's seat now; returns the seat and the channel of the socket it replaces."""
    seat = _seat_open(game, participant)
    previous, returning = seat.channel_name, seat.last_seen is not None
    now = timezone.now()
    # A rejoining browser replays the log (no resync sent to its old page is pending for it).
    checks = {frame: digest for frame, digest in seat.checks.items() if frame != RESYNCS}
    GameSeat.objects.filter(pk=seat.pk).update(
        connected=True,
        channel_name=channel_name,
        last_seen=now,
        absent_since=None,
        hidden_since=None,
        unloading_since=None,  # back: the next absence may be announced again
        checks=checks,
    )
    if returning:
        GameEvent.objects.create(game=game, episode=game.episode, frame=seat.acked + 1, kind="rejoin", agent=seat.agent)
    seat.refresh_from_db()
    return seat, previous


def _seat_open(game: Game, participant: Participant) -> GameSeat:
    seat = GameSeat.objects.select_related("game").get(game=game, participant=participant)
    if seat.status == DROPPED or game.status != PLAYING:
        finished = game.status == FINISHED and seat.status != DROPPED
        raise GameRefused("this game is over for you", over="finished" if finished else "ended")
    return seat


def game_unloading(*, participant: Participant, scene_key: str) -> bool:
    """The participant's page says it is unloading (a reload, or a closed tab): their seat is held for the game's
    `unload_grace_s` after it left, within which the next page's loading hello should come. Trusted no further than
    that, and once per absence (until the seat is played again); returns whether this notice counted."""
    seat = (
        GameSeat.objects.filter(participant=participant, status=ACTIVE, game__status=PLAYING, game__scene_key=scene_key)
        .exclude(game__runs_on=SERVER)
        .first()
    )
    if seat is None:
        raise GameRefused("you have no seat in a running game here")
    if not GameSeat.objects.filter(pk=seat.pk, unloading_since__isnull=True).update(unloading_since=timezone.now()):
        return False
    _event(seat, "unloading")
    return True


def game_loading(*, participant: Participant, scene, scene_key: str, channel_name: str) -> tuple[GameSeat, str]:
    """The participant's page is loading the game (a reload, or the first load): its socket holds the seat before
    the browser's Python is ready. The seat stays absent, on the longer `load_grace_s` clock (the sweep tells a
    loading seat by its socket being connected while it is absent and not hidden). Returns the seat and the
    channel of the socket it replaces."""
    game = _game_for(confirmed_match(participant, scene_key), scene, scene_key)
    seat = _seat_open(game, participant)
    previous, now = seat.channel_name, timezone.now()
    GameSeat.objects.filter(pk=seat.pk).update(
        connected=True, channel_name=channel_name, last_seen=now, hidden_since=None
    )
    GameSeat.objects.filter(pk=seat.pk, absent_since__isnull=True).update(absent_since=now)
    kind = "reloading" if seat.last_seen is not None else "loading"
    GameEvent.objects.create(game=game, episode=game.episode, frame=seat.acked + 1, kind=kind, agent=seat.agent)
    seat.refresh_from_db()
    return seat, previous


def _game_for(match, scene, scene_key: str) -> Game:
    game = Game.objects.filter(match=match).first()
    if game is not None:
        return game
    netcode = {
        **scene.netcode.describe(),
        "replacement": replacement_spec(scene.netcode),
        "actions": sorted({repr(a): a for a in [scene.default_action, *scene.keys.values()]}.values(), key=repr),
        # AI agents whose moves one seat's browser sends (mug.relayed), and the actions each may be sent with
        "relayed": scene.loop_config()["relayed"],
        "ai_actions": getattr(scene, "_relayed_actions", {}),
        "fps": scene.fps,
    }
    try:
        with transaction.atomic():
            game = Game.objects.create(
                match=match,
                experiment_id=match.room.experiment_id,
                scene_key=scene_key,
                seeds=scene.seeds(match.seed),
                netcode=netcode,
            )
            first = scene.netcode.input_delay - 1  # frames inside the input delay are the default for everyone
            GameSeat.objects.bulk_create(
                GameSeat(game=game, participant_id=m.participant_id, agent=m.agent, acked=first)
                for m in match.members.order_by("id")
            )
            _episodes_create(game, scene)
    except IntegrityError:  # another member's socket created it first
        game = Game.objects.get(match=match)
    return game


def _episodes_create(game: Game, scene) -> None:
    """Every seat's record of the episode now starting (each browser uploads its confirmed rows into it)."""
    for seat in game.seats.all():
        episode_open(
            participant_id=seat.participant_id,
            scene=scene,
            scene_key=game.scene_key,
            index=game.episode,
            seed=game.seeds[game.episode],
        )


def _confirmed(game: Game) -> int:
    """The last frame the relay has every active player's input for (and for every frame before it)."""
    acked = game.seats.filter(status=ACTIVE).aggregate(low=Min("acked"))["low"]
    return acked if acked is not None else -1


def game_episode_done(*, seat_id: int, episode: int, frames: Any, checksum: Any, scene) -> list[dict]:
    """A browser confirmed the episode's last frame. Once every active seat has, the server stamps the end (or a
    desync, if they disagree) and starts the next episode; returns the messages for everyone."""
    if not isinstance(frames, int) or isinstance(frames, bool) or frames < 1 or not isinstance(checksum, str):
        raise InputRefused("done needs the episode's frame count and final checksum")
    with transaction.atomic():
        seat = GameSeat.objects.get(pk=seat_id)
        game = Game.objects.select_for_update().get(pk=seat.game_id)  # one episode end at a time
        if game.status != PLAYING or episode != game.episode or seat.status != ACTIVE:
            return []
        if frames - 1 > _confirmed(game):
            raise InputRefused(f"frame {frames - 1} is not confirmed by the relay yet")
        ended = {"done_episode": episode, "done_frames": frames, "done_checksum": checksum[:32]}
        GameSeat.objects.filter(pk=seat.pk).update(**ended)
        active = list(game.seats.filter(status=ACTIVE))
        if any(s.done_episode != episode for s in active):
            return []
        return _episode_end(game, active, scene)


def _episode_end(game: Game, active: list[GameSeat], scene) -> list[dict]:
    ends = {s.agent: [s.done_frames, s.done_checksum] for s in active}
    agreed = len({tuple(end) for end in ends.values()}) == 1
    frame = min(s.done_frames for s in active) - 1
    GameEvent.objects.create(
        game=game, episode=game.episode, frame=frame, kind="episode_end" if agreed else "desync", detail={"ends": ends}
    )
    _episodes_witness(game, active, agreed, {"by": "relay", "frames": frame + 1, "ends": ends})
    messages = [] if agreed else [{"type": protocol.DESYNC, "episode": game.episode, "frame": frame}]
    if game.episode + 1 >= len(game.seeds):
        game.status, game.ended_at = FINISHED, timezone.now()
        game.save(update_fields=["status", "ended_at"])
        return [*messages, {"type": protocol.FINISHED}]
    game.episode += 1
    game.save(update_fields=["episode"])
    game.seats.update(acked=game.netcode["input_delay"] - 1, checks={}, ai_acked={})
    _episodes_create(game, scene)
    return [*messages, {"type": protocol.EPISODE, "episode": game.episode, "seed": game.seeds[game.episode]}]


def _episodes_witness(game: Game, seats: list[GameSeat], agreed: bool, report: dict) -> None:
    """The relay stamped the episode's end from its own log: the episode counts for every seat. Only this, never a
    browser's final chunk, makes a group episode count. Browsers whose final checksums differ (a nondeterministic env)
    still played the witnessed inputs, which the log replays; the report and the `desync` event show it to staff
    rather than stranding the players on a scene they can never leave."""
    episodes_witness(
        participant_ids=[seat.participant_id for seat in seats],
        scene_key=game.scene_key,
        index=game.episode,
        report={**report, "agreed": agreed},
    )


def game_seen(*, seat_id: int, channel_name: str) -> None:
    """A keep-alive from the socket serving the seat (a stalled browser sends no inputs, yet is here)."""
    GameSeat.objects.filter(pk=seat_id, channel_name=channel_name).update(last_seen=timezone.now())


def game_ready(*, seat_id: int, episode: Any) -> dict | None:
    """The seat's browser has reset the running episode: the others' start barrier counts it (the READY notice they
    get); None if it already had, or for another episode. Trusted as far as that: an early notice only starts the
    others' clocks sooner, which rollback absorbs."""
    if not isinstance(episode, int) or isinstance(episode, bool):
        raise InputRefused("ready needs the episode")
    seat = GameSeat.objects.filter(pk=seat_id, status=ACTIVE, game__episode=episode, ready_episode__lt=episode)
    if not seat.update(ready_episode=episode):
        return None
    agent = GameSeat.objects.values_list("agent", flat=True).get(pk=seat_id)
    return {"type": protocol.READY, "player": agent, "episode": episode}


def game_presence(*, seat_id: int, hidden: bool) -> dict:
    """The tab was hidden or shown again; the others see the player as lagging while it is hidden."""
    now = timezone.now()
    seat = GameSeat.objects.get(pk=seat_id)
    if hidden:
        GameSeat.objects.filter(pk=seat_id, hidden_since__isnull=True).update(hidden_since=now)
        GameSeat.objects.filter(pk=seat_id, absent_since__isnull=True).update(absent_since=now)
    else:
        GameSeat.objects.filter(pk=seat_id).update(hidden_since=None, absent_since=None, last_seen=now)
    recent = GameEvent.objects.filter(
        game_id=seat.game_id, agent=seat.agent, kind__in=("hidden", "visible"), at__gte=now - timedelta(minutes=1)
    )
    if recent.count() < settings.MUG_PRESENCE_EVENTS_PER_MINUTE:  # a tab toggled on and on writes no more rows
        _event(seat, "hidden" if hidden else "visible")
    return {"type": protocol.PLAYER, "player": seat.agent, "state": "hidden" if hidden else "here"}


def game_disconnect(*, seat_id: int, channel_name: str) -> dict | None:
    """The socket closed; if it still served the seat, the others see the player as away."""
    if not GameSeat.objects.filter(pk=seat_id, channel_name=channel_name).update(connected=False):
        return None  # a newer socket (a reload) already serves this seat
    seat = GameSeat.objects.get(pk=seat_id)
    if seat.status != ACTIVE:
        return None  # already dropped (and maybe replaced): the others' view of it never goes back to "away"
    GameSeat.objects.filter(pk=seat_id, absent_since__isnull=True).update(absent_since=timezone.now())
    _event(seat, "disconnected")
    return {"type": protocol.PLAYER, "player": seat.agent, "state": "away"}


def _event(seat: GameSeat, kind: str) -> None:
    game = Game.objects.only("episode").get(pk=seat.game_id)
    frame = seat.acked + 1
    GameEvent.objects.create(game_id=seat.game_id, episode=game.episode, frame=frame, kind=kind, agent=seat.agent)


def game_has_absent_seats(*, game_id: int) -> bool:
    """Whether any active seat of the running game has been absent (hidden, disconnected or silent) for at least
    half a second: a cheap first look before the full sweep (no dropout policy acts on less)."""
    cutoff = timezone.now() - timedelta(seconds=0.5)
    seats = GameSeat.objects.filter(game_id=game_id, status=ACTIVE, game__status=PLAYING)
    never = Q(last_seen__isnull=True, game__created_at__lt=cutoff)  # a seat whose page has not come yet
    return seats.filter(Q(absent_since__lt=cutoff) | Q(last_seen__lt=cutoff) | never).exists()


def game_sweep(*, game_id: int, definition) -> list[dict]:
    """Apply the dropout policy to seats absent (hidden, disconnected or silent) for longer than the timeout."""
    game = Game.objects.get(pk=game_id)
    if game.status != PLAYING:
        return []
    netcode, now = game.netcode, timezone.now()
    cutoff = now - timedelta(seconds=netcode["dropout_s"])
    # A seat whose page is loading the game (connected, absent, not hidden) is on the longer clock.
    loading_cutoff = now - timedelta(seconds=netcode.get("load_grace_s", netcode["dropout_s"]))
    loading = Q(connected=True, hidden_since__isnull=True)
    # A seat whose page never came (the tab was closed once matched) is on the loading clock from the game's start.
    never = Q(last_seen__isnull=True) if game.created_at < loading_cutoff else Q(pk__in=[])
    # A seat whose page said it was unloading and whose socket is gone is held until unload_grace_s after both the
    # notice and the disconnect (a reload's next page comes within it); then the rules above, so never less.
    unload_cutoff = now - timedelta(seconds=netcode.get("unload_grace_s", 0.0))
    unloaded = Q(connected=False, unloading_since__isnull=False)
    held = unloaded & (Q(unloading_since__gte=unload_cutoff) | Q(absent_since__gte=unload_cutoff))
    absent = (
        game.seats.filter(status=ACTIVE)
        .filter(
            Q(last_seen__lt=cutoff)
            | (Q(absent_since__lt=cutoff) & ~loading)
            | (Q(absent_since__lt=loading_cutoff) & loading)
            | never
        )
        .exclude(held)
    )
    messages = []
    for seat in absent.distinct():
        if netcode["on_dropout"] == "wait":
            continue
        messages += seat_drop(game, seat, definition)
    return messages


def game_seats_release(
    *, participant: Participant, definition, outcome: str | None = None
) -> list[tuple[GameSeat, list[dict]]]:
    """The participant's flow was ended from outside the game (by staff, an exclusion, a runtime error): their seat
    in a running game drops now and the game's dropout policy applies for the others. A runtime error in a game
    that runs in the browsers ends it for everyone with that outcome: every seat runs the same env code (it raised,
    or will, for them too), so no partner is to blame. Returns each seat with the messages."""
    released = []
    seats = GameSeat.objects.filter(participant=participant, status=ACTIVE, game__status=PLAYING)
    for seat in seats.select_related("game", "participant"):
        game = seat.game
        if outcome == RUNTIME_ERROR and game.runs_on != SERVER:
            released.append((seat, _end_by_error(game, seat, definition)))
            continue
        first = game.frame + 1 if game.runs_on == SERVER else None  # a server game: the last frame it stored
        released.append((seat, seat_drop(game, seat, definition, first=first)))
        episodes_interrupt(participant_ids=[participant.pk], scene_key=game.scene_key)
    return released


def _end_by_error(game: Game, seat: GameSeat, definition) -> list[dict]:
    """The seat's env raised: the game ends for every seat with the runtime error outcome (a browser's report: no
    unique code for anyone, as for the one who reported it)."""
    with transaction.atomic():
        if not Game.objects.filter(pk=game.pk, status=PLAYING).update(status=ENDED, ended_at=timezone.now()):
            return []
        GameSeat.objects.filter(pk=seat.pk, status=ACTIVE).update(status=DROPPED, replaced_from=seat.acked + 1)
        GameEvent.objects.create(
            game=game,
            episode=game.episode,
            frame=seat.acked + 1,
            kind="game_end",
            agent=seat.agent,
            detail={"reason": RUNTIME_ERROR},
        )
        others = list(game.seats.filter(status=ACTIVE).select_related("participant"))
        for other in others:
            participant_finish(
                participant=other.participant, definition=definition, outcome=RUNTIME_ERROR, witnessed=False
            )
        _interrupt(game, [seat.participant_id, *[other.participant_id for other in others]])
    return [{"type": protocol.END, "reason": RUNTIME_ERROR}]


def seat_drop(game: Game, seat: GameSeat, definition, first: int | None = None) -> list[dict]:
    """Apply the dropout policy to an absent seat from frame `first` (by default the first frame the relay has no
    input of theirs for); returns the messages for the others."""

    with transaction.atomic():
        first = seat.acked + 1 if first is None else first
        if not GameSeat.objects.filter(pk=seat.pk, status=ACTIVE).update(status=DROPPED, replaced_from=first):
            return []  # another process applied it first
        policy = game.netcode["on_dropout"]
        GameEvent.objects.create(
            game=game, episode=game.episode, frame=first, kind="dropout", agent=seat.agent, detail={"policy": policy}
        )
        participant_finish(participant=seat.participant, definition=definition, outcome=DROPPED_OUT)
        _interrupt(game, [seat.participant_id])
        others = list(game.seats.filter(status=ACTIVE).select_related("participant"))
        if policy == "end" or not others:
            return _end(game, others, definition, first)
    replacement = game.netcode["replacement"]
    return [{"type": protocol.REPLACED, "player": seat.agent, "from_frame": first, "policy": replacement}]


def _end(game: Game, others: list[GameSeat], definition, frame: int) -> list[dict]:

    if not Game.objects.filter(pk=game.pk, status=PLAYING).update(status=ENDED, ended_at=timezone.now()):
        return []
    GameEvent.objects.create(
        game=game, episode=game.episode, frame=frame, kind="game_end", detail={"reason": "partner_dropped"}
    )
    for seat in others:
        participant_finish(participant=seat.participant, definition=definition, outcome=PARTNER_DROPPED)
    _interrupt(game, [seat.participant_id for seat in others])
    return [{"type": protocol.END, "reason": PARTNER_DROPPED}]


def _interrupt(game: Game, participant_ids: list[int]) -> None:
    """The current episode will not end for these participants."""
    episodes_interrupt(participant_ids=participant_ids, scene_key=game.scene_key, index=game.episode)


def game_referee(*, game_id: int, frame: int, scene) -> list[dict]:
    """Checksums disagree at a confirmed frame: replay the log to it (the referee), and send the seats that
    differ from the referee its state. Recorded as a `resync` event per seat, or `desync_unresolved`."""

    game = Game.objects.get(pk=game_id)
    checkpoint = game_checkpoint(game=game, episode=game.episode, frame=frame, scene=scene)
    seats = list(game.seats.filter(status=ACTIVE))
    reported = {seat.agent: seat.checks.get(str(frame)) for seat in seats}
    if checkpoint is None or checkpoint["checksum"] not in reported.values():
        reason = "the env has no get_state()" if checkpoint is None else "no seat matches the referee"
        GameEvent.objects.create(
            game=game,
            episode=game.episode,
            frame=frame,
            kind="desync_unresolved",
            detail={"checksums": reported, "reason": reason},
        )
        return []
    messages = []
    for seat in seats:
        digest = reported[seat.agent]
        if digest is not None and digest != checkpoint["checksum"]:
            GameEvent.objects.create(
                game=game,
                episode=game.episode,
                frame=frame,
                kind="resync",
                agent=seat.agent,
                detail={"had": digest, "referee": checkpoint["checksum"]},
            )
            count = _resync_count(seat, frame)
            messages.append(
                {"type": protocol.RESYNC, "player": seat.agent, "episode": game.episode, "resync": count, **checkpoint}
            )
    return messages


def _resync_count(seat: GameSeat, frame: int) -> int:
    """Count the resync sent to the seat, and forget its checksums after `frame`: they are of the diverged state.
    Until the browser says it applied this resync, its checksums are not compared (input_store._record_checks)."""
    with transaction.atomic():
        checks = GameSeat.objects.select_for_update().get(pk=seat.pk).checks
        count = checks.get(RESYNCS, 0) + 1
        kept = {f: digest for f, digest in checks.items() if f != RESYNCS and int(f) <= frame}
        GameSeat.objects.filter(pk=seat.pk).update(checks={**kept, RESYNCS: count})
    return count
