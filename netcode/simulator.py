"""An in-process network simulator for group games: N browser sessions (mug.netplay) and the relay's input log on
a virtual clock, over links with delay, jitter, loss bursts and reordering. Used by the tests and the benchmark.

Messages follow the real protocol: each tick a peer sends every input the relay has not acknowledged; the relay
keeps the first write, acknowledges, and forwards new inputs to the others. A lost message is simply gone (as on
a dropped connection); resending the unacknowledged inputs repairs it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession
from mug.rollback import shared_fields
from netcode.input_rules import InputLog


@dataclass
class Link:
    """One direction between a peer and the relay, in ticks: delay, jitter, loss bursts, reordering."""

    delay: int = 0
    jitter: int = 0
    loss: float = 0.0  # chance that a burst of loss starts on a message
    burst: int = 1  # messages lost in a row once a burst starts
    seed: int = 0
    in_flight: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.losing = 0

    def send(self, now: int, message: Any) -> None:
        if self.losing or (self.loss and self.rng.random() < self.loss):
            self.losing = (self.losing or self.burst) - 1
            return
        self.in_flight.append((now + self.delay + self.rng.randint(0, self.jitter), self.rng.random(), message))

    def deliver(self, now: int) -> list:
        due = sorted((m for m in self.in_flight if m[0] <= now), key=lambda m: (m[0], m[1]))  # jitter reorders
        self.in_flight = [m for m in self.in_flight if m[0] > now]
        return [message for _, _, message in due]


@dataclass
class Conditions:
    delay: int = 0
    jitter: int = 0
    loss: float = 0.0
    burst: int = 1
    slow: dict[str, int] = field(default_factory=dict)  # player -> ticks per frame (a slow machine)
    late: dict[str, int] = field(default_factory=dict)  # player -> tick it joins at
    keys_every: float = 0.3  # chance per tick that a player changes the key held


@dataclass
class Result:
    rows: dict[str, list[dict]]
    ends: dict[str, tuple[int, str]]
    relay: InputLog
    sessions: dict[str, NetSession]
    ticks: int
    tick_ms: dict[str, list[float]]

    @property
    def agreed(self) -> bool:
        shared = [[shared_fields(row) for row in rows] for rows in self.rows.values()]
        return (
            len(self.ends) == len(self.rows)
            and len(set(self.ends.values())) == 1
            and all(rows == shared[0] for rows in shared)
        )


def simulate(
    config: dict,
    seed: int,
    conditions: Conditions,
    input_delay: int = 2,
    window: int = 8,
    max_ticks: int = 5000,
    infer=None,
) -> Result:
    """Play one episode to its confirmed end on every peer (or until max_ticks). `infer(queries) -> outputs` runs
    the models of relayed AI agents (config["relayed"]) for the peer that drives them, between its ticks."""
    players = [agent for agent, policy in config["agents"].items() if policy == "human"]
    relayed = list(config.get("relayed") or [])
    keys = sorted(config["keys"])
    rng = random.Random(seed)
    sessions = {p: NetSession(GameLoop(LoopConfig.from_dict(config)), players, p, input_delay, window) for p in players}
    for session in sessions.values():
        session.start(0, seed)
    relay = InputLog(players + relayed, first_frame=input_delay)
    inference: dict[str, dict] = {p: {} for p in players}
    relay.peer_confirmed = {}
    up = {p: _link(conditions, seed * 97 + i * 2) for i, p in enumerate(players)}
    down = {p: _link(conditions, seed * 97 + i * 2 + 1) for i, p in enumerate(players)}
    held = {p: [] for p in players}
    ends: dict[str, tuple[int, str]] = {}
    tick_ms = {p: [] for p in players}
    tick = 0
    for tick in range(max_ticks):
        _relay_step(relay, players, up, down, tick)
        for player, session in sessions.items():
            joins = conditions.late.get(player, 0)
            news = {"inputs": [], "ack": -1, "ai_ack": {}}
            for kind, payload in down[player].deliver(tick):
                if kind == "inputs":
                    news["inputs"] += payload
                elif kind == "ai_ack":
                    news["ai_ack"] = {a: max(news["ai_ack"].get(a, -1), n) for a, n in payload.items()}
                else:
                    news["ack"] = max(news["ack"], payload)
            if tick == joins and joins:  # a late joiner's welcome: every input the relay holds
                news["inputs"] += [[p, f, a] for p in relay.players for f, a in relay.inputs[p].items()]
            if player in ends:  # done, but its last inputs may still be missing at the relay
                session.acked = max(session.acked, news["ack"])
                session.relayed.receive({"ai_ack": news["ai_ack"]}, session.replaced)
                if tick % 30 == 0 and session.unacked():
                    up[player].send(tick, (player, session.unacked(), session.session.confirmed))
                if tick % 30 == 0 and session.relayed.unacked(session.session):
                    up[player].send(tick, ("ai", session.relayed.unacked(session.session), player))
                continue
            if tick < joins or tick % conditions.slow.get(player, 1):
                session.pending = getattr(session, "pending", []) + news["inputs"]
                continue
            news["inputs"] = getattr(session, "pending", []) + news["inputs"]
            session.pending = []
            if rng.random() < conditions.keys_every:
                held[player] = [rng.choice(keys)]
            began = time.perf_counter()
            out = session.tick({**news, "held": held[player], "inference": inference[player]})
            tick_ms[player].append(1000 * (time.perf_counter() - began))
            inference[player] = infer(out["queries"]) if out["queries"] else {}
            if out["send"]:
                up[player].send(tick, (player, out["send"], out["confirmed"]))
            if out["ai_send"]:
                up[player].send(tick, ("ai", out["ai_send"], player))
            if out["over"]:
                ends[player] = (out["frame"], out["final"])
        if len(ends) == len(players):
            break
    rows = {p: s.session.confirmed_rows for p, s in sessions.items()}
    return Result(rows, ends, relay, sessions, tick + 1, tick_ms)


def _link(conditions: Conditions, seed: int) -> Link:
    return Link(conditions.delay, conditions.jitter, conditions.loss, conditions.burst, seed)


def _relay_step(relay: InputLog, players: list[str], up: dict, down: dict, tick: int) -> None:
    for sender in players:
        for player, inputs, confirmed in up[sender].deliver(tick):
            if player == "ai":  # a relayed agent's inputs, from the seat that drives it
                new = [[agent, f, a] for agent, f, a in inputs if relay.add(agent, f, a)]
                for other in players:
                    if other != confirmed and new:
                        down[other].send(tick, ("inputs", new))
                agents = {agent for agent, _, _ in inputs}
                down[confirmed].send(tick, ("ai_ack", {agent: relay.ack(agent) for agent in agents}))
                continue
            relay.peer_confirmed[player] = max(relay.peer_confirmed.get(player, -1), confirmed)
            new = [[player, f, a] for f, a in inputs if relay.add(player, f, a)]
            for other in players:
                if other != player and new:
                    down[other].send(tick, ("inputs", new))
            down[player].send(tick, ("ack", relay.ack(player)))
    # What a reconnect's welcome gives a real browser: every input after the last frame it confirmed.
    if tick % 15 == 0:
        for player in players:
            since = relay.peer_confirmed.get(player, -1)
            known = [[p, f, a] for p in relay.players if p != player for f, a in relay.inputs[p].items() if f > since]
            if known:
                down[player].send(tick, ("inputs", known))


def straight_replay(config: dict, seed: int, relay: InputLog, input_delay: int = 2) -> list[dict]:
    """The server's view: replay the relay's log with every input known (no prediction)."""
    loop = GameLoop(LoopConfig.from_dict(config))
    seats = [p for p in relay.players if p not in (config.get("relayed") or [])]
    session = NetSession(loop, seats, seats[0], input_delay, window=10**9)
    session.start(0, seed)
    inner = session.session
    players = list(relay.players)
    for player in players:
        inner.inputs[player].update(relay.inputs[player])
    while not loop.over and all(inner.frame in inner.inputs[p] for p in players):
        inner.advance()
    inner.advance()
    return [shared_fields(row) for row in inner.confirmed_rows]
