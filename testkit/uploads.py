"""A valid step row and chunk upload, the starting point for forged and malformed ones."""

from __future__ import annotations

ROW = {
    "frame": 0,
    "t": 1.5,
    "late_ms": 0.0,
    "focused": True,
    "actions": {"chaser": 1},
    "rewards": {"chaser": 0.0, "runner": 0.0},
    "terminated": {"chaser": False, "runner": False},
    "truncated": {"chaser": False, "runner": False},
    "infos": {"chaser": {"d": 1}},
    "obs": {"chaser": [1, 2]},
}


CHUNK = {
    "scene_key": "play",
    "episode": 0,
    "number": 0,
    "first_frame": 0,
    "final": False,
    "rows": [ROW],
    "meta": {"runtime": {"python": "3.12"}, "reset": {}},
}
