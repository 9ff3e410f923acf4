"""Is an env ready for rollback? Self-test, then SyncTest: replays forced at every depth must match a straight run.

Plain Python; `manage.py check_rollback` runs it on a researcher's scenes, the tests on the demo envs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mug.adapters import to_jsonable
from mug.loop import GameLoop, LoopConfig
from mug.rollback import RollbackSession, shared_fields
from mug.snapshots import RollbackUnsupported, Snapshotter, self_test


@dataclass
class SyncReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    depths_checked: list[int] = field(default_factory=list)
    step_ms: float = 0.0
    save_ms: float = 0.0
    load_ms: float = 0.0
    explicit_state: bool = False


def check_rollback(config: dict[str, Any], frames: int = 120, window: int = 8, seed: int = 0) -> SyncReport:
    """Self-test the snapshot, then force rollbacks of depth 1..window-1 and compare with a straight run."""
    config = {**config, "render_mode": None}
    humans = [agent for agent, policy in config["agents"].items() if policy == "human"]
    if len(humans) < 2:
        return SyncReport(ok=False, problems=["rollback needs two or more human agents"])
    humans += list(config.get("relayed") or [])  # AI agents whose actions come through the relay: inputs too
    inputs = _input_table(config, humans, frames, seed, window)
    report = SyncReport()
    loop = _started(config, seed)
    snapshotter = Snapshotter(loop.adapter)
    report.explicit_state = snapshotter.explicit
    try:
        self_test(snapshotter, lambda frame: {h: inputs[h][frame] for h in humans if h in loop.adapter.live_agents()})
    except RollbackUnsupported as error:
        return SyncReport(ok=False, problems=[f"self-test: {error}"], explicit_state=snapshotter.explicit)
    report.step_ms, report.save_ms, report.load_ms = _costs(config, seed, inputs, humans)
    expected = _straight(config, seed, inputs, humans, frames)
    for depth in range(1, window):
        rows = _forced(config, seed, inputs, humans, frames, depth, window)
        report.depths_checked.append(depth)
        mismatch = next((f for f, (a, b) in enumerate(zip(rows, expected, strict=False)) if a != b), None)
        if mismatch is not None:
            report.ok = False
            report.problems.append(f"rollback depth {depth}: frame {mismatch} differs from the straight run")
        elif len(rows) != len(expected):
            report.ok = False
            report.problems.append(
                f"rollback depth {depth}: {len(rows)} frames confirmed, the straight run played {len(expected)}"
            )
    return report


def _started(config: dict[str, Any], seed: int) -> GameLoop:
    loop = GameLoop(LoopConfig.from_dict(config))
    loop.start_episode(0, seed)
    return loop


def _input_table(config, humans, frames, seed, window) -> dict[str, list]:
    """Seeded random inputs per human and frame (the same table for every run)."""
    loop = _started(config, seed)
    table = {}
    for offset, human in enumerate(humans):
        space = loop.adapter.action_space(human)
        space.seed(seed + 101 + offset)
        table[human] = [to_jsonable(space.sample()) for _ in range(frames + window + 16)]
    return table


def _straight(config, seed, inputs, humans, frames) -> list[dict]:
    loop = _started(config, seed)
    rows = []
    while not loop.over and loop.frame < frames:
        humans_now = {h: inputs[h][loop.frame] for h in humans if h in loop.adapter.live_agents()}
        rows.append(loop.step_frame({**loop.coerce_actions(humans_now), **loop.ai_actions()}))
    return rows


def _forced(config, seed, inputs, humans, frames, depth, window) -> list[dict]:
    """Every input but the first human's arrives `depth` frames late, and was mispredicted as the default."""
    session = RollbackSession(
        _started(config, seed), humans, humans[0], input_delay=0, window=window, predict="default"
    )
    local, others = humans[0], humans[1:]
    # Remote inputs arrive by the clock (`tick`), not by the simulated frame: a frame stops advancing when the episode
    # ends, and the last `depth` frames' remote inputs still arrive after that (none for frames past the end).
    for tick in range(frames + depth + window):
        session.inputs[local].setdefault(session.frame, inputs[local][session.frame])
        late = tick - depth
        if 0 <= late < len(inputs[local]) and not (session.loop.over and late >= session.frame):
            for other in others:
                session.add_remote_input(other, late, inputs[other][late])
        session.advance()
        if session.loop.over and session.confirmed + 1 >= session.frame:
            break
    rows = [shared_fields(row) for row in session.confirmed_rows]
    return rows[:frames]


def _costs(config, seed, inputs, humans) -> tuple[float, float, float]:
    """Mean step, save and load times in ms over a few frames (to size the prediction window)."""
    loop = _started(config, seed)
    snapshotter = Snapshotter(loop.adapter)
    step = save = load = 0.0
    count = 0
    for frame in range(20):
        if loop.over:
            break
        began = time.perf_counter()
        saved = snapshotter.save()
        save += time.perf_counter() - began
        began = time.perf_counter()
        snapshotter.load(saved)
        load += time.perf_counter() - began
        began = time.perf_counter()
        loop.step_frame({h: inputs[h][frame] for h in humans if h in loop.adapter.live_agents()})
        step += time.perf_counter() - began
        count += 1
    return tuple(1000 * total / max(count, 1) for total in (step, save, load))
