"""The anchor's records: one draw call (`DrawCommand`) and one frame's packet (`RenderPacket.to_dict()`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DrawCommand:
    """One draw call: its wire type, id, parameters (colours normalised, coordinates as given) and persistence."""

    object_type: str
    id: str
    params: dict[str, Any]
    persistent: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.params, dict):
            object.__setattr__(self, "params", dict(self.params))


@dataclass
class RenderPacket:
    """One frame: the objects to draw (wire dicts) and the ids of persistent objects to remove."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """What an env's render() returns: {"game_state_objects": [...], "removed": [...]}, the anchor's keys."""
        return {"game_state_objects": self.objects, "removed": self.removed}
