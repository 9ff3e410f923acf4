"""AI agents of a group game whose actions travel through the relay, for models that run outside Python (ONNX).

One browser, the driver (the first seat still playing, in the relay's order), runs each agent's model on what it
sees and sends the actions as that agent's inputs; every peer plays them from the relay like a human's, and replays
and the verifier read them from the log. When the driver drops out the next seat takes over: it first asks the
relay for its log (so it never writes a frame the previous driver already stored), then fills the frames nobody
wrote with what it played them with, and drives on.
"""

from __future__ import annotations

from typing import Any

from mug.loop import GameLoop, policy_of
from mug.policies import make_policy
from mug.rollback import RollbackSession

MAX_SEND = 64  # relayed inputs in one message (the relay's limit per message)


class RelayedAgents:
    def __init__(self, loop: GameLoop, seats: list[str], local: str) -> None:
        self.loop, self.seats, self.local = loop, list(seats), local
        self.agents = list(loop.config.relayed)
        self.pilots = {
            agent: make_policy(policy_of(loop.config, agent), loop.adapter.action_space(agent)) for agent in self.agents
        }

    def start(self, seed: int, input_delay: int, replaced: dict) -> None:
        for offset, agent in enumerate(self.loop.adapter.possible_agents):
            if agent in self.pilots:  # a sampled move draws from the episode's seed, as in a lone browser
                self.pilots[agent].reset(seed, offset)
        first = input_delay - 1
        self.acked = dict.fromkeys(self.agents, first)
        self.sent = dict.fromkeys(self.agents, first)
        self.top = dict.fromkeys(self.agents, first)
        self.outputs: dict[str, Any] = {}
        self.driving = self.driver(replaced) == self.local
        self.synced = True  # a fresh episode (or a rejoin's welcome) brings every stored input with it
        self.taking_over = False

    def driver(self, replaced: dict) -> str | None:
        return next((seat for seat in self.seats if seat not in replaced), None)

    def receive(self, data: dict[str, Any], replaced: dict) -> None:
        for agent, acked in (data.get("ai_ack") or {}).items():
            if agent in self.acked and isinstance(acked, int):
                self.acked[agent] = max(self.acked[agent], acked)
        if data.get("input_log") and not self.synced:
            self.synced = self.taking_over = True
        driving = self.driver(replaced) == self.local
        if driving and not self.driving:
            self.synced = False  # the previous driver's last inputs may be stored: read the log before writing
        self.driving = driving
        self.outputs.update(data.get("inference") or {})

    @property
    def wants_log(self) -> bool:
        return self.driving and not self.synced

    def drive(self, session: RollbackSession, frame: int) -> None:
        """This seat has its own input up to `frame`: add every relayed agent's, after the frames nobody wrote."""
        if not self.agents or not self.driving or not self.synced:
            return
        live = self.loop.adapter.live_agents()
        for agent, pilot in self.pilots.items():
            if agent not in live:
                continue
            outputs = self.outputs.pop(agent, None)
            if outputs is not None:
                pilot.action = pilot.choose(None, outputs)
            known = session.inputs[agent]
            gap = self.acked[agent]
            while gap + 1 in known:
                gap += 1
            if self.taking_over:  # what it knows now came from the relay's log: stored already
                self.acked[agent] = gap
            for missing in range(gap + 1, frame):  # frames this seat played with its own guess: the guess stands
                known.setdefault(missing, session._input(agent, missing))
            known.setdefault(frame, pilot.action if pilot.action is not None else session._input(agent, frame))
            self.top[agent] = max(self.top[agent], frame)
        self.taking_over = False

    def queries(self, session: RollbackSession) -> dict[str, Any]:
        """Model inputs for the next frame, from what this seat sees now (only the driver runs the models)."""
        if not self.driving or not self.synced or self.loop.over:
            return {}
        live, out = self.loop.adapter.live_agents(), {}
        for agent, pilot in self.pilots.items():
            observation = self.loop.observations.get(agent)
            if agent in live and observation is not None:
                query = pilot.query(session.frame, observation)
                if query is not None:
                    out[agent] = query
        return out

    def unacked(self, session: RollbackSession) -> list[list]:
        """[agent, frame, action] of every relayed input this seat wrote that the relay has not acknowledged."""
        out = []
        for agent in self.agents:
            known = session.inputs[agent]
            out += [[agent, f, known[f]] for f in range(self.acked[agent] + 1, self.top[agent] + 1) if f in known]
        return out[:MAX_SEND]

    def to_send(self, session: RollbackSession, resend: bool) -> list[list]:
        """New relayed inputs, or every unacknowledged one when `resend` (the seat's own inputs go again too)."""
        if not self.driving:
            return []
        out = [
            item for item in self.unacked(session) if resend or item[1] > max(self.acked[item[0]], self.sent[item[0]])
        ]
        for agent, frame, _ in out:
            self.sent[agent] = max(self.sent[agent], frame)
        return out
