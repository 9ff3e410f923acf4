"""The Experiment object a researcher writes in Python: a slug, a title, a stager of scenes and settings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from experiments.definition.errors import DefinitionError
from experiments.definition.monitoring import Monitoring
from experiments.definition.outcomes import DEFAULT_OUTCOMES, OUTCOMES, Outcome
from experiments.definition.quotas import Quota
from experiments.definition.scenes import EndScene, Scene
from experiments.definition.screening import Screening
from experiments.definition.stager import (
    Branch,
    Conditions,
    Node,
    RandomizeOrder,
    Repeat,
    conditions_of,
    iter_nodes,
    validate_tree,
)

VERIFICATION_POLICIES = ("exclude", "replay")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(kw_only=True)
class Experiment:
    """An experiment definition. `stager` is the ordered list of scenes and wrappers; it ends with an EndScene."""

    slug: str
    title: str
    stager: list[Node]
    description: str = ""
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    time_limit_minutes: int | None = None
    quota: Quota | None = None
    screening: Screening | None = None
    monitoring: Monitoring | None = None
    # A single-player browser episode whose server replay differs from the upload: "exclude" ends the flow as
    # excluded (no code by default); "replay" has the participant play the round again (within the attempt limit).
    verification: str = "exclude"
    base_dir: Path | None = None

    def __post_init__(self) -> None:
        self._scenes: dict[str, Scene] = {}
        self._branches: dict[str, Branch] = {}

    def prepare(self, base_dir: Path) -> None:
        """Validate everything and read body files; raises DefinitionError with the reason."""
        if not SLUG_RE.match(self.slug):
            raise DefinitionError(f"experiment slug {self.slug!r} must be lowercase letters, digits and -")
        if not self.title:
            raise DefinitionError(f"experiment {self.slug!r} needs a title")
        if not self.stager or not isinstance(self.stager[-1], EndScene):
            raise DefinitionError(f"experiment {self.slug!r}: the stager must end with an EndScene")
        unknown = set(self.outcomes) - set(OUTCOMES)
        if unknown:
            raise DefinitionError(f"experiment {self.slug!r}: unknown outcomes {sorted(unknown)}; use {OUTCOMES}")
        if self.verification not in VERIFICATION_POLICIES:
            raise DefinitionError(f"experiment {self.slug!r}: verification must be one of {VERIFICATION_POLICIES}")
        if self.time_limit_minutes is not None and self.time_limit_minutes < 1:
            raise DefinitionError(f"experiment {self.slug!r}: time_limit_minutes must be at least 1")
        validate_tree(self.stager)
        if self.quota is not None:
            self.quota.check(self.slug)
        if self.screening is not None:
            self.screening.prepare(self.slug)
        if self.monitoring is not None:
            self.monitoring.prepare(self.slug)
        self.base_dir = self.base_dir or base_dir
        for node in iter_nodes(self.stager):
            if isinstance(node, Scene):
                node.prepare(self.base_dir)
                self._scenes[node.scene_id] = node
            elif isinstance(node, Branch):
                self._branches[node.branch_id] = node
        if (
            self.screening is not None
            and self.screening.runtime_check
            and not any(getattr(scene, "runs_on", None) == "browser" for scene in self._scenes.values())
        ):
            raise DefinitionError(f"experiment {self.slug!r}: screening runtime_check needs a game run in the browser")
        for scene in self._scenes.values():
            room = getattr(scene, "waiting_room", None)
            target = getattr(getattr(room, "on_timeout", None), "scene_id", None)
            if target is not None and target not in self._scenes:
                raise DefinitionError(f"scene {scene.scene_id!r}: ContinueTo names no scene {target!r}")

    def scene(self, scene_id: str) -> Scene:
        return self._scenes[scene_id]

    def scenes(self) -> list[Scene]:
        return list(self._scenes.values())

    def branch(self, branch_id: str) -> Branch:
        return self._branches[branch_id]

    def conditions(self) -> list[Conditions]:
        return conditions_of(self.stager)

    def hold_minutes(self) -> int:
        """How long a participant in progress holds a quota slot."""
        held = self.quota.hold_minutes if self.quota is not None else None
        return held or self.time_limit_minutes or 60

    def outcome(self, name: str) -> Outcome:
        """The researcher's configuration for an ending, or the default."""
        return self.outcomes.get(name) or DEFAULT_OUTCOMES[name]

    def describe(self) -> list[dict]:
        """A JSON-able outline of the stager, for the admin and the definition hash."""
        return [_describe(node) for node in self.stager]

    def definition_hash(self) -> str:
        outline = {"title": self.title, "stager": self.describe(), "limit": self.time_limit_minutes}
        if self.quota is not None:
            outline["quota"] = [self.quota.completed, self.quota.per_condition, self.quota.hold_minutes]
        return hashlib.sha256(json.dumps(outline, sort_keys=True).encode()).hexdigest()


def _describe(node: Node) -> dict:
    if isinstance(node, Scene):
        return node.describe()
    if isinstance(node, RandomizeOrder):
        return {"randomize": [_describe(child) for child in node.children], "keep_n": node.keep_n}
    if isinstance(node, Repeat):
        return {"repeat": [_describe(child) for child in node.children], "times": node.times}
    if isinstance(node, Conditions):
        arms = {arm: [_describe(child) for child in children] for arm, children in node.arms.items()}
        return {"conditions": node.condition_id, "arms": arms}
    branches = {name: [_describe(child) for child in children] for name, children in node.branches.items()}
    return {"branch": node.branch_id, "branches": branches, "default": node.default}
