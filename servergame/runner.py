"""One server-side game in plain Python: seats' key states in (validated), one frame per step, render packets and
data rows out. A dedicated process drives it at a fixed rate (servergame/process.py)."""

from __future__ import annotations

import logging
from typing import Any

from mug.loop import GameLoop, LoopConfig

logger = logging.getLogger(__name__)
MAX_KEYS = 16  # keys one message may hold down
MAX_AHEAD = 30  # frames an input may claim to be ahead of the server (about 1 s at 30 fps)


class ServerRunner:
    """The env and its episodes on the server; the seats (agents) are decided by the server, never the client."""

    def __init__(self, config: dict[str, Any], seats: list[str]) -> None:
        self.loop = GameLoop(LoopConfig.from_dict(config))
        unknown = set(seats) - set(self.loop.humans)
        if unknown:
            raise ValueError(f"seats {sorted(unknown)} are not human agents of this scene")
        self.seats = list(seats)
        self.known_keys = {key for combo in self.loop.config.keys for key in _split(combo)}
        self.held: dict[str, list[str]] = {seat: [] for seat in seats}
        self.presses: dict[str, list[str]] = {seat: [] for seat in seats}
        self.ignored: list[str] = []  # why inputs were dropped (also logged)

    def start(self, episode: int, seed: int) -> dict[str, Any]:
        return self.loop.start_episode(episode, seed)

    def take_input(self, seat: str, message: Any) -> bool:
        """A seat's keys as of its frame; anything malformed or implausible is dropped with a reason."""
        reason = self._problem(seat, message)
        if reason:
            self.ignored.append(f"{seat}: {reason}")
            logger.info("server game input ignored (%s): %s", seat, reason)
            return False
        self.held[seat] = list(message.get("held", []))
        self.presses[seat] += list(message.get("presses", []))
        return True

    def _problem(self, seat: str, message: Any) -> str | None:
        if seat not in self.held:
            return "not a seat of this game"
        if not isinstance(message, dict):
            return "an input must be an object"
        frame = message.get("frame")
        if not isinstance(frame, int) or isinstance(frame, bool) or frame > self.loop.frame + MAX_AHEAD:
            return f"frame {frame!r} is not a frame this game is near"
        for name in ("held", "presses"):
            keys = message.get(name, [])
            if not isinstance(keys, list) or len(keys) > MAX_KEYS or not all(isinstance(k, str) for k in keys):
                return f"{name} must be a list of at most {MAX_KEYS} key names"
            if set(keys) - self.known_keys:
                return f"{name} has keys this game does not use: {sorted(set(keys) - self.known_keys)[:3]}"
        return None

    def step(self) -> dict[str, Any]:
        """One frame with the keys held now; the render packet (a delta), the HUD and the data row."""
        loop = self.loop
        press_mode = loop.config.input_mode == "press"
        actions = {
            seat: loop.keymap.pressed(self.presses[seat]) if press_mode else loop.keymap.held(self.held[seat])
            for seat in self.seats
            if seat in loop.adapter.live_agents()
        }
        self.presses = {seat: [] for seat in self.seats}
        row = loop.step_frame({**actions, **loop.ai_actions()})
        return {"row": row, "render": loop.render(), "hud": loop.hud(), "over": loop.over}


def _split(combo: str) -> list[str]:
    return [combo] if combo == "+" else combo.split("+")
