"""The server's replay of a game's input log: the canonical rows every participant's record must equal."""

from __future__ import annotations

from experiments.definition.stager import base_id
from mug.loop import GameLoop, LoopConfig
from mug.rollback import RollbackSession, shared_fields
from mug.snapshots import Snapshotter
from mug.statecodec import encode
from netcode.models import Game, GameInput, GameSeat
from netcode.selectors import replaced_seats


def game_replay(*, game: Game, episode: int, scene) -> list[dict]:
    """Re-simulate one episode from the relay's confirmed inputs (and its dropout replacements), headless."""
    seats = list(game.seats.order_by("id"))
    replaced = replaced_seats(game=game, seats=seats, episode=episode)
    inputs = log_inputs(game, episode, seats)
    loop, session = replayer(
        scene.loop_config(), game.seeds[episode], episode, inputs, replaced, game.netcode["input_delay"]
    )
    players = list(inputs)
    while not loop.over and all(
        session.frame in session.inputs[p] or session._is_replaced(p, session.frame) for p in players
    ):
        session.advance()
    session.advance()  # confirm the last frame
    return [shared_fields(row) for row in session.confirmed_rows]


def replayer(config: dict, seed: int, episode: int, inputs: dict[str, dict], replaced: list, delay: int):
    """A headless loop and a session that knows every input of the log (it never predicts)."""
    loop = GameLoop(LoopConfig.from_dict({**config, "render_mode": None}))
    loop.start_episode(episode, seed)
    players = list(inputs)
    session = RollbackSession(loop, players, players[0], input_delay=delay, window=10**9)
    for player, known in inputs.items():
        session.inputs[player].update(known)
    for player, first, policy in replaced:
        session.replace(player, first, policy)
    return loop, session


def log_inputs(game: Game, episode: int, seats) -> dict[str, dict[int, object]]:
    """The relay's log of one episode: {agent: {frame: action}}."""
    rows = GameInput.objects.filter(game=game, episode=episode).values_list("agent", "frame", "action")
    # the seats, then the AI agents whose inputs one seat relays (mug.relayed), as the browsers order their players
    players = [seat.agent for seat in seats] + list(game.netcode.get("relayed") or [])
    inputs: dict[str, dict[int, object]] = {player: {} for player in players}
    for agent, frame, action in rows:
        inputs[agent][frame] = action
    return inputs


def stored_rows(episode) -> list[dict]:
    """A participant's stored rows of one episode in the replay's shape."""
    rows = []
    for step in episode.steps.order_by("frame"):
        row = {
            "frame": step.frame,
            "actions": step.actions,
            "rewards": step.rewards,
            "terminated": step.terminated,
            "truncated": step.truncated,
            "infos": step.infos,
        }
        if step.observations is not None:
            row["obs"] = step.observations
        rows.append(row)
    return rows


def scene_of(game: Game, definition):
    return definition.scene(base_id(game.scene_key))


def replay_checkpoint(
    config: dict, seed: int, episode: int, inputs: dict[str, dict], replaced: list, delay: int, frame: int
) -> dict | None:
    """The referee's state after `frame` (by replaying the log), as data a browser can load; None if the env has
    no get_state() (its state cannot be sent)."""

    loop, session = replayer(config, seed, episode, inputs, replaced, delay)
    while session.frame <= frame and not loop.over:
        session.advance()
    snapshotter = Snapshotter(loop.adapter)
    if not snapshotter.explicit or session.frame != frame + 1:
        return None
    state = getattr(loop.adapter.env, "unwrapped", loop.adapter.env).get_state()
    return {
        "frame": frame,
        "checksum": snapshotter.checksum(),
        "env": encode(state),
        "over": loop.over,
        "scores": encode(dict(loop.scores)),
        "observations": encode(loop.observations),
    }


def game_checkpoint(*, game: Game, episode: int, frame: int, scene) -> dict | None:
    seats = list(game.seats.order_by("id"))
    inputs = log_inputs(game, episode, seats)
    replaced = replaced_seats(game=game, seats=seats, episode=episode)
    delay = game.netcode["input_delay"]
    return replay_checkpoint(scene.loop_config(), game.seeds[episode], episode, inputs, replaced, delay, frame)


def _episode_game(episode) -> Game | None:
    """The game a participant's episode belongs to: their latest of its scene that has this episode."""
    seat = (
        GameSeat.objects.filter(participant_id=episode.participant_id, game__scene_key=episode.scene_key)
        .select_related("game")
        .order_by("-game_id")
        .first()
    )
    if seat is None or episode.index >= len(seat.game.seeds):
        return None
    return seat.game


def episode_logged_actions(episode, first: int, last: int) -> dict[str, dict[int, object]]:
    """The actions the relay logged for the players' own frames `first`..`last` of the episode's game: {agent:
    {frame: action}}; frames the AI plays for a replaced seat, and frames not logged (yet), are absent."""
    game = _episode_game(episode)
    if game is None:
        return {}
    seats = list(game.seats.order_by("id"))
    played_until = {agent: start for agent, start, _ in replaced_seats(game=game, seats=seats, episode=episode.index)}
    rows = GameInput.objects.filter(game=game, episode=episode.index, frame__gte=first, frame__lte=last)
    logged: dict[str, dict[int, object]] = {}
    for agent, frame, action in rows.values_list("agent", "frame", "action"):
        if frame < played_until.get(agent, frame + 1):
            logged.setdefault(agent, {})[frame] = action
    return logged


def episode_log(episode) -> dict | None:
    """The relay's log of the game a participant's episode belongs to (the exact verifier replays it in Pyodide)."""
    game = _episode_game(episode)
    if game is None:
        return None
    seats = list(game.seats.order_by("id"))
    return {
        "inputs": log_inputs(game, episode.index, seats),
        "replaced": replaced_seats(game=game, seats=seats, episode=episode.index),
        "delay": game.netcode["input_delay"],
        "seed": game.seeds[episode.index],
    }
