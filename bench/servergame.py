"""Server-side games: how many games one web (Daphne) process hosts at 30 fps, and the input-to-render latency
the server path adds.

For N = 1, 2, 4, ... concurrent single-player games (Gather, each in its own game process, hosted by one Daphne
process), headless clients speak the real protocol over loopback WebSockets: each sends a key change every
100 ms (with an id) and a ping every 500 ms, and records when frames arrive and when the first frame that applied
its input came back. Reports per N the achieved frame rate (frames received per second per client, min and
median), the input-to-render latency p50/p95, the ping round trip, and the largest N whose slowest game held
29 fps. Usage: python bench/servergame.py [--max 64] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import daphne_servers  # noqa: E402
from bench.matchmaking import cookies_for  # noqa: E402

SLUG = "sg-bench"
FRAME_MS = 1000 / 30


async def client(base: str, cookie: str, seconds: float, ready: asyncio.Barrier) -> dict:
    import websockets

    url = base.replace("http://", "ws://") + f"/x/{SLUG}/ws/play/"
    headers = {"Cookie": f"mug_{SLUG}={cookie}", "Origin": base}
    frames, latency, rtt, sent = [], [], [], {}
    async with websockets.connect(url, additional_headers=headers, open_timeout=60, max_queue=None) as socket:
        await socket.send(json.dumps({"type": "hello", "scene_key": "play"}))
        async with asyncio.timeout(120):
            async for raw in socket:  # until this game's first frame
                if json.loads(raw)["type"] == "frame":
                    break
        await ready.wait()  # every game is running: measure together
        keys = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]

        async def talk():
            for i in range(int(seconds * 10)):
                sent[i + 1] = time.perf_counter()
                await socket.send(
                    json.dumps({"type": "input", "frame": 0, "held": [keys[i % 4]], "presses": [], "id": i + 1})
                )
                if i % 5 == 0:
                    await socket.send(json.dumps({"type": "ping", "id": time.perf_counter()}))
                await asyncio.sleep(0.1)

        talker = asyncio.create_task(talk())
        end = time.perf_counter() + seconds
        async with asyncio.timeout(seconds + 30):
            async for raw in socket:
                now = time.perf_counter()
                message = json.loads(raw)
                if message["type"] == "frame":
                    frames.append(now)
                    seen = message["seen"].get("player_0")
                    if seen in sent:
                        latency.append((now - sent.pop(seen)) * 1000)
                        for stale in [i for i in sent if i < seen]:
                            sent.pop(stale)
                elif message["type"] == "pong":
                    rtt.append((now - message["id"]) * 1000)
                if now >= end:
                    break
        talker.cancel()
    window = frames[-1] - frames[0] if len(frames) > 1 else 1.0
    return {"fps": (len(frames) - 1) / window, "latency": latency, "rtt": rtt}


def run(base: str, count: int, seconds: float, tag: str) -> dict:
    cookies = cookies_for(base, SLUG, count, tag)

    async def crowd():
        ready = asyncio.Barrier(count)
        return await asyncio.gather(*(client(base, cookie, seconds, ready) for cookie in cookies))

    results = asyncio.run(crowd())
    fps = sorted(r["fps"] for r in results)
    latency = sorted(x for r in results for x in r["latency"])
    rtt = sorted(x for r in results for x in r["rtt"])
    return {
        "fps_min": fps[0],
        "fps_median": statistics.median(fps),
        "latency_p50": _pct(latency, 0.5),
        "latency_p95": _pct(latency, 0.95),
        "rtt_p50": _pct(rtt, 0.5),
    }


def _pct(values: list[float], q: float) -> float:
    return values[int(q * (len(values) - 1))] if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    counts = [n for n in (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128) if n <= args.max]
    rows, held = [], 0
    for count in counts:
        env = {"MUG_EXPERIMENTS": "bench.server_scenes:experiment", "REDIS_URL": "", "MUG_MAX_SERVER_GAMES": str(count)}
        with daphne_servers(env) as (base,):  # no process cap: the bench measures how many games the machine holds
            result = run(base, count, args.seconds, f"n{count}-")
        rows.append((count, result))
        print(
            f"{count:4} games: fps min {result['fps_min']:.1f}, median {result['fps_median']:.1f}; "
            f"input->render p50 {result['latency_p50']:.1f} ms, p95 {result['latency_p95']:.1f} ms; "
            f"ping p50 {result['rtt_p50']:.1f} ms",
            flush=True,
        )
        if result["fps_min"] < 29:
            break
        held = count
    print("One Daphne process, SQLite, in-memory channel layer, one game process per game, 2 cores:")
    print(f"  games held at >= 29 fps (slowest game): {held}")
    first = rows[0][1]
    added = first["latency_p50"] - FRAME_MS / 2
    print(
        f"  input->render with 1 game: p50 {first['latency_p50']:.1f} ms (ping {first['rtt_p50']:.1f} ms); the "
        f"browser runtime waits half a frame on average ({FRAME_MS / 2:.1f} ms), so the server path adds "
        f"~{added:.1f} ms at p50 ({added / FRAME_MS:.2f} frames)"
    )


if __name__ == "__main__":
    main()
