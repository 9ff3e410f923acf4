"""The server's replay of a game's input log: the canonical rows every participant's record must equal."""

from __future__ import annotations

from experiments.stager import base_id
from mug.loop import GameLoop, LoopConfig
from mug.rollback import RollbackSession, shared_fields
from netcode.models import Game, GameInput
from netcode.selectors import replaced_seats


def game_replay(*, game: Game, episode: int, scene) -> list[dict]:
    """Re-simulate one episode from the relay's confirmed inputs (and its dropout replacements), headless."""
    config = {**scene.loop_config(), "render_mode": None}
    loop = GameLoop(LoopConfig.from_dict(config))
    loop.start_episode(episode, game.seeds[episode])
    seats = list(game.seats.order_by("id"))
    players = [seat.agent for seat in seats]
    delay = game.netcode["input_delay"]
    session = RollbackSession(loop, players, players[0], input_delay=delay, window=10**9)
    for seat in seats:
        session.inputs[seat.agent].update(
            GameInput.objects.filter(game=game, episode=episode, agent=seat.agent).values_list("frame", "action")
        )
    for player, first, policy in replaced_seats(game=game, seats=seats, episode=episode):
        session.replace(player, first, policy)
    while not loop.over and all(session.frame in session.inputs[p] or session._is_replaced(p, session.frame)
                                for p in players):  # fmt: skip
        session.advance()
    session.advance()  # confirm the last frame
    return [shared_fields(row) for row in session.confirmed_rows]


def stored_rows(episode) -> list[dict]:
    """A participant's stored rows of one episode in the replay's shape."""
    rows = []
    for step in episode.steps.order_by("frame"):
        row = {"frame": step.frame, "actions": step.actions, "rewards": step.rewards, "terminated": step.terminated,
               "truncated": step.truncated, "infos": step.infos}  # fmt: skip
        if step.observations is not None:
            row["obs"] = step.observations
        rows.append(row)
    return rows


def scene_of(game: Game, definition):
    return definition.scene(base_id(game.scene_key))
