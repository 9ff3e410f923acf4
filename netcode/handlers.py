"""What the game socket does, as plain synchronous functions (the consumer only parses and sends)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from experiments.definition import registry
from experiments.definition.gym_scene import GymScene, gym_scene_of
from experiments.flow import selectors
from experiments.flow.models import Experiment
from matchmaking.placement import Placement, match_host_claim
from netcode import protocol, services
from netcode.models import Game, GameSeat
from netcode.selectors import seat_state, welcome_message
from netcode.services import GameRefused


@dataclass(frozen=True)
class Seat:
    seat_id: int
    game_id: int
    agent: str
    previous_channel: str


def relay_join(*, slug: str, token: str | None, scene_key: str, channel_name: str) -> tuple[Seat, dict]:
    """The participant's seat (their cookie decides who they are) and the welcome with the game so far."""
    definition, participant = participant_at(slug=slug, token=token, scene_key=scene_key)
    scene = _scene(definition, scene_key)
    seat, previous = services.game_join(
        participant=participant, scene=scene, scene_key=scene_key, channel_name=channel_name
    )
    return Seat(seat.pk, seat.game_id, seat.agent, previous), welcome_message(seat=seat)


def game_placement(*, slug: str, token: str | None, scene_key: str, down: object) -> Placement:
    """Where this participant's game socket belongs (matchmaking/placement.py). Without a group (a lone server
    game, or a hello the join will refuse) any process serves it."""
    if not settings.MUG_WORKER_ROUTES:
        return Placement()
    try:
        _, participant = participant_at(slug=slug, token=token, scene_key=scene_key)
        match = services.confirmed_match(participant, scene_key)
    except GameRefused:
        return Placement()
    return match_host_claim(match=match, down=down)


def relay_loading(*, slug: str, token: str | None, scene_key: str, channel_name: str) -> tuple[Seat, dict]:
    """The participant's page holds their seat while its game loads; returns the seat and the PLAYER message."""
    definition, participant = participant_at(slug=slug, token=token, scene_key=scene_key)
    seat, previous = services.game_loading(
        participant=participant, scene=_scene(definition, scene_key), scene_key=scene_key, channel_name=channel_name
    )
    return Seat(seat.pk, seat.game_id, seat.agent, previous), {
        "type": protocol.PLAYER,
        "player": seat.agent,
        "state": seat_state(seat),
    }


def relay_unloading(*, slug: str, token: str | None, scene_key: str) -> dict:
    """The participant's page is unloading (its pagehide): hold their seat for the game's unload grace."""
    _, participant = participant_at(slug=slug, token=token, scene_key=scene_key)
    counted = services.game_unloading(participant=participant, scene_key=scene_key)
    return {"ok": True, "held": counted}


def relay_players(*, game_id: int) -> int:
    return GameSeat.objects.filter(game_id=game_id).count()


def refusal_ending(*, slug: str, over: str, message: str) -> dict:
    """What a page gets instead of an error when its hello is refused because the game is over for it."""
    if over == "finished":
        return {"type": protocol.FINISHED}
    return {"type": protocol.END, "reason": "refused", "message": message, "next": _flow_url(slug)}


def participant_at(*, slug: str, token: str | None, scene_key: str):
    """The study's definition and the participant whose signed cookie this is, playing `scene_key` now."""
    definition = registry.get_experiment(slug)
    experiment = Experiment.objects.filter(slug=slug).first()
    if definition is None or experiment is None:
        raise GameRefused("no such study")
    participant = selectors.participant_by_token(experiment=experiment, token=token)
    if participant is None:
        raise GameRefused("this browser has no place in this study; open the study link first")
    if participant.is_finished:
        raise GameRefused("this study has ended for you", over="ended")
    if participant.current_key != scene_key:
        raise GameRefused("this game is not the participant's current scene")
    return definition, participant


def relay_done(*, seat_id: int, episode: int, frames, checksum) -> list[dict]:
    seat = GameSeat.objects.select_related("game__experiment").get(pk=seat_id)
    definition = registry.get_experiment(seat.game.experiment.slug)
    scene = _scene(definition, seat.game.scene_key)
    messages = services.game_episode_done(
        seat_id=seat_id, episode=episode, frames=frames, checksum=checksum, scene=scene
    )
    return [_with_next(message, definition.slug) for message in messages]


def relay_referee(*, seat_id: int, frame: int) -> list[dict]:
    seat = GameSeat.objects.select_related("game__experiment").get(pk=seat_id)
    definition = registry.get_experiment(seat.game.experiment.slug)
    return services.game_referee(game_id=seat.game_id, frame=frame, scene=_scene(definition, seat.game.scene_key))


def relay_sweep(*, game_id: int) -> list[dict]:
    """Apply dropout policies that are due; END messages carry the flow URL the browsers go to."""
    if not services.game_has_absent_seats(game_id=game_id):
        return []  # the usual answer, in one query (every game is swept twice a second)
    slug = Game.objects.select_related("experiment").get(pk=game_id).experiment.slug
    messages = services.game_sweep(game_id=game_id, definition=registry.get_experiment(slug))
    return [_with_next(message, slug) for message in messages]


def _with_next(message: dict, slug: str) -> dict:
    if message["type"] in ("end", "finished"):
        return {**message, "next": _flow_url(slug)}
    return message


def _flow_url(slug: str) -> str:
    return reverse("experiments:flow", kwargs={"slug": slug})


def _scene(definition, scene_key: str) -> GymScene:
    scene = gym_scene_of(definition, scene_key)
    if scene is None or scene.netcode is None or scene.on_server:
        raise GameRefused("this scene is not a group game played in the browser")
    return scene
