"""Tell the sockets of a running game about a change made outside them (a staff action): for rollback games the
relay group, for server games the host; the participant whose flow ended is sent to the flow page."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse

from experiments.definition.netplay import SERVER
from netcode import protocol as relay_protocol
from netcode.models import GameSeat
from netcode.server import protocol as server_protocol
from netcode.services import game_seats_release


def announce_released_seats(released: list[tuple[GameSeat, list[dict]]], slug: str, reason: str) -> None:
    layer = get_channel_layer()
    next_url = reverse("experiments:flow", kwargs={"slug": slug})
    for seat, messages in released:
        game = seat.game
        on_server = game.runs_on == SERVER
        event_type = server_protocol.GROUP_EVENT if on_server else relay_protocol.GROUP_EVENT
        if seat.channel_name:  # the participant's own page leaves the game for the flow (their ending)
            end = {"type": "end", "reason": reason, "next": next_url}
            async_to_sync(layer.send)(seat.channel_name, {"type": event_type, "message": end})
        if on_server:
            if game.host:
                dropped = {"type": server_protocol.HOST_DROPPED, "agent": seat.agent, "messages": messages}
                async_to_sync(layer.send)(game.host, dropped)
            continue
        for message in messages:
            if message["type"] in (relay_protocol.END, relay_protocol.FINISHED):
                message = {**message, "next": next_url}
            group = relay_protocol.group_name(game.pk)
            async_to_sync(layer.group_send)(group, {"type": relay_protocol.GROUP_EVENT, "message": message})


def seats_release_with_session(*, participant, definition, outcome: str) -> None:
    """The flow's session-end hook (netcode/apps.py): the participant's seat in a running game drops (the game's
    dropout policy applies to the others), and every socket concerned is told."""
    released = game_seats_release(participant=participant, definition=definition, outcome=outcome)
    announce_released_seats(released, participant.experiment.slug, outcome)
