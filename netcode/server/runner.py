"""One server-side game in plain Python: seats' key states in (validated), one frame per step, render packets and
data rows out. A dedicated process drives it at a fixed rate (netcode/server/process.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from experiments.definition.model_runtime import ServerModels
from mug.loop import GameLoop, LoopConfig
from mug.policies import make_policy
from mug.rollback import IDLE

logger = logging.getLogger(__name__)
MAX_KEYS = 16  # keys one message may hold down
MAX_AHEAD = 30  # frames an input may claim to be ahead of the server (about 1 s at 30 fps)


class ServerRunner:
    """The env and its episodes on the server; the seats (agents) are decided by the server, never the client."""

    def __init__(self, config: dict[str, Any], seats: list[str], models: dict[str, str] | None = None) -> None:
        self.loop = GameLoop(LoopConfig.from_dict(config))
        # The scene's ONNX files by sha256, opened once in this game's process: onnxruntime answers the loop's
        # queries here as onnxruntime-web does in a browser (the same feeds), and the replay check does likewise.
        self.models = ServerModels({sha256: Path(path) for sha256, path in (models or {}).items()})
        unknown = set(seats) - set(self.loop.humans)
        if unknown:
            raise ValueError(f"seats {sorted(unknown)} are not human agents of this scene")
        self.seats = list(seats)
        self.known_keys = {key for combo in self.loop.config.keys for key in _split(combo)}
        self.held: dict[str, list[str]] = {seat: [] for seat in seats}
        self.presses: dict[str, list[str]] = {seat: [] for seat in seats}
        self.seen: dict[str, int] = {}  # each seat's latest input id (the client measures input-to-render from it)
        self.idle: set[str] = set()  # seats replaced by the default action after a dropout
        self.ignored: list[str] = []  # why inputs were dropped (also logged)

    def start(self, episode: int, seed: int) -> dict[str, Any]:
        started = self.loop.start_episode(episode, seed)
        started["hud"] = self.loop.huds()  # every seat's own line: each page shows its seat's
        return started

    def replace(self, seat: str, policy: dict[str, Any]) -> None:
        """A dropped participant's seat is played by a policy ("idle": the default action) from the next frame."""
        if seat not in self.seats:
            return
        self.seats.remove(seat)
        if policy["kind"] == IDLE:
            self.idle.add(seat)
            return
        agent_policy = make_policy(policy, self.loop.adapter.action_space(seat))
        agent_policy.reset(self.loop.seed, self.loop.adapter.possible_agents.index(seat))
        self.loop.policies[seat] = agent_policy  # stays for the later episodes (reset with each one's seed)
        query = None if self.loop.over else agent_policy.query(self.loop.frame, self.loop.observations.get(seat))
        if query is not None:  # an ONNX model: its first inputs join the queries made after the last frame
            self.loop.queries = {**self.loop.queries, seat: query}

    def take_input(self, seat: str, message: Any) -> bool:
        """A seat's keys as of its frame; anything malformed or implausible is dropped with a reason."""
        reason = self._problem(seat, message)
        if reason:
            self.ignored = [*self.ignored[-99:], f"{seat}: {reason}"]
            logger.info("server game input ignored (%s): %s", seat, reason)
            return False
        self.held[seat] = list(message.get("held", []))
        self.presses[seat] += list(message.get("presses", []))
        if isinstance(message.get("id"), int):
            self.seen[seat] = message["id"]
        return True

    def _problem(self, seat: str, message: Any) -> str | None:
        if seat not in self.seats:
            return "not a seat of this game" if seat not in self.held else "this seat is played by a replacement"
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
        idle = {seat: loop.keymap.default_action for seat in self.idle if seat in loop.adapter.live_agents()}
        self.presses = {seat: [] for seat in self.held}
        # The keys' actions in the types of the action spaces, as the replay gives them (a Box wants a float32 array,
        # not the mapping's list of Python floats: MountainCarContinuous computes in float64 from a list)
        row = loop.step_frame({**loop.coerce_actions({**actions, **idle}), **loop.ai_actions(self.inference())})
        return {"row": row, "render": loop.render(), "hud": loop.huds(), "over": loop.over, "seen": dict(self.seen)}

    def inference(self) -> dict[str, Any]:
        """The model outputs the loop asked for before this frame (its ONNX agents that are due), by agent."""
        queries = self.loop.queries
        if not queries:
            return {}
        # Each agent's own spec (its model's sha256): the loop keys agents by the env's ids, which may be ints.
        return self.models.run(queries, {agent: self.loop.policies[agent].spec for agent in queries})


class Screen:
    """What a participant's canvas shows now (the persistent objects), so a late joiner gets one full repaint."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.size: list[int] | None = None  # the env's drawing area, which the page scales to its canvas

    def apply(self, packet: dict[str, Any]) -> None:
        self.size = packet.get("size", self.size)
        if packet.get("reset"):
            self.objects.clear()
        for object_id in packet.get("removed", []):
            self.objects.pop(object_id, None)
        for obj in packet.get("objects", []):
            if obj.get("persistent"):
                self.objects.pop(obj["id"], None)  # re-added last: the drawing order stays the env's
                self.objects[obj["id"]] = obj

    def full(self) -> dict[str, Any]:
        full = {"objects": list(self.objects.values()), "removed": [], "reset": True}
        return {**full, "size": self.size} if self.size else full


def _split(combo: str) -> list[str]:
    return [combo] if combo == "+" else combo.split("+")
