"""What the server-game socket does, as plain synchronous functions (the consumer only parses and sends)."""

from __future__ import annotations

from typing import Any

from experiments.definition.gym_scene import gym_scene_of
from experiments.gamedata.episodes import scene_as_played
from netcode.handlers import participant_at
from netcode.server.services import server_game_join
from netcode.services import GameRefused


def server_join(*, slug: str, token: str | None, scene_key: str, channel_name: str) -> dict[str, Any]:
    """The socket's participant (from the signed cookie) takes their seat; what the consumer needs to serve it."""

    definition, participant = participant_at(slug=slug, token=token, scene_key=scene_key)
    scene = gym_scene_of(definition, scene_key)
    if scene is None or not scene.on_server:
        raise GameRefused("this scene is not a server-side game")
    scene = scene_as_played(participant, scene_key, scene)
    seat, previous = server_game_join(
        participant=participant, scene=scene, scene_key=scene_key, channel_name=channel_name
    )
    return {"seat_id": seat.pk, "game_id": seat.game_id, "agent": seat.agent, "previous": previous}
