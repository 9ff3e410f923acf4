"""What the waiting-room socket does, as plain synchronous functions (the consumer only parses and sends).

Each function returns the notices to send: (channel, the state that client should now see). The database holds
the truth and every socket re-reads it every few ticks, so a lost notice only delays a client.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from experiments.definition import registry
from experiments.definition.gym_scene import GymScene, gym_scene_of
from experiments.definition.outcomes import NO_PARTNER
from experiments.definition.rooms import ContinueTo, EndWithNoPartner
from experiments.flow import selectors
from experiments.flow.models import Experiment
from experiments.flow.services import participant_finish, participant_skip_to
from matchmaking import services
from matchmaking.models import Room, WaitingEntry
from matchmaking.protocol import CONFIRM
from matchmaking.selectors import entry_state, matched_message
from matchmaking.services import MatchmakingError


@dataclass(frozen=True)
class Joined:
    entry_id: int
    room_id: int
    previous_channel: str
    ping_interval_s: float


def room_join(*, slug: str, token: str | None, scene_key: str, channel_name: str) -> Joined:
    definition = registry.get_experiment(slug)
    experiment = Experiment.objects.filter(slug=slug).first()
    if definition is None or experiment is None:
        raise MatchmakingError("no such study")
    participant = selectors.participant_by_token(experiment=experiment, token=token)
    if participant is None:
        raise MatchmakingError("this browser has no place in this study; open the study link first")
    scene = _room_scene(definition, scene_key)
    room = services.room_get(experiment=experiment, scene_key=scene_key)
    entry, previous = services.waiting_join(participant=participant, room=room, channel_name=channel_name)
    return Joined(entry.pk, room.pk, previous, scene.waiting_room.ping_interval_s)


def room_enter(*, slug: str, token: str | None, scene_key: str, channel_name: str) -> tuple[Joined, dict, list[str]]:
    """Join, then try to form a group right away (an arrival is when a group is most likely to form)."""
    joined = room_join(slug=slug, token=token, scene_key=scene_key, channel_name=channel_name)
    state, notify = room_step(entry_id=joined.entry_id, match_now=True)
    return joined, state, notify


def room_step(*, entry_id: int, match_now: bool) -> tuple[dict, list[str]]:
    """An arrival (`match_now`) tries to form groups at once; a tick sweeps the room (at most one process per
    interval) and then matches. Returns this entry's state and the channels to notify."""
    entry, definition, scene = _entry_scene(entry_id)
    waiting_room = scene.waiting_room

    def on_timeout(timed_out: WaitingEntry) -> None:
        _apply_timeout(timed_out, definition, scene)

    swept = not match_now and services.room_sweep(room=entry.room, waiting_room=waiting_room, on_timeout=on_timeout)
    notify = []
    if match_now or swept:
        for match in services.room_match(room=entry.room, waiting_room=waiting_room, seats=scene.human_agents()):
            confirm = {"type": CONFIRM, "match": match.pk}
            notify += [(channel, confirm) for channel in match.entries.values_list("channel_name", flat=True)]
        entry.refresh_from_db(fields=["status", "match"])
    return _with_next(entry_state(entry=entry, waiting_room=waiting_room), definition.slug), notify


def room_state(*, entry_id: int) -> dict:
    """This entry's state only (no sweep, no matching): the cheap refresh."""
    entry, definition, scene = _entry_scene(entry_id)
    return _with_next(entry_state(entry=entry, waiting_room=scene.waiting_room), definition.slug)


def _entry_scene(entry_id: int):
    entry = WaitingEntry.objects.select_related("room__experiment", "match").get(pk=entry_id)
    definition = registry.get_experiment(entry.room.experiment.slug)
    return entry, definition, _room_scene(definition, entry.room.scene_key)


def room_ack(*, entry_id: int, match_id: int) -> tuple[list[str], dict]:
    """Confirm; returns the channels to tell (all members, once the last one confirmed) and this entry's state."""
    match = services.match_ack(entry_id=entry_id, match_id=match_id)
    notify = []
    if match is not None:  # the last confirmation: tell every member their seat
        size = match.members.count()
        for channel, agent in match.entries.values_list("channel_name", "participant__matches__agent").filter(
            participant__matches__match=match
        ):
            notify.append((channel, matched_message(match, agent, size)))
    return notify, room_state(entry_id=entry_id)


def room_pong(*, entry_id: int, channel_name: str, rtt_ms: float | None) -> None:
    services.waiting_seen(entry_id=entry_id, channel_name=channel_name, rtt_ms=rtt_ms)


def room_leave(*, entry_id: int, channel_name: str) -> None:
    services.waiting_disconnect(entry_id=entry_id, channel_name=channel_name)


def room_release_now(*, room_id: int) -> int:
    """End every wait in the room now with its configured timeout outcome (the admin's "release")."""
    room = Room.objects.select_related("experiment").get(pk=room_id)
    definition = registry.get_experiment(room.experiment.slug)
    scene = _room_scene(definition, room.scene_key)
    return services.room_release(room=room, on_timeout=lambda entry: _apply_timeout(entry, definition, scene))


def _room_scene(definition, scene_key: str) -> GymScene:
    scene = gym_scene_of(definition, scene_key)
    if scene is None or scene.waiting_room is None:
        raise MatchmakingError("this scene has no waiting room")
    return scene


def _apply_timeout(entry: WaitingEntry, definition, scene: GymScene) -> None:
    """The configured outcome of a wait without a group; PlayWithAI needs nothing here (the game page reads it)."""
    participant = entry.participant
    outcome = scene.waiting_room.on_timeout
    if isinstance(outcome, ContinueTo):
        if participant_skip_to(
            participant=participant, definition=definition, from_key=entry.room.scene_key, scene_id=outcome.scene_id
        ):
            return
        outcome = EndWithNoPartner()
    if isinstance(outcome, EndWithNoPartner) and participant.current_key == entry.room.scene_key:
        participant_finish(participant=participant, definition=definition, outcome=NO_PARTNER)


def _with_next(state: dict, slug: str) -> dict:
    if state["type"] == "timeout":
        state["next"] = reverse("experiments:flow", kwargs={"slug": slug})
    return state
