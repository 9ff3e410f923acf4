"""Reads of the game relay: what a (re)joining browser needs to play on from where the game is."""

from __future__ import annotations

from datetime import datetime, timedelta

from experiments.gamedata.models import Episode
from netcode import protocol
from netcode.models import ACTIVE, DROPPED, PLAYING, GameEvent, GameInput, GameSeat

RTT_FRESH_S = 6.0  # probes go every 2 s: an older reading means the socket is gone (the dropout rules' business)


def welcome_message(*, seat: GameSeat) -> dict:
    """The game, this seat, the episode and every input of it so far (a reload replays them to catch up)."""
    game = seat.game
    seats = list(game.seats.order_by("id"))
    inputs = GameInput.objects.filter(game=game, episode=game.episode).order_by("frame", "agent")
    episode = Episode.objects.filter(participant_id=seat.participant_id, scene_key=game.scene_key, index=game.episode)
    stored = episode.values("n_steps").first() or {"n_steps": 0}
    return {
        "type": protocol.WELCOME,
        "game": game.pk,
        "seat": seat.agent,
        "players": [s.agent for s in seats],
        "episode": game.episode,
        "seed": game.seeds[game.episode],
        "netcode": {key: game.netcode[key] for key in ("input_delay", "window", "predict", "lagging_s")},
        "inputs": [[i.agent, i.frame, i.action] for i in inputs],
        "replaced": replaced_seats(game=game, seats=seats, episode=game.episode),
        "ack": seat.acked,
        "ai_ack": seat.ai_acked.get("agents", {}) if seat.ai_acked.get("episode") == game.episode else {},
        "stored": {"n_steps": stored["n_steps"], "chunks": _chunks(episode)},
        "states": {s.agent: seat_state(s) for s in seats},
        "ready": {s.agent: s.ready_episode for s in seats},
    }


SYNC_FRAMES = 300  # frames of inputs one SYNC answer holds (the next stall asks for the rest)


def input_log_message(*, seat_id: int, episode, after) -> dict | None:
    """Every input of the running episode after frame `after` (up to SYNC_FRAMES frames): a browser stalled on a
    partner asks for it, so a forwarded message that never arrived (a dropped or full channel) costs a second,
    not the game. None for another episode or a malformed request."""
    seat = GameSeat.objects.select_related("game").get(pk=seat_id)
    game = seat.game
    if episode != game.episode or not isinstance(after, int) or isinstance(after, bool):
        return None
    inputs = GameInput.objects.filter(game=game, episode=game.episode, frame__gt=after, frame__lte=after + SYNC_FRAMES)
    log = [[i.agent, i.frame, i.action] for i in inputs.order_by("frame", "agent")]
    seats = list(game.seats.order_by("id"))  # every seat's state and readiness: a notice may have been missed
    states, ready = {s.agent: seat_state(s) for s in seats}, {s.agent: s.ready_episode for s in seats}
    return {"type": protocol.INPUT_LOG, "episode": game.episode, "inputs": log, "states": states, "ready": ready}


def _chunks(episode) -> int:
    first = episode.first()
    return first.chunks.count() if first else 0


def replaced_seats(*, game, seats: list[GameSeat], episode: int) -> list[list]:
    """[player, first frame, policy] for every seat played by a policy in `episode` (from frame 0 in episodes
    after the one it dropped out of)."""
    dropped_in = dict(GameEvent.objects.filter(game=game, kind="dropout").values_list("agent", "episode"))
    replacement = game.netcode.get("replacement")
    out = []
    for seat in seats:
        if seat.status == DROPPED and replacement and dropped_in.get(seat.agent, episode + 1) <= episode:
            first = seat.replaced_from if dropped_in[seat.agent] == episode else 0
            out.append([seat.agent, first, replacement])
    return out


def seat_state(seat: GameSeat) -> str:
    if seat.status != ACTIVE:
        return "dropped"
    if not seat.connected:
        return "away"
    if seat.hidden_since:
        return "hidden"
    return "loading" if seat.absent_since else "here"  # connected yet absent: the page is loading the game


def seat_rtt_now(participant, scene_key: str, now: datetime) -> float | None:
    """The round trip the server timed lately on the participant's socket in this scene's running game, if any."""
    reading = (
        GameSeat.objects.filter(
            participant=participant,
            status=ACTIVE,
            game__status=PLAYING,
            game__scene_key=scene_key,
            rtt_at__gte=now - timedelta(seconds=RTT_FRESH_S),
        )
        .values_list("rtt_ms", flat=True)
        .first()
    )
    return reading
