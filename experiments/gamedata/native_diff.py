"""The native second opinion: an episode replayed in this server's CPython (not the participants' Pyodide) and, per
field, the largest difference between a stored float and the native one; no verdict (a native replay may differ in
the last bits of floats for honest episodes: a different libm and Python). Structural differences (another action,
a flag, an episode ending elsewhere) are named by frame and field."""

from __future__ import annotations

import math
from typing import Any

from experiments.definition.model_runtime import ServerModels
from experiments.gamedata.exact_compare import FIELDS
from experiments.gamedata.models import Episode
from experiments.gamedata.replay import episode_scene
from mug.adapters import to_jsonable
from mug.loop import GameLoop, LoopConfig


def episode_native_differences(episode: Episode) -> dict[str, Any]:
    """{"frames", "largest": {field: (difference, frame)}, "structural": first non-float difference or None}."""
    scene = episode_scene(episode)
    config = LoopConfig.from_dict({**scene.loop_config(), "render_mode": None})
    loop = GameLoop(config)
    models = ServerModels(scene.model_files())
    largest: dict[str, list] = {field: [0.0, None] for field in FIELDS}
    structural = None
    frames = 0
    try:
        started = loop.start_episode(episode.index, episode.seed)
        for field in ("obs", "infos"):
            if field in episode.reset_data:
                structural = structural or _walk(episode.reset_data[field], started["reset"].get(field), largest, field)
        columns = ["frame", "actions", "rewards", "terminated", "truncated", "infos", "observations"]
        for values in episode.steps.order_by("frame").values_list(*columns).iterator(chunk_size=500):
            step = dict(zip([*columns[:-1], "obs"], values, strict=True))
            if loop.over:
                structural = structural or {"frame": step["frame"], "field": "end", "native": "episode over"}
                break
            ai = loop.ai_actions(models.run(loop.queries, config.agents))
            live = loop.adapter.live_agents()
            humans = {a: step["actions"][a] for a in live if a in loop.humans and a in step["actions"]}
            row = loop.step_frame({**loop.coerce_actions(humans), **ai})
            row = to_jsonable(row)
            for field in FIELDS:
                if field == "obs" and step["obs"] is None:
                    continue
                found = _walk(step[field], row.get(field), largest, field, step["frame"])
                structural = structural or found
            frames += 1
    finally:
        loop.adapter.close()
    return {
        "frames": frames,
        "largest": {field: tuple(value) for field, value in largest.items()},
        "structural": structural,
    }


def _walk(stored: Any, native: Any, largest: dict, field: str, frame: Any = "reset") -> dict | None:
    """Record float differences into `largest`; the first non-float difference, if any."""
    if isinstance(stored, dict) and isinstance(native, dict):
        if stored.keys() != native.keys():
            return {"frame": frame, "field": field, "stored": sorted(stored), "native": sorted(native)}
        found = None
        for key in stored:
            found = found or _walk(stored[key], native[key], largest, field, frame)
        return found
    if isinstance(stored, list) and isinstance(native, list) and len(stored) == len(native):
        found = None
        for a, b in zip(stored, native, strict=True):
            found = found or _walk(a, b, largest, field, frame)
        return found
    numbers = (int, float)
    if isinstance(stored, numbers) and isinstance(native, numbers) and not isinstance(stored, bool):
        if isinstance(native, bool):
            return {"frame": frame, "field": field, "stored": stored, "native": native}
        difference = abs(float(stored) - float(native)) if math.isfinite(float(native)) else math.inf
        if difference > largest[field][0]:
            largest[field] = [difference, frame]
        return None
    if stored != native:
        return {"frame": frame, "field": field, "stored": stored, "native": native}
    return None
