"""A long group game through one Daphne process: memory growth, frame drift and an input log with every input once."""

# Two headless players (testkit/wsgame.py: the browser's NetSession over real WebSockets, random keys at 30 fps) enter
# the net-marathon study over HTTP, are matched in its waiting room and play one episode of up to an hour through
# one Daphne process (SQLite, in-memory channel layer). Every 10 s: Daphne's RSS (/proc/<pid>/status) and CPU, each
# player's frame against the frame its wall clock expects (drift), and the relay's input rows. At the end: RSS growth
# (mean of the first minute's samples against the last minute's, MB and %), the largest drift, and the check that
# the relay's log holds each frame's input of each player once, gapless, equal to what that player played, and that
# each player's confirmed rows equal the server's replay of the log. Writes var/bench/long_run.json.
# Usage: python bench/long_run.py [--minutes 30]

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLUG = "net-marathon"
EXPERIMENT = "testkit.relay_experiments:net_marathon"
SAMPLE_EVERY_S = 10.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def enter(base: str, pid: str) -> tuple[str, dict]:
    """The participant's cookie and the game page's runtime config, from the entry link (as a browser)."""
    from testkit.participants import Browser, runtime_of

    browser = Browser(base)
    page = browser.enter(SLUG, {"PROLIFIC_PID": pid})
    browser.close()
    return browser.cookies[f"mug_{SLUG}"], runtime_of(page)


async def session(base: str, daphne_pid: int, minutes: float) -> tuple[list, list[dict], float]:
    from netcode.models import GameInput
    from testkit.wsclient import match_group
    from testkit.wsgame import WsGamePlayer

    entered = [await asyncio.to_thread(enter, base, pid) for pid in ("left", "right")]
    await match_group([(base, cookie) for cookie, _ in entered], SLUG)
    players = [
        WsGamePlayer(base, SLUG, cookie, "pair", config["loop"], seed=i) for i, (cookie, config) in enumerate(entered)
    ]
    fps = entered[0][1]["loop"]["fps"]
    tasks = [asyncio.create_task(player.play(timeout=minutes * 60 + 120)) for player in players]
    await asyncio.wait_for(asyncio.gather(*(player.started.wait() for player in players)), 30)
    began = time.monotonic()  # the players' clocks start at once when their episode starts
    samples, cpu_before = [], cpu_seconds(daphne_pid)
    for number in range(1, int(minutes * 60 / SAMPLE_EVERY_S) + 1):
        await asyncio.sleep(max(0.0, began + number * SAMPLE_EVERY_S - time.monotonic()))
        failed = [task for task in tasks if task.done()]
        if failed:
            raise RuntimeError(f"a player stopped: {failed[0].exception()!r}")
        elapsed = time.monotonic() - began
        frames = [player.net.session.frame for player in players]
        cpu_now = cpu_seconds(daphne_pid)
        samples.append(
            {
                "t_s": round(elapsed, 1),
                "rss_mb": round(rss_mb(daphne_pid), 1),
                "cpu_pct": round(100 * (cpu_now - cpu_before) / SAMPLE_EVERY_S, 1),
                "frames": frames,
                "drift_frames": [int(elapsed * fps) + 1 - frame for frame in frames],  # the clock ticks at 0 too
                "confirmed": [player.net.session.confirmed for player in players],
                "input_rows": await asyncio.to_thread(GameInput.objects.count),
            }
        )
        cpu_before = cpu_now
        print(json.dumps(samples[-1]), flush=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2)  # the relay's last group commit
    views = [
        {
            "local": p.net.local,
            "own": dict(p.net.session.inputs[p.net.local]),
            "rows": p.rows[0],
            "stats": dict(p.net.session.stats),
        }
        for p in players
    ]
    return samples, views, fps


