"""The env pre-flight run at load: construct, reset, draw, step seeded random actions, compare two fresh envs, and
the rollback self-test. Plain Python over `mug` only: the same file runs natively and inside Pyodide under Node
(experiments/definition/pyodide_preflight.py ships it next to the scene's bundle)."""

from __future__ import annotations

import contextlib
import json
import math
import random
from typing import Any

from mug.adapters import make_adapter, to_jsonable
from mug.snapshots import RollbackUnsupported, Snapshotter, self_test

STEPS = 300  # frames compared between the two fresh envs (fewer if the episode or max_steps ends first)
FIELDS = ("obs", "rewards", "terminated", "truncated", "infos")


class ProbeFailure(Exception):
    """What failed, where, and the env's own exception (type and message, never a traceback)."""

    def __init__(self, stage: str, error: BaseException | None = None, **detail: Any) -> None:
        super().__init__(stage)
        self.result = {"stage": stage, **detail}
        if error is not None:
            self.result.update(error_type=type(error).__name__, message=str(error)[:500])


def probe(spec: dict[str, Any]) -> dict[str, Any] | None:
    """None if the env passes; else a dict with "stage" (construction, reset, render, step, determinism, rollback)
    and details. `spec`: env, env_kwargs, render_mode, seed, steps, rollback (bool), rollback_actions."""
    try:
        _run(spec)
    except ProbeFailure as failure:
        return failure.result
    return None


def probe_json(spec_json: str) -> str:
    """`probe` across a JSON boundary (the Node runner calls this inside Pyodide)."""
    return json.dumps(probe(json.loads(spec_json)))


def _run(spec: dict[str, Any]) -> None:
    seed, steps = int(spec.get("seed", 0)), int(spec.get("steps", STEPS))
    first = _build(spec)
    try:
        first_reset = _reset(first, seed)
        if spec.get("render_mode"):
            try:
                first.render()
            except Exception as error:  # noqa: BLE001 (any failure of the env's code is reported as such)
                raise ProbeFailure("render", error) from None
        second = _build(spec)
        try:
            _compare(first_reset, _reset(second, seed), "reset")
            _play(first, second, seed, steps)  # in lockstep: the first difference or failure, frame by frame
        finally:
            _close(second)
    finally:
        _close(first)
    if spec.get("rollback"):
        _rollback(spec, seed)


def _build(spec: dict[str, Any]):
    try:
        return make_adapter(spec["env"], spec.get("env_kwargs") or {}, spec.get("render_mode"), spec.get("agent_dicts"))
    except Exception as error:  # noqa: BLE001
        raise ProbeFailure("construction", error) from None


def _reset(adapter, seed: int) -> dict[str, Any]:
    _seed_global_rngs(seed)  # as mug.loop does before every episode
    try:
        observations, infos = adapter.reset(seed)
    except Exception as error:  # noqa: BLE001
        raise ProbeFailure("reset", error) from None
    return _canonical_row({"obs": observations, "infos": infos})


def _play(first, second, seed: int, steps: int) -> None:
    """Seeded random actions for up to `steps` frames or to the episode's end, the same for both envs."""
    sampler = random.Random(seed)
    for offset, agent in enumerate(first.possible_agents):
        try:
            first.action_space(agent).seed(sampler.randrange(2**31) + offset)
        except Exception as error:  # noqa: BLE001
            raise ProbeFailure("step", error, frame=0, agent=str(agent)) from None
    for frame in range(steps):
        live = first.live_agents()
        if not live:
            break
        actions = {agent: first.action_space(agent).sample() for agent in live}
        row = _step(first, actions, frame)
        _compare(row, _step(second, actions, frame), frame)
        done = [row["terminated"][a] == "true" or row["truncated"].get(a) == "true" for a in row["terminated"]]
        if done and all(done):
            break


def _step(adapter, actions: dict, frame: int) -> dict[str, Any]:
    try:
        observations, rewards, terminated, truncated, infos = adapter.step(actions)
    except Exception as error:  # noqa: BLE001
        raise ProbeFailure("step", error, frame=frame) from None
    row = {"obs": observations, "rewards": rewards, "terminated": terminated, "truncated": truncated, "infos": infos}
    return _canonical_row(row)


def _canonical_row(row: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each field of each agent as an exact string, taken at once (an env may reuse its arrays next step)."""
    return {
        name: {str(agent): _canonical(value) for agent, value in (values or {}).items()} for name, values in row.items()
    }


def _compare(expected: dict[str, Any], got: dict[str, Any], frame: int | str) -> None:
    """Exact comparison (floats by value, NaN equal to NaN) of every field of every agent."""
    for name in FIELDS:
        if name not in expected:
            continue
        first, second = expected[name], got[name]
        for agent in sorted(set(first) | set(second)):
            a, b = first.get(agent, "(absent)"), second.get(agent, "(absent)")
            if a != b:
                raise ProbeFailure(
                    "determinism",
                    frame=frame,
                    agent=str(agent),
                    field=name,
                    first=_around(a, b),
                    second=_around(b, a),
                )


def _around(text: str, other: str) -> str:
    """The part of `text` where it first differs from `other` (observations can be long)."""
    at = next((i for i, (x, y) in enumerate(zip(text, other, strict=False)) if x != y), min(len(text), len(other)))
    start = max(0, at - 40)
    return ("..." if start else "") + text[start : at + 40] + ("..." if at + 40 < len(text) else "")


def _canonical(value: Any) -> str:
    return json.dumps(_exact(to_jsonable(value)), sort_keys=True, default=repr)


def _exact(value: Any) -> Any:
    """Floats by their repr (exact, and NaN comparable)."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def _rollback(spec: dict[str, Any], seed: int) -> None:
    adapter = _build(spec)
    actions = spec.get("rollback_actions") or [0]
    try:
        _reset(adapter, seed)
        try:
            self_test(
                Snapshotter(adapter),
                lambda frame: {agent: actions[frame % len(actions)] for agent in adapter.live_agents()},
            )
        except RollbackUnsupported as error:
            raise ProbeFailure("rollback", error) from None
        except Exception as error:  # noqa: BLE001
            raise ProbeFailure("rollback", error) from None
    finally:
        _close(adapter)


def _close(adapter) -> None:
    with contextlib.suppress(Exception):  # a failing close() is not what the pre-flight reports
        adapter.close()


def _seed_global_rngs(seed: int) -> None:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
