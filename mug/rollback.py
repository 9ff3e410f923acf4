"""A GGPO-style rollback session for one peer, in plain Python (it runs inside Pyodide next to the env).

Inputs are stamped with the frame they apply to (local frame + input delay). A missing remote input is
predicted (repeat the player's last known input, or the default action); when the real input differs, the
session restores the snapshot saved before that frame and re-simulates up to the present. It never runs more
than `window` frames past the confirmed frame (it stalls instead). Rows enter `confirmed_rows` only for frames
whose inputs are all known and that were simulated with exactly those inputs.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from mug.loop import GameLoop
from mug.policies import make_policy
from mug.snapshots import Snapshotter

REPEAT_LAST = "repeat"
DEFAULT = "default"
IDLE = "idle"  # a dropped player's agent that takes the default action from then on
CHECKSUM_EVERY = 10  # frames between exchanged checksums (3 a second at 30 fps)
VIEW_FIELDS = ("predicted", "rollback_depth")  # what one participant saw; the rest of a row is the same for all


def shared_fields(row: dict) -> dict:
    """A confirmed row without the participant's own view of it: what every peer's copy must equal."""
    return {key: value for key, value in row.items() if key not in VIEW_FIELDS}


class RollbackSession:
    def __init__(
        self,
        loop: GameLoop,
        players: list[str],
        local: str,
        input_delay: int = 2,
        window: int = 8,
        predict: str = REPEAT_LAST,
    ) -> None:
        if local not in players:
            raise ValueError(f"the local player {local!r} is not one of {players}")
        self.loop, self.players, self.local = loop, list(players), local
        self.input_delay, self.window, self.predict = input_delay, window, predict
        self.snapshotter = Snapshotter(loop.adapter)
        default = loop.keymap.default_action
        # Frames inside the input delay have no one's input: everyone plays the default, known to all.
        self.inputs: dict[str, dict[int, Any]] = {p: dict.fromkeys(range(input_delay), default) for p in players}
        self.used: dict[int, dict[str, Any]] = {}  # the human inputs each simulated frame used
        self.snapshots: dict[int, Any] = {}  # state before frame f
        self.rows: dict[int, dict] = {}  # speculative rows by frame
        self.confirmed_rows: list[dict] = []
        self.frame = 0  # the next frame to simulate
        self.confirmed = -1
        self.rollback_from: int | None = None
        self.replaced: dict[str, tuple[int, dict]] = {}  # player -> (first frame, policy spec) after a dropout
        self.hashes: dict[int, str] = {}  # checksum of the state after frame f, every CHECKSUM_EVERY frames
        self.view: dict[int, dict] = {}  # what the participant saw of each frame: predicted when shown, corrections
        self.replays: list[tuple[int, float]] = []  # (depth, ms of load + re-simulation) per rollback, for the bench
        self.stats = {"rollbacks": 0, "max_depth": 0, "replayed": 0, "stalls": 0, "mispredicted": 0}

    def add_local_input(self, action: Any) -> tuple[int, Any]:
        """The local player's input for (current frame + delay); returns what to send to the others."""
        frame = self.frame + self.input_delay
        self.inputs[self.local].setdefault(frame, action)
        return frame, self.inputs[self.local][frame]

    def add_remote_input(self, player: str, frame: int, action: Any) -> None:
        """A remote input (first write wins); schedules a rollback if a simulated frame guessed it wrong."""
        known = self.inputs[player]
        if frame in known or frame <= self.confirmed or self._is_replaced(player, frame):
            return
        known[frame] = action
        # A player who was out of the game (done) at that frame used no input: nothing to correct.
        if frame < self.frame and self.used[frame].get(player, action) != action:
            self.stats["mispredicted"] += 1
            self.rollback_from = frame if self.rollback_from is None else min(self.rollback_from, frame)

    def replace(self, player: str, from_frame: int, policy: dict) -> None:
        """From `from_frame` on, `player` is played by `policy` (the server decided it after a dropout)."""
        if player in self.replaced or player not in self.players:
            return
        self.replaced[player] = (from_frame, policy)
        if from_frame < self.frame:  # frames already simulated with this player's predicted input
            self.rollback_from = from_frame if self.rollback_from is None else min(self.rollback_from, from_frame)

    def _is_replaced(self, player: str, frame: int) -> bool:
        return player in self.replaced and frame >= self.replaced[player][0]

    def _replaced_by(self, player: str, frame: int) -> str | None:
        """The kind of policy playing `player` at `frame` after a dropout (None while the participant plays)."""
        return self.replaced[player][1]["kind"] if self._is_replaced(player, frame) else None

    @property
    def stalled(self) -> bool:
        return self.frame - self.confirmed > self.window

    def advance(self) -> dict | None:
        """Apply any pending rollback, then simulate one frame; None when stalled (too far past the confirmed frame)."""
        self._rollback()
        if self.stalled or self.loop.over:
            self.stats["stalls"] += 0 if self.loop.over else 1
            self._confirm()
            return None
        row = self._simulate(self.frame)
        self.frame += 1
        self._confirm()
        return row

    def _simulate(self, frame: int, replay: bool = False) -> dict:
        self.snapshots[frame] = self._save()
        if frame > 0 and (frame - 1) % CHECKSUM_EVERY == 0:  # the state after frame - 1, as simulated last
            self.hashes[frame - 1] = self.checksum()
        live = [p for p in self.players if p in self.loop.adapter.live_agents()]
        humans = {p: self._input(p, frame) for p in live if not self._is_replaced(p, frame)}
        idle = {p: self.loop.keymap.default_action for p in live if self._replaced_by(p, frame) == IDLE}
        self._start_replacements(frame)
        self.used[frame] = dict(humans)
        row = self.loop.step_frame({**humans, **idle, **self.loop.ai_actions()})
        predicted = any(frame not in self.inputs[p] for p in humans)
        row["predicted"] = predicted
        if not replay:  # the first simulation of a frame is the one the participant saw
            self.view[frame] = {"predicted": predicted, "rollback_depth": 0}
        self.rows[frame] = row
        return row

    def _start_replacements(self, frame: int) -> None:
        """A replaced player's agent joins the AI agents at its first replaced frame, seeded like any AI agent."""

        for player, (first, policy) in self.replaced.items():
            if frame >= first and policy["kind"] != IDLE and player not in self.loop.policies:
                agent_policy = make_policy(policy, self.loop.adapter.action_space(player))
                agent_policy.reset(self.loop.seed, self.loop.adapter.possible_agents.index(player))
                self.loop.policies[player] = agent_policy

    def _input(self, player: str, frame: int) -> Any:
        known = self.inputs[player]
        if frame in known:
            return known[frame]
        if self.predict == REPEAT_LAST:
            # The latest input before `frame`: search down from it (every frame inside the input delay is known,
            # and the confirmed ones just below), not through the whole episode's inputs on every frame.
            for earlier in range(frame - 1, -1, -1):
                if earlier in known:
                    return known[earlier]
        return self.loop.keymap.default_action

    def _rollback(self) -> None:
        start, self.rollback_from = self.rollback_from, None
        if start is None or start >= self.frame:
            return
        began = time.perf_counter()
        depth = self.frame - start
        self.stats["rollbacks"] += 1
        self.stats["max_depth"] = max(self.stats["max_depth"], depth)
        self.stats["replayed"] += depth
        self._load(self.snapshots[start])
        for frame in range(start, start + depth):
            if self.loop.over:  # the corrected history ends sooner: the frames after its end never happened
                self._forget(frame, start + depth)
                # and the checksum of its last frame, taken when `frame` was simulated, is of the history replaced
                self.hashes.pop(frame - 1, None)
                break
            self._simulate(frame, replay=True)
            if frame in self.view:  # the participant saw this frame before it was corrected
                self.view[frame]["rollback_depth"] = max(self.view[frame]["rollback_depth"], depth)
        self.replays.append((depth, 1000 * (time.perf_counter() - began)))
        if len(self.replays) > 10_000:  # keep the recent ones, trimming now and then rather than every rollback
            del self.replays[:5_000]

    def resync(self, frame: int, env_state: Any, extras: dict) -> None:
        """The server's state after confirmed frame `frame` replaces this peer's diverged one; every later frame
        is simulated again from it with the inputs known (rows already confirmed after `frame` are re-made)."""
        target, end = frame + 1, self.frame
        if target > end or not self.snapshotter.explicit:
            return
        # the env has stepped `target` times in this episode (its unseeded draws come from there: mug.entropy)
        self.snapshotter.load(("explicit", env_state, None, (self.snapshotter.adapter.seed, target)))
        loop = self.loop
        loop.frame, loop.scores, loop.over = target, dict(extras["scores"]), extras["over"]
        loop.observations = extras["observations"]
        loop.queries = {} if loop.over else loop._queries()
        self.confirmed_rows = [row for row in self.confirmed_rows if row["frame"] <= frame]
        self.confirmed = min(self.confirmed, frame)
        self._forget(target, end)
        self.rollback_from = None
        for again in range(target, end):
            if loop.over:
                break
            self._simulate(again, replay=True)
            self.frame = again + 1
        self.stats["resyncs"] = self.stats.get("resyncs", 0) + 1
        self._confirm()

    def _forget(self, first: int, end: int) -> None:
        for frame in range(first, end):
            for kept in (self.rows, self.used, self.snapshots, self.view):
                kept.pop(frame, None)
            self.hashes.pop(frame, None)
        self.frame = first

    def _confirm(self) -> None:
        """Promote rows whose inputs are all known (and were used); forget what can no longer change."""
        while self.confirmed + 1 < self.frame:
            frame = self.confirmed + 1
            if not all(frame in self.inputs[p] for p in self.used[frame]):
                break
            self.confirmed = frame
            row = self.rows.pop(frame)
            row.update(self.view.pop(frame, {"predicted": False, "rollback_depth": 0}))
            self.confirmed_rows.append(row)
            # Only frames after the confirmed one can still be rolled back to.
            self.snapshots.pop(frame, None)
            self.used.pop(frame, None)

    def _save(self) -> Any:
        loop = self.loop
        extra = (loop.frame, dict(loop.scores), loop.observations, loop.over, loop.queries, loop.policies)
        return self.snapshotter.save(), copy.deepcopy(extra)

    def _load(self, saved: Any) -> None:
        env_state, extra = saved
        self.snapshotter.load(env_state)
        loop = self.loop
        (loop.frame, scores, loop.observations, loop.over, loop.queries, policies) = copy.deepcopy(extra)
        loop.scores, loop.policies = scores, policies

    def checksum(self) -> str:
        return self.snapshotter.checksum()
