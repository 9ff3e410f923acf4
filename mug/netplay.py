"""The browser side of a multi-human game: one NetSession per game, called once per tick with what the relay sent.

Snapshots, prediction, rollback, checksums and the confirmed rows all stay in Python; the worker passes in the
relay's messages and the keys held, and gets back the render packet, the inputs to send and the rows to upload.
"""

from __future__ import annotations

import json
import time
from typing import Any

from mug.loop import GameLoop, LoopConfig
from mug.relayed import RelayedAgents
from mug.rollback import REPEAT_LAST, RollbackSession
from mug.statecodec import decode

CATCH_UP_PER_TICK = 600  # confirmed frames a rejoining browser may fast-forward in one call
REPLAY_BUDGET_MS = 20.0  # of a 33 ms frame: what a rollback may spend re-simulating (render and JS need the rest)
RESEND_AFTER_TICKS = 30  # no ack for this many ticks with inputs outstanding: send them all again
MAX_SLOWDOWN = 0.1  # the frame leader lengthens its tick by at most 10 %


class NetSession:
    """One participant's copy of a game: the episodes' rollback sessions, time sync and what to send."""

    clock = staticmethod(time.perf_counter)  # times a frame's simulation (a test injects a deterministic one)

    def __init__(
        self,
        loop: GameLoop,
        players: list[str],
        local: str,
        input_delay: int = 2,
        window: int = 8,
        predict: str = REPEAT_LAST,
    ) -> None:
        # The seats, then the AI agents whose inputs come through the relay like theirs (mug.relayed).
        self.relayed = RelayedAgents(loop, players, local)
        self.loop, self.players, self.local = loop, [*players, *self.relayed.agents], local
        self.input_delay, self.window, self.predict = input_delay, window, predict
        self.session: RollbackSession | None = None
        self.replaced: dict[str, dict] = {}  # player -> policy, for the rest of the game
        self.advantage = 0.0  # frames this peer runs ahead of the slowest other (smoothed)
        self.frame_ms = 0.0  # measured cost of simulating one frame (save + step), smoothed

    def start(self, episode: int, seed: int) -> dict[str, Any]:
        started = self.loop.start_episode(episode, seed)
        started["hud"] = self.loop.hud(self.local)  # this seat's own score
        self.session = RollbackSession(self.loop, self.players, self.local, self.input_delay, self.window, self.predict)
        for player, policy in self.replaced.items():
            self.session.replace(player, 0, policy)
        self.relayed.start(seed, self.input_delay, self.replaced)
        self.acked = self.input_delay - 1  # the relay's ack of this peer's inputs
        self.sent = self.acked  # the last frame whose input went out
        self.top = self.acked  # the highest frame this peer has an input of its own for (bounds what to send)
        self.waited = 0  # ticks since the ack last moved while inputs were outstanding
        self.rows_out = 0
        self.hashes_out = -1
        self.replays_seen = 0
        started["frame"] = 0
        return started

    def tick(self, data: dict[str, Any]) -> dict[str, Any]:
        """Take the relay's news, catch up if behind, add this frame's input, simulate; report what to do."""
        session = self.session
        self._receive(data)
        replayed = session.stats["replayed"]
        caught_up = self._catch_up()
        if not session.stalled:  # also while over: a rollback may undo the end, and play needs this input then
            frame, _ = session.add_local_input(self._local_action(data))
            self.top = max(self.top, frame)
        self.relayed.drive(session, self.top)  # also while stalled: a new driver's first inputs end the stall
        began = self.clock()
        row = session.advance()
        if row is not None and session.stats["replayed"] == replayed:
            self._size_window(1000 * (self.clock() - began))
        self._sync_time(data)
        changed = row is not None or caught_up or session.stats["replayed"] != replayed
        resend = data.get("resend", False) or self.episode_over or self.waited >= RESEND_AFTER_TICKS
        return {
            "render": self.loop.render() if changed else None,
            "hud": self.loop.hud(self.local),
            "ai_send": self.relayed.to_send(session, resend),
            "send": self._to_send(resend),
            "unacked": self.unacked(),
            "ai_unacked": self.relayed.unacked(session),
            "queries": self.relayed.queries(session),  # run by the worker; the outputs come back as "inference"
            "sync": self.relayed.wants_log,  # this seat now drives the relayed agents: it asks for the log first
            "frame": session.frame,
            "confirmed": session.confirmed,
            "rows": self._new_rows(),
            "checksums": self._new_hashes(),
            "over": self.episode_over,
            "final": session.checksum() if self.episode_over else None,
            "stalled": row is None and not self.loop.over,
            "waiting": self._waiting_for(),
            "tick_scale": 1 + min(MAX_SLOWDOWN, max(0.0, self.advantage - 1) * 0.02),
            "stats": {**session.stats, "window": session.window, "frame_ms": round(self.frame_ms, 3)},
            "replays": self._new_replays(),
        }

    def _size_window(self, frame_ms: float) -> None:
        """Never predict further than a rollback can replay within the budget (stall instead)."""
        self.frame_ms = frame_ms if not self.frame_ms else 0.9 * self.frame_ms + 0.1 * frame_ms
        affordable = int(REPLAY_BUDGET_MS / max(self.frame_ms, 1e-3))
        self.session.window = max(2, min(self.window, affordable))

    @property
    def episode_over(self) -> bool:
        """The episode ended on a confirmed frame: every simulated frame is confirmed and the loop is over."""
        return self.loop.over and self.session.confirmed == self.session.frame - 1

    def _receive(self, data: dict[str, Any]) -> None:
        session = self.session
        checkpoint = data.get("resync")
        if checkpoint:
            self._resync(checkpoint)
        for player, first, policy in data.get("replaced", []):
            self.replaced[player] = policy
            session.replace(player, first, policy)
        self.relayed.receive(data, self.replaced)
        for player, frame, action in data.get("inputs", []):
            if player == self.local:  # this peer's own inputs from before a reload, as the relay kept them
                session.inputs[player].setdefault(frame, action)
                self.top = max(self.top, frame)
            elif player in session.inputs:
                session.add_remote_input(player, frame, action)
        ack = data.get("ack", self.acked)
        self.waited = 0 if ack > self.acked or self.sent <= self.acked else self.waited + 1
        self.acked = max(self.acked, ack)

    def _resync(self, checkpoint: dict[str, Any]) -> None:
        """The server found this browser's state diverged at a confirmed frame and sent the right one."""

        frame = checkpoint["frame"]
        extras = {
            "scores": decode(checkpoint["scores"]),
            "observations": decode(checkpoint["observations"]),
            "over": checkpoint["over"],
        }
        self.session.resync(frame, decode(checkpoint["env"]), extras)
        # Rows and checksums after that frame are made again; the page keeps the rows it already stored.
        self.rows_out = len(self.session.confirmed_rows)
        self.hashes_out = min(self.hashes_out, frame)

    def _catch_up(self) -> bool:
        """After a reload, fast-forward through frames whose inputs are all known (no rendering in between)."""
        session, steps = self.session, 0
        while steps < CATCH_UP_PER_TICK and not self.loop.over and self._all_known(session.frame + self.input_delay):
            frame = session.frame
            session.advance()
            steps += 1
            if session.frame == frame:
                break
        return steps > 0

    def _all_known(self, frame: int) -> bool:
        session = self.session
        return all(frame in session.inputs[p] or session._is_replaced(p, frame) for p in self.players)

    def _local_action(self, data: dict[str, Any]) -> Any:
        keymap = self.loop.keymap
        if self.loop.config.input_mode == "press":
            return keymap.pressed(data.get("presses", []))
        return keymap.held(data.get("held", []))

    def unacked(self) -> list[list]:
        """Every local input the relay has not acknowledged yet (sent again until it has)."""
        mine = self.session.inputs[self.local]
        return [[frame, mine[frame]] for frame in range(self.acked + 1, self.top + 1) if frame in mine]

    def _to_send(self, resend: bool) -> list[list]:
        """New local inputs; every unacknowledged one after a reconnect (`resend`) or when no ack came for a
        second (the relay keeps the first copy). Sending nothing while stalled lets a busy relay catch up."""
        if resend or self.waited >= RESEND_AFTER_TICKS:
            self.waited, since = 0, self.acked
        else:
            since = max(self.acked, self.sent)
        out = [item for item in self.unacked() if item[0] > since]
        if out:
            self.sent = max(self.sent, out[-1][0])
        return out

    def _new_replays(self) -> list[list]:
        """[depth, ms] of the rollbacks since the last tick (the page keeps them for the benchmark)."""
        new = self.session.stats["rollbacks"] - self.replays_seen
        self.replays_seen = self.session.stats["rollbacks"]
        return [list(item) for item in self.session.replays[-new:]] if new > 0 else []

    def _new_rows(self) -> list[dict]:
        rows = self.session.confirmed_rows[self.rows_out :]
        self.rows_out = len(self.session.confirmed_rows)
        return rows

    def _new_hashes(self) -> list[list]:
        """Checksums of confirmed frames not reported yet (a frame's checksum is final once it is confirmed)."""
        session = self.session
        ready = sorted(f for f in session.hashes if self.hashes_out < f <= session.confirmed)
        if ready:
            self.hashes_out = ready[-1]
        out = [[f, session.hashes[f]] for f in ready]
        for frame in [f for f in session.hashes if f <= session.confirmed - 64]:
            del session.hashes[frame]
        return out

    def _waiting_for(self) -> list[str]:
        """The players whose input for the next frame to confirm has not arrived (shown as lagging)."""
        session = self.session
        frame = session.confirmed + 1
        if frame >= session.frame:
            return []
        waiting = {p for p in session.used.get(frame, {}) if frame not in session.inputs[p]}
        if waiting & set(self.relayed.agents):  # a relayed agent's input comes from the seat that drives it
            waiting = (waiting - set(self.relayed.agents)) | {self.relayed.driver(self.replaced) or self.local}
        return sorted(waiting)

    def _sync_time(self, data: dict[str, Any]) -> None:
        """Estimate how far ahead of the slowest peer this one runs; the leader slows its clock a little."""
        remote = data.get("remote_frames") or {}
        if not remote:
            return
        frame_ms = 1000 / self.loop.config.fps
        in_flight = data.get("rtt_ms", 0) / frame_ms  # frames the others advanced while their news travelled
        lead = max(self.session.frame - (frame + in_flight) for frame in remote.values())
        self.advantage += 0.1 * (lead - self.advantage)


# The browser's entry points: one net session per worker, JSON strings across the JS boundary.
_net: NetSession | None = None


def net_boot(config_json: str, net_json: str) -> str:
    global _net
    net = json.loads(net_json)
    loop = GameLoop(LoopConfig.from_dict(json.loads(config_json)))
    predict = net.get("predict", REPEAT_LAST)
    _net = NetSession(loop, net["players"], net["seat"], net["input_delay"], net["window"], predict)
    return json.dumps({"agents": loop.adapter.possible_agents, "humans": loop.humans, "assets": loop.assets()})


def net_start(episode: int, seed: int) -> str:
    return json.dumps(_net.start(int(episode), int(seed)))


def net_tick(input_json: str) -> str:
    return json.dumps(_net.tick(json.loads(input_json)))
