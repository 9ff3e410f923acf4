"""A game scene's waiting room configuration (part of the researcher's GymScene) and its timeout outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from experiments.definition.matchers import FIFO, Matcher


@dataclass(frozen=True)
class EndWithNoPartner:
    """End the study with the "no partner" outcome and its completion code."""

    kind = "end"


@dataclass(frozen=True)
class ContinueTo:
    """Skip ahead to a later scene of the participant's plan (e.g. a solo version)."""

    scene_id: str
    kind = "continue"


@dataclass(frozen=True)
class PlayWithAI:
    """Play this scene alone: the participant takes the first human seat, these policies take the others."""

    policies: dict[str, Any]
    kind = "ai"


@dataclass
class WaitingRoom:
    """How a multi-human scene forms its groups. `timeout_s` counts from arrival (a reload keeps the clock)."""

    matcher: Matcher = field(default_factory=FIFO)
    timeout_s: float = 300.0
    on_timeout: EndWithNoPartner | ContinueTo | PlayWithAI = field(default_factory=EndWithNoPartner)
    show_count: bool = True  # show how many others are waiting
    ping_interval_s: float = 1.0
    presence_timeout_s: float = 5.0  # no pong for this long: not matched (removed from the queue)
    ack_timeout_s: float = 5.0  # a proposed group that is not acknowledged by all in time is dissolved
    body: str = "<p>Waiting for other participants to join. Please keep this tab open.</p>"

    def describe(self) -> dict[str, Any]:
        return {
            **self.matcher.describe(),
            "timeout_s": self.timeout_s,
            "on_timeout": self.on_timeout.kind,
            "continue_to": getattr(self.on_timeout, "scene_id", None),
        }
