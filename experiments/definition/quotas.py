"""Quotas and balanced assignment to conditions, as plain Python over slot counts (selectors count the slots).

A slot is held by a valid completion, or by a participant still in progress who entered less than
`hold_minutes` ago (the experiment's time limit if it has one) and has committed: given consent or passed the
screening, in a study that has either (anonymous starts that go no further hold nothing; a study with neither
holds from entry, as nothing else marks a participant as serious). Timed-out, returned, excluded or otherwise
ended participants hold none, so their slots reopen by themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from experiments.definition.errors import DefinitionError
from experiments.definition.scenes import ConsentScene
from experiments.definition.stager import Conditions


@dataclass(frozen=True)
class Quota:
    """`completed`: at most this many valid completions (slots held by people in progress count too);
    `per_condition`: at most this many in each arm of each Conditions node; `hold_minutes`: how long a
    participant in progress holds a slot (default: the experiment's time limit, else 60 minutes)."""

    completed: int | None = None
    per_condition: int | None = None
    hold_minutes: int | None = None

    def check(self, slug: str) -> None:
        for name in ("completed", "per_condition", "hold_minutes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise DefinitionError(f"experiment {slug!r}: Quota.{name} must be a whole number >= 1")


@dataclass(frozen=True)
class Slots:
    """Slots taken now: in all, and per (condition id, arm)."""

    total: int
    by_arm: dict[tuple[str, str], int]


def choose_arms(conditions: list[Conditions], slots: Slots, quota: Quota | None, rng: random.Random) -> dict | None:
    """Each Conditions node's arm for a new participant: the arm with the fewest slots taken (ties at random)
    among arms under their cap; None if the experiment or every arm of some condition is full."""
    if quota is not None and quota.completed is not None and slots.total >= quota.completed:
        return None
    chosen = {}
    for node in conditions:
        taken = {arm: slots.by_arm.get((node.condition_id, arm), 0) for arm in node.arms}
        cap = quota.per_condition if quota is not None else None
        open_arms = [arm for arm, count in taken.items() if cap is None or count < cap]
        if not open_arms:
            return None
        fewest = min(taken[arm] for arm in open_arms)
        chosen[node.condition_id] = rng.choice(sorted(arm for arm in open_arms if taken[arm] == fewest))
    return chosen


def slot_open(arms: dict[str, str], slots: Slots, quota: Quota | None) -> bool:
    """Whether a participant already assigned `arms` fits beside the slots taken (its own not among them)."""
    if quota is None:
        return True
    if quota.completed is not None and slots.total >= quota.completed:
        return False
    cap = quota.per_condition
    return cap is None or all(slots.by_arm.get((node, arm), 0) < cap for node, arm in arms.items())


def holds_need_commitment(definition) -> bool:
    """Whether a participant in progress holds a slot only once consented or screened (the study has a consent
    scene or a screening), rather than from entry."""
    return definition.screening is not None or any(isinstance(scene, ConsentScene) for scene in definition.scenes())