def check_log(views: list[dict]) -> dict:
    """Every player's inputs in the relay's log once, gapless and as played; confirmed rows equal the replay."""
    from django.db.models import Count, Max, Min

    from experiments.definition import registry
    from mug.rollback import shared_fields
    from netcode.models import Game, GameInput
    from netcode.replay import game_replay, log_inputs, scene_of

    game = Game.objects.get()
    delay = game.netcode["input_delay"]
    log = log_inputs(game, 0, list(game.seats.order_by("id")))
    result = {"input_rows": GameInput.objects.count(), "problems": []}
    counts = {"n": Count("id"), "distinct": Count("frame", distinct=True), "first": Min("frame"), "last": Max("frame")}
    per_agent = GameInput.objects.order_by().values("agent").annotate(**counts)
    for row in per_agent:
        if not (row["n"] == row["distinct"] == row["last"] - row["first"] + 1 and row["first"] <= delay):
            result["problems"].append(f"{row['agent']}: frames not once and gapless: {row}")
    for view in views:
        own, stored = view["own"], log[view["local"]]
        differ = [frame for frame in stored if stored[frame] != own.get(frame)]
        if differ:
            result["problems"].append(f"{view['local']}: {len(differ)} logged inputs differ from what it played")
        top = max(stored)  # once: inside the comprehension it made the check quadratic (hours for a 30-min run)
        unlogged = [frame for frame in own if delay <= frame <= top and frame not in stored]
        if unlogged:
            result["problems"].append(f"{view['local']}: {len(unlogged)} inputs below the log's top are not in it")
    began = time.monotonic()
    canonical = game_replay(game=game, episode=0, scene=scene_of(game, registry.get_experiment(SLUG)))
    result["replay_s"] = round(time.monotonic() - began, 1)
    result["replayed_frames"] = len(canonical)
    for view in views:
        rows = [shared_fields(row) for row in view["rows"]]
        common = min(len(rows), len(canonical))
        result.setdefault("confirmed_rows", []).append(len(rows))
        if rows[:common] != canonical[:common] or common < len(canonical) - 300:
            result["problems"].append(
                f"{view['local']}: {len(rows)} confirmed rows differ from the replay's {len(canonical)}"
            )
    return result


def summarize(samples: list[dict], check: dict, views: list[dict], minutes: float, fps: float) -> dict:
    end = samples[-1]["t_s"]
    first = [s["rss_mb"] for s in samples if s["t_s"] <= 60.5]
    last = [s["rss_mb"] for s in samples if s["t_s"] >= end - 60]
    growth = statistics.mean(last) - statistics.mean(first)
    drift = [abs(d) for s in samples for d in s["drift_frames"]]  # behind (or ahead of) the wall clock
    gap = [abs(s["frames"][0] - s["frames"][1]) for s in samples]
    return {
        "minutes": minutes,
        "rss_first_minute_mb": round(statistics.mean(first), 1),
        "rss_last_minute_mb": round(statistics.mean(last), 1),
        "rss_growth_mb": round(growth, 1),
        "rss_growth_pct": round(100 * growth / statistics.mean(first), 1),
        "max_drift_frames": max(drift),
        "max_drift_ms": round(max(drift) * 1000 / fps, 1),
        "max_frame_gap_between_players": max(gap),
        "daphne_cpu_pct_mean": round(statistics.mean(s["cpu_pct"] for s in samples), 1),
        "rollbacks": [view["stats"].get("rollbacks") for view in views],
        **check,
        "ok": not check["problems"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "long_run.json"))
    args = parser.parse_args()
    if not 1 <= args.minutes <= 55:
        sys.exit("--minutes must be from 1 to 55 (the episode lasts an hour)")

    from bench._server import daphne_with_django

    with daphne_with_django(EXPERIMENT) as daphne:
        samples, views, fps = asyncio.run(session(daphne.url, daphne.process.pid, args.minutes))
        check = check_log(views)
    report = summarize(samples, check, views, args.minutes, fps)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"summary": report, "samples": samples}, indent=1))
    print(json.dumps(report, indent=1))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
