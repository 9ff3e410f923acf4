"""Round trips the server times on a game socket, and what a browser says about its own play (frame rate,
rollbacks): stored on the seat for the live monitor and for monitoring's latency rule."""

from __future__ import annotations

from statistics import median
from typing import Any

from django.utils import timezone

from netcode.models import GameSeat

# name -> (lowest, highest): anything else, or out of range, is dropped (a page can say what it likes here, and it
# is only shown to staff, never used to decide anything)
CLIENT_STATS = {"fps": (0.0, 1000.0), "rollbacks": (0, 10**9), "replayed": (0, 10**9), "frame": (-1, 10**9)}


def clean_client_stats(stats: Any) -> dict[str, float]:
    if not isinstance(stats, dict):
        return {}
    clean = {}
    for name, (low, high) in CLIENT_STATS.items():
        value = stats.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
            clean[name] = round(float(value), 1) if isinstance(low, float) else int(value)
    return clean


def game_seat_measure(*, seat_id: int, channel_name: str, rtt_samples: list[float], stats: Any) -> None:
    """The median of the socket's recent round trips (timed by the server: a browser can only lengthen them)."""
    GameSeat.objects.filter(pk=seat_id, channel_name=channel_name).update(
        rtt_ms=round(median(rtt_samples), 1),
        rtt_at=timezone.now(),
        client_stats=clean_client_stats(stats),
        last_seen=timezone.now(),
    )
