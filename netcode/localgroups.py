"""The sockets of each game that this process serves: a game's messages reach them directly, and the channel
layer carries a message only when a seat of the game is served elsewhere (or is not connected right now).

In one process (the in-memory layer) the relay's messages never touch the layer; with Redis, a game whose
players are on the same process (a balancer's affinity) costs Redis nothing per input.
"""

from __future__ import annotations

import logging
import uuid

logger = logging.getLogger(__name__)
PROCESS = uuid.uuid4().hex  # tags the layer's copies: this process's own sockets had theirs directly

_members: dict[int, set] = {}
_layer_sent: dict[str, int] = {}  # message type -> how many this process handed to the channel layer


def layer_sent(kind: str) -> None:
    """A message of the game went over the channel layer (some seat of it is not served by this process)."""
    _layer_sent[kind] = _layer_sent.get(kind, 0) + 1


def relay_stats() -> dict:
    """What the health endpoint reports of the relay in this process: a deployment that keeps each game on one
    process sends no inputs over the layer."""
    sockets = sum(len(members) for members in _members.values())
    return {"games": len(_members), "sockets": sockets, "layer_sent": dict(_layer_sent)}


def local_join(game_id: int, consumer) -> None:
    _members.setdefault(game_id, set()).add(consumer)


def local_leave(game_id: int, consumer) -> None:
    members = _members.get(game_id)
    if members is not None:
        members.discard(consumer)
        if not members:
            del _members[game_id]


def local_members(game_id: int) -> list:
    return list(_members.get(game_id, ()))


async def local_deliver(game_id: int, message: dict) -> int:
    """Hand the message to each of this process's sockets in the game; returns how many took it."""
    delivered = 0
    for consumer in local_members(game_id):
        try:
            await consumer.deliver(message)
            delivered += 1
        except Exception:  # noqa: BLE001 - a socket that is going away; the others still get it
            logger.info("game %s: a local socket could not take a message; dropped from the group", game_id)
            local_leave(game_id, consumer)
    return delivered
