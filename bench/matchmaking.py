"""Matchmaking benchmark: N simulated participants arrive over T seconds at a room of group size 2 or 4 on one
Daphne process; time from the last member's join to each member's "matched" message (confirmation round trip
included), with the in-memory channel layer and with Redis, side by side.

Run: .venv/bin/python bench/matchmaking.py [--participants 1000] [--seconds 10]. Needs redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import daphne_servers  # noqa: E402
from testkit.servers import redis_server  # noqa: E402

EXPERIMENTS = "bench.rooms:pairs,bench.rooms:quads"


def cookies_for(base: str, slug: str, count: int, tag: str) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda i: _cookie(base, slug, f"{tag}{i}"), range(count)))


def _cookie(base: str, slug: str, pid: str) -> str:
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    with opener.open(f"{base}/x/{slug}/?PROLIFIC_PID={pid}", timeout=60) as response:  # the landing page
        response.read()
    token = next(c.value for c in jar.cookiejar if c.name == "csrftoken")
    start = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "PROLIFIC_PID": pid}).encode()
    with opener.open(f"{base}/x/{slug}/", data=start, timeout=60) as response:  # its Start button
        response.read()
    return next(c.value for c in jar.cookiejar if c.name == f"mug_{slug}")


async def participant(base: str, slug: str, cookie: str, start_at: float, joins: dict, matched: dict, index: int):
    import websockets

    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    url = base.replace("http://", "ws://") + f"/x/{slug}/ws/room/"
    headers = {"Cookie": f"mug_{slug}={cookie}", "Origin": base}
    async with websockets.connect(url, additional_headers=headers, open_timeout=60, max_queue=None) as socket:
        joins[index] = time.monotonic()
        await socket.send(json.dumps({"type": "join", "scene_key": "game"}))
        async with asyncio.timeout(120):
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await socket.send(json.dumps({"type": "pong", "id": message["id"]}))
                elif message["type"] == "confirm":
                    await socket.send(json.dumps({"type": "ack", "match": message["match"]}))
                elif message["type"] == "matched":
                    matched[index] = (time.monotonic(), message["match"])
                    return
                elif message["type"] == "error":
                    raise RuntimeError(message["message"])


def run_room(bases: list[str], size: int, count: int, seconds: float, tag: str) -> dict:
    """Participants alternate between the processes, as behind a round-robin proxy."""
    slug = f"crowd{size}"
    cookies = cookies_for(bases[0], slug, count, tag)
    joins: dict[int, float] = {}
    matched: dict[int, tuple[float, int]] = {}

    async def crowd():
        begin = time.monotonic() + 0.5
        tasks = [
            participant(bases[i % len(bases)], slug, cookie, begin + seconds * i / count, joins, matched, i)
            for i, cookie in enumerate(cookies)
        ]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [r for r in results if isinstance(r, Exception)]

    errors = asyncio.run(crowd())
    groups: dict[int, list[int]] = {}
    for index, (_, match) in matched.items():
        groups.setdefault(match, []).append(index)
    latencies = []
    for members in groups.values():
        last_join = max(joins[i] for i in members)
        latencies += [(matched[i][0] - last_join) * 1000 for i in members]
    latencies.sort()
    return {
        "matched": len(matched),
        "groups": len(groups),
        "full": all(len(m) == size for m in groups.values()),
        "errors": len(errors),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
    }


SETUPS = [("in-memory", 1), ("redis", 1), ("redis", 2)]  # (channel layer, Daphne processes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    results = {}
    with redis_server() as redis_url:
        for layer, processes in SETUPS:
            env = {"MUG_EXPERIMENTS": EXPERIMENTS, "REDIS_URL": redis_url if layer == "redis" else ""}
            env["MUG_WS_PER_ADDRESS"] = str(args.participants)  # every simulated browser comes from loopback
            with daphne_servers(env, count=processes) as bases:
                for size in (2, 4):
                    tag = f"{layer[:2]}{processes}x{size}p"
                    results[layer, processes, size] = run_room(bases, size, args.participants, args.seconds, tag)
    print(f"{args.participants} participants arriving over {args.seconds:.0f} s per room, Daphne, SQLite, DEBUG=1")
    for (layer, processes, size), r in results.items():
        print(
            f"{layer:9} x{processes} process(es), group of {size}: last arrival -> matched p50 {r['p50']:.0f} ms, "
            f"p99 {r['p99']:.0f} ms; {r['matched']} matched in {r['groups']} groups (all full: {r['full']}), "
            f"{r['errors']} errors"
        )
    for size in (2, 4):
        base = results["in-memory", 1, size]["p50"]
        ratios = ", ".join(f"{layer} x{n} {results[layer, n, size]['p50'] / base:.2f}" for layer, n in SETUPS[1:])
        print(f"group of {size}: p50 relative to in-memory x1: {ratios}")


if __name__ == "__main__":
    main()
