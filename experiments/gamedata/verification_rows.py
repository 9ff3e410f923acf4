"""Strict checks of uploaded step rows against the scene's env: its agents, each agent's action space, max_steps
and the storage bounds. The spaces are read once per scene from the env itself (built on the server)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings

from experiments.gamedata.ingest import ChunkError
from mug.adapters import coerce_action, make_adapter


@dataclass(frozen=True)
class RowSpec:
    """What a row of this scene may hold: the env's agents and a checker per agent's action space."""

    agents: frozenset[str]
    actions: dict[str, Any]  # agent -> ActionCheck
    max_rows: int


def row_spec(scene) -> RowSpec:
    """The scene's spec, built once per scene definition (the env is made and closed again)."""
    kwargs = json.dumps(scene.env_kwargs, sort_keys=True, default=repr)
    return _spec_for(scene.env, kwargs, scene.max_steps, scene.loop_config().get("agent_dicts"))


@lru_cache(maxsize=64)
def _spec_for(env: str, env_kwargs: str, max_steps: int | None, agent_dicts: str | None = None) -> RowSpec:
    adapter = make_adapter(env, json.loads(env_kwargs), None, agent_dicts)
    try:
        agents = list(adapter.possible_agents)
        checks = {agent: action_check(adapter.action_space(agent)) for agent in agents}
    finally:
        adapter.close()
    max_rows = max_steps or settings.MUG_MAX_EPISODE_ROWS
    return RowSpec(agents=frozenset(agents), actions=checks, max_rows=max_rows)


def rows_check(spec: RowSpec, rows: list[dict[str, Any]], first_frame: int) -> list[int]:
    """Refuse (ChunkError) any row that the env could not have produced; returns each row's size in bytes."""
    sizes = []
    limit = settings.MUG_MAX_ROW_BYTES
    for row in rows:
        frame = row["frame"]
        if frame >= spec.max_rows:
            raise ChunkError(f"frame {frame} is past the scene's last step ({spec.max_rows} steps per episode)", 409)
        actions = row["actions"]
        if not actions:
            raise ChunkError(f"frame {frame}: no agent acted")
        for name in ("actions", "rewards", "terminated", "truncated", "infos", "obs"):
            unknown = set(row.get(name) or {}) - spec.agents
            if unknown:
                raise ChunkError(f"frame {frame}: {name} names agents {sorted(unknown)} the env does not have")
        for agent, action in actions.items():
            problem = spec.actions[agent](action)
            if problem:
                raise ChunkError(f"frame {frame}: action of {agent!r} {problem}")
        size = len(json.dumps(row, separators=(",", ":")))
        if size > limit:
            raise ChunkError(f"frame {frame}: the row is {size} bytes; at most {limit} are stored per row", 413)
        sizes.append(size)
    return sizes


def action_check(space):
    """A function returning what is wrong with a JSON action for this space, or None. JSON has no integer type
    of its own: `true`, `1.0` and strings are refused where the space holds integers."""
    kind = type(space).__name__
    if kind == "Discrete":
        low, high = int(space.start), int(space.start) + int(space.n) - 1
        return lambda action: _int_in(action, low, high)
    if kind == "MultiBinary":
        shape = tuple(space.shape)
        return lambda action: _array(action, shape, lambda v: _int_in(v, 0, 1))
    if kind == "MultiDiscrete":
        low = np.asarray(space.start).reshape(-1).tolist()
        high = (np.asarray(space.start) + np.asarray(space.nvec) - 1).reshape(-1).tolist()
        shape = tuple(space.shape)

        def multi(action):
            problem = _array(action, shape, lambda v: None if _is_int(v) else f"has {v!r}, not an integer")
            if problem:
                return problem
            flat = _flat(action)
            bad = next((i for i, v in enumerate(flat) if not low[i] <= v <= high[i]), None)
            return None if bad is None else f"has {flat[bad]!r} outside {low[bad]}..{high[bad]}"

        return multi
    if kind == "Box":
        return _box_check(space)
    return _generic_check(space)


def _box_check(space):

    shape = tuple(space.shape)
    integer = np.issubdtype(space.dtype, np.integer)
    low, high = np.asarray(space.low).reshape(-1).tolist(), np.asarray(space.high).reshape(-1).tolist()

    def value(v):
        if integer:
            return None if _is_int(v) else f"has {_short(v)}, not an integer"
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        return None if ok else f"has {_short(v)}, not a finite number"

    def box(action):
        problem = _array(action, shape, value)
        if problem:
            return problem
        flat = _flat(action)
        bad = next((i for i, v in enumerate(flat) if not low[i] <= v <= high[i]), None)
        return None if bad is None else f"has {flat[bad]!r} outside {low[bad]}..{high[bad]}"

    return box


def _generic_check(space):
    """Other spaces (Tuple, Dict, Text...): a small JSON value the space itself accepts."""

    def generic(action):
        if len(json.dumps(action)) > 10_000:
            return "is too large"
        try:
            return None if space.contains(coerce_action(space, action)) else f"{_short(action)} is not in {space}"
        except (TypeError, ValueError, AttributeError):
            return f"{_short(action)} is not in {space}"

    return generic


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(value: Any, low: int, high: int) -> str | None:
    if not _is_int(value):
        return f"must be an integer from {low} to {high}, not {_short(value)}"
    return None if low <= value <= high else f"{value} is outside {low}..{high}"


def _array(value: Any, shape: tuple[int, ...], item) -> str | None:
    """None when `value` is nested lists of exactly `shape` whose items pass `item`."""
    if not shape:
        return item(value)
    if not isinstance(value, list) or len(value) != shape[0]:
        return f"must be a list of {shape[0]} values (shape {list(shape)}), not {_short(value)}"
    for part in value:
        problem = _array(part, shape[1:], item)
        if problem:
            return problem
    return None


def _flat(value: Any) -> list:
    if isinstance(value, list):
        return [leaf for part in value for leaf in _flat(part)]
    return [value]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
