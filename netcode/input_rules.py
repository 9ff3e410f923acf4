"""The relay's authoritative input log of one game, in plain Python: frame-stamped, first write wins.

A frame is confirmed when every player's input for it and for every earlier frame has arrived; confirmed
frames are what the relay broadcasts, what a reconnecting peer is resynced from, and what the data records.
Per player the log acknowledges the highest frame received without a gap, so clients resend only the rest.
"""

from __future__ import annotations

from typing import Any

from experiments.definition.errors import ApplicationError

MAX_AHEAD = 120  # frames a client may send ahead of the confirmed frame (about 4 s at 30 fps)
RESYNCS = "resyncs"  # the key in a seat's `checks` counting the resyncs the relay sent it this episode


class InputRefused(ApplicationError):
    """An input the log will not take; the message says why (the client is told, nothing is stored)."""


def check_frame(frame: object, first_frame: int, confirmed: int, max_ahead: int) -> None:
    """Raise InputRefused unless `frame` is a frame a player may send an input for now."""
    if not isinstance(frame, int) or isinstance(frame, bool) or frame < first_frame:
        raise InputRefused(f"frame {frame!r} is not a frame of this game")
    if frame > confirmed + max_ahead:
        raise InputRefused(f"frame {frame} is too far ahead of the confirmed frame {confirmed}")


def contiguous(acked: int, known) -> int:
    """The highest frame reached from `acked` through frames all present in `known`."""
    while acked + 1 in known:
        acked += 1
    return acked


class InputLog:
    def __init__(self, players: list[str], first_frame: int = 0, max_ahead: int = MAX_AHEAD) -> None:
        self.players = list(players)
        self.first_frame = first_frame
        self.max_ahead = max_ahead
        self.inputs: dict[str, dict[int, Any]] = {player: {} for player in players}
        self.acked: dict[str, int] = dict.fromkeys(players, first_frame - 1)
        self.confirmed = first_frame - 1
        self.broadcast_up_to = first_frame - 1

    def add(self, player: str, frame: int, action: Any) -> bool:
        """Store an input; False for a repeat of a frame already known (the first write stands)."""
        if player not in self.inputs:
            raise InputRefused(f"{player!r} is not a player of this game")
        check_frame(frame, self.first_frame, self.confirmed, self.max_ahead)
        known = self.inputs[player]
        if frame in known:
            return False
        known[frame] = action
        self.acked[player] = contiguous(self.acked[player], known)
        self._advance()
        return True

    def _advance(self) -> None:
        self.confirmed = min(self.acked.values())

    def newly_confirmed(self) -> list[tuple[int, dict[str, Any]]]:
        """Confirmed frames not handed out yet, in order (for the broadcast)."""
        frames = self.frames(self.broadcast_up_to + 1, self.confirmed)
        self.broadcast_up_to = self.confirmed
        return frames

    def frames(self, start: int, end: int | None = None) -> list[tuple[int, dict[str, Any]]]:
        """Confirmed frames start..end (inclusive; end defaults to the confirmed frame): a resync."""
        end = self.confirmed if end is None else min(end, self.confirmed)
        return [
            (frame, {p: self.inputs[p][frame] for p in self.players})
            for frame in range(max(start, self.first_frame), end + 1)
        ]

    def ack(self, player: str) -> int:
        """The highest frame of `player` received with nothing missing before it."""
        return self.acked[player]
