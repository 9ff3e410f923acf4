"""Rollback benchmark: snapshot costs beside a step (ours vs the anchor's JSON-in-source way), and rollback
behaviour per network condition from the in-process network simulator (two peers through the relay's log).

Run: .venv/bin/python bench/rollback.py [--frames 900]. Prints a table; writes var/bench/rollback.json.
Native CPython here; in the browser (Pyodide) every figure is several times larger (bench/browser_runtime.py
measures that factor for a frame), so the ratios are what carry over.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mug.loop import GameLoop, LoopConfig  # noqa: E402
from mug.snapshots import Snapshotter  # noqa: E402
from netcode.simulator import Conditions, simulate  # noqa: E402

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}
FRAME_MS = 1000 / 30


def config(env: str, frames: int, **env_kwargs) -> dict:
    agents = {"chaser": "human", "runner": "human"} if "tag" in env else {"player_0": "human", "player_1": "human"}
    return {
        "env": env,
        "env_kwargs": env_kwargs,
        "agents": agents,
        "render_mode": None,
        "max_steps": frames,
        "keys": ARROWS,
    }


ENVS = {
    "gather (get_state)": config("examples.gather.env:make", 10**6),
    "gather, 0.5 ms step": config("examples.gather.env:make", 10**6, step_cost_ms=0.5),
    "tag (deep copy)": config("examples.tag.env:make", 10**6),
}


def timed(fn, repeat: int) -> float:
    """Median µs of `fn` over `repeat` calls (in 5 batches)."""
    batches = []
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(repeat // 5):
            fn()
        batches.append((time.perf_counter() - began) / (repeat // 5) * 1e6)
    return statistics.median(batches)


def anchor_state_functions(env):
    """The anchor's way: get_state() as JSON, restored by running source text that embeds that JSON
    (pyodide.runPythonAsync of an f-string), here compiled and run natively."""

    def save() -> str:
        positions, coins, rng, agents = env.get_state()
        return json.dumps({"positions": positions.tolist(), "coins": coins.tolist(), "rng": rng, "agents": agents})

    def load(text: str) -> None:
        source = f"""
