"""Seats of a matched pair and input entries for the relay's input store, and what it stored."""

from __future__ import annotations

from asgiref.sync import async_to_sync

from experiments.flow.identity import token_from_cookies
from netcode.handlers import relay_join
from netcode.input_store import InputEntry
from netcode.models import GameInput
from testkit.gameclient_ws import matched
from testkit.roomclient import participant_cookie


def seats(slug: str = "net-relay", scene_key: str = "pair", pids=("ann", "ben")) -> list[int]:
    cookies = [participant_cookie(slug, pid) for pid in pids]
    async_to_sync(matched)(slug, cookies, scene_key)
    joined = [
        relay_join(
            slug=slug,
            token=token_from_cookies({f"mug_{slug}": c}, slug),
            scene_key=scene_key,
            channel_name=f"socket-{i}",
        )
        for i, c in enumerate(cookies)
    ]
    return [seat.seat_id for seat, _ in sorted(joined, key=lambda joined: joined[0].agent)]


def entry(seat_id: int, inputs, episode: int = 0, checksums=None) -> InputEntry:
    return InputEntry(seat_id=seat_id, episode=episode, frame=0, inputs=inputs, checksums=checksums or [])


def stored() -> dict[tuple[str, int], int]:
    return {(i.agent, i.frame): i.action for i in GameInput.objects.all()}
