"""Reads of server-side games: what a host needs to (re)start a game, and which scene a game plays."""

from __future__ import annotations

from typing import Any

from experiments.definition import registry
from experiments.definition.gym_scene import GymScene, gym_scene_of
from experiments.definition.preflight import replacement_model
from netcode.models import ACTIVE, DROPPED, Game


def game_scene(game: Game) -> tuple[Any, GymScene]:
    """The experiment definition and the scene as this game plays it (alone after a PlayWithAI timeout)."""
    definition = registry.get_experiment(game.experiment.slug)
    scene = gym_scene_of(definition, game.scene_key)
    if game.match_id is None and len(scene.human_agents()) >= 2 and scene.solo_variant() is not None:
        scene = scene.solo_variant()
    return definition, scene


def game_scene_by_id(game_id: int) -> tuple[Any, GymScene]:
    return game_scene(Game.objects.select_related("experiment").get(pk=game_id))


def host_plan(*, game_id: int) -> dict[str, Any]:
    """How to start the game's process: the env's configuration, the seats still played by people, the seats
    replaced after a dropout, the ONNX files its process runs, and the episodes left (a restarted host replays the
    current one from its start)."""
    game = Game.objects.select_related("experiment").get(pk=game_id)
    _, scene = game_scene(game)
    seats = list(game.seats.order_by("id"))
    replacement = game.netcode.get("replacement")
    models = {**scene.model_files(), **replacement_model(scene.netcode)}  # its agents' and ReplaceWithAI's ONNX files
    return {
        "slug": game.experiment.slug,
        "scene_key": game.scene_key,
        "config": scene.loop_config(),
        "seats": [seat.agent for seat in seats if seat.status == ACTIVE],
        "replaced": {seat.agent: replacement for seat in seats if seat.status == DROPPED and replacement},
        "players": [seat.agent for seat in seats],
        "seeds": game.seeds,
        "first_episode": game.episode,
        "fps": scene.fps,
        "netcode": game.netcode,
        "models": {sha256: str(path) for sha256, path in models.items()},
    }