import json, numpy as np
_s = json.loads({text!r})
env.set_state((np.array(_s["positions"]), np.array(_s["coins"]), _s["rng"], _s["agents"]))
"""
        exec(compile(source, "<anchor>", "exec"), {"env": env})  # noqa: S102 (what the anchor does, measured)

    return save, load


def snapshot_costs(repeat: int) -> list[dict]:
    return [env_costs(name, cfg, repeat) for name, cfg in ENVS.items()]


def env_costs(name: str, cfg: dict, repeat: int) -> dict:
    loop = GameLoop(LoopConfig.from_dict(cfg))
    loop.start_episode(0, 1)
    snap = Snapshotter(loop.adapter)
    actions = {agent: 1 for agent in loop.adapter.possible_agents}
    saved = snap.save()
    step_us = timed(lambda: loop.adapter.step(actions) if loop.adapter.live_agents() else None, repeat)
    loop.start_episode(0, 1)
    row = {"env": name, "step_us": step_us, "save_us": timed(snap.save, repeat)}
    row["load_us"] = timed(lambda: snap.load(saved), repeat)
    row["checksum_us"] = timed(snap.checksum, repeat)
    row["save_load_of_step"] = (row["save_us"] + row["load_us"]) / step_us
    if snap.explicit:
        save, load = anchor_state_functions(getattr(loop.adapter.env, "unwrapped", loop.adapter.env))
        text = save()
        row["anchor_save_us"] = timed(save, repeat)
        row["anchor_load_us"] = timed(lambda: load(text), repeat)
        row["anchor_vs_ours"] = (row["anchor_save_us"] + row["anchor_load_us"]) / (row["save_us"] + row["load_us"])
    return row


CONDITIONS = {  # one tick = one frame at 30 fps; link delay each way = RTT/2 between a browser and the relay
    "0 ms": Conditions(),
    "100 ms ±20": Conditions(delay=2, jitter=1),
    "250 ms ±40": Conditions(delay=4, jitter=1),
    "100 ms, 5% loss, resync": Conditions(delay=2, jitter=1, loss=0.05, burst=6),  # lost news resent every 0.5 s
    "100 ms, slow peer (x2)": Conditions(delay=2, jitter=1, slow={"player_0": 2}),
}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def rollback_conditions(frames: int, env_names: list[str]) -> list[dict]:
    rows = []
    for env_name in env_names:
        cfg = {**ENVS[env_name], "max_steps": frames}
        for name, conditions in CONDITIONS.items():
            # Players change the key held about three times a second (a human pace, not every frame).
            result = simulate(cfg, 7, dataclasses.replace(conditions, keys_every=0.1), max_ticks=frames * 6)
            sessions = [s.session for s in result.sessions.values()]
            replays = [r for s in sessions for r in s.replays]
            depths, costs = [d for d, _ in replays], [ms for _, ms in replays]
            played = sum(len(s.confirmed_rows) for s in sessions)
            ticks = sum(len(t) for t in result.tick_ms.values())
            minutes = played / len(sessions) / 30 / 60
            rows.append(
                {
                    "env": env_name,
                    "condition": name,
                    "agreed": result.agreed,
                    "frames": played // len(sessions),
                    "rollbacks_per_min": sum(s.stats["rollbacks"] for s in sessions)
                    / len(sessions)
                    / max(minutes, 1e-9),
                    "depth_p50": percentile(depths, 50),
                    "depth_p95": percentile(depths, 95),
                    "depth_max": max(depths or [0]),
                    "replay_ms_p95": percentile(costs, 95),
                    "replay_ms_max": max(costs or [0]),
                    "replay_p95_of_frame": percentile(costs, 95) / FRAME_MS,
                    "mispredicted_pct": 100 * sum(s.stats["mispredicted"] for s in sessions) / max(played, 1),
                    "stall_pct": 100 * sum(s.stats["stalls"] for s in sessions) / max(ticks, 1),
                    "predicted_shown_pct": 100
                    * sum(r["predicted"] for s in sessions for r in s.confirmed_rows)
                    / played,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=900, help="frames per condition (900 = 30 s at 30 fps)")
    parser.add_argument("--repeat", type=int, default=2000, help="calls per snapshot cost measurement")
    args = parser.parse_args()
    costs = snapshot_costs(args.repeat)
    print("Snapshot costs (µs, median; native CPython)")
    columns = ("step", "save", "load", "check", "(s+l)/step", "anchor s+l", "anchor/ours")
    print(f"{'env':24} " + " ".join(f"{c:>11}" for c in columns))
    for r in costs:
        anchor = r.get("anchor_save_us", 0) + r.get("anchor_load_us", 0)
        ratio = f"{r['anchor_vs_ours']:.1f}x" if "anchor_vs_ours" in r else "n/a"
        print(
            f"{r['env']:24} {r['step_us']:11.1f} {r['save_us']:11.1f} {r['load_us']:11.1f} {r['checksum_us']:11.1f} "
            f"{r['save_load_of_step']:11.2f} {anchor:11.1f} {ratio:>11}"
        )
    conditions = rollback_conditions(args.frames, ["gather (get_state)", "gather, 0.5 ms step"])
    print(f"\nRollback per condition (two peers, {args.frames} frames, window 8, input delay 2)")
    print(
        f"{'env':20} {'condition':24} {'ok':>3} {'rb/min':>7} {'depth p50/p95/max':>18} {'replay p95 ms':>13} "
        f"{'of frame':>8} {'mispred%':>8} {'stall%':>7} {'shown guessed%':>14}"
    )
    for r in conditions:
        depth = f"{r['depth_p50']:.0f}/{r['depth_p95']:.0f}/{r['depth_max']}"
        print(
            f"{r['env']:20} {r['condition']:24} {'yes' if r['agreed'] else 'NO':>3} {r['rollbacks_per_min']:7.0f} "
            f"{depth:>18} {r['replay_ms_p95']:13.2f} {r['replay_p95_of_frame']:8.1%} {r['mispredicted_pct']:8.1f} "
            f"{r['stall_pct']:7.1f} {r['predicted_shown_pct']:14.1f}"
        )
    out = ROOT / "var" / "bench" / "rollback.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"snapshot_costs": costs, "conditions": conditions}, indent=1))
    print(f"\nwritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
