"""Which server process hosts a match's game, when the reverse proxy routes /x/<study>/w/<worker>/ws/ to each
process (settings.MUG_WORKER_ROUTES): every seat's game socket then connects to the same process, so the relay
forwards inputs between sockets of one process and nothing crosses the channel layer."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from matchmaking.models import Match


def placement_host() -> str:
    """The host of a match proposed by this process: this process (it is alive, and arrivals are spread over the
    processes by the proxy, so matches are too); none when the proxy does not route by worker."""
    return settings.MUG_WORKER_NAME if settings.MUG_WORKER_ROUTES else ""


@dataclass(frozen=True)
class Placement:
    moved_to: str = ""  # the socket belongs on this host: tell it to reconnect there
    claimed: bool = False  # this process became the host: sockets still on the old one are told to move


def match_host_claim(*, match: Match, down: object) -> Placement:
    """Where the game socket of a member of `match` belongs. A client that could not reach the game's host connects
    to any process and names the host it gave up on (`down`): the first such socket makes its process the host
    (a compare-and-set, so one process wins), the others are sent there. A client's claim can only move its own
    group's game between processes of the same deployment, which every process serves correctly."""
    me = settings.MUG_WORKER_NAME
    if not settings.MUG_WORKER_ROUTES or not match.host or match.host == me:
        return Placement()
    if isinstance(down, str) and down == match.host:
        if Match.objects.filter(pk=match.pk, host=down).update(host=me):
            return Placement(claimed=True)
        match.refresh_from_db(fields=["host"])  # another socket moved it first
        if match.host == me:
            return Placement()
    return Placement(moved_to=match.host)
