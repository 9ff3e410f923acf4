"""Client adapter and server for OUR relay: participants enter over HTTP, are matched in the waiting room, then
play over the game socket exactly as the browser's netcode client does (inputs until acknowledged, probes
answered). `serving` starts fresh Daphne processes (one, or two sharing Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
SLUG = "relay-bench"  # bench/relay_game.py
DELAY = 2  # the scene's input delay: the input sent at frame f is the log's frame f + 2
RESEND_AFTER = 30  # as the browser (mug/netplay.py): no ack for 30 ticks with inputs outstanding: send them again
_matching = None  # one pair at a time in the waiting room, so that each pair is matched with itself
RUN = os.urandom(4).hex()


class MugClient:
    def __init__(self, socket) -> None:
        self.socket = socket
        self.on_partner_input = None
        self.unacked: dict[int, int] = {}
        self.waited = 0  # ticks since the ack last moved
        self.reader = asyncio.create_task(self._read())

    async def send_input(self, frame: int) -> None:
        """Each input once, as the browser sends it; all unacknowledged ones again after 30 ticks without an ack."""
        self.unacked[frame + DELAY] = 1 + frame % 4
        self.waited += 1
        if self.waited >= RESEND_AFTER:
            self.waited = 0
            inputs = [[f, a] for f, a in self.unacked.items()][-64:]
        else:
            inputs = [[frame + DELAY, self.unacked[frame + DELAY]]]
        await self.socket.send(
            json.dumps({"type": "input", "episode": 0, "frame": frame, "inputs": inputs, "checksums": []})
        )

    async def _read(self) -> None:
        async for text in self.socket:
            message = json.loads(text)
            kind = message["type"]
            if kind == "inputs" and self.on_partner_input is not None:
                for frame, _ in message["inputs"]:
                    self.on_partner_input(frame - DELAY)
            elif kind == "ack":
                self.unacked = {f: a for f, a in self.unacked.items() if f > message["ack"]}
                self.waited = 0
            elif kind == "probe":
                await self.socket.send(json.dumps({"type": "probe", "id": message["id"], "stats": {}}))

    async def close(self) -> None:
        self.reader.cancel()
        await self.socket.close()


def _cookie(url: str, pid: str) -> str:
    jar = urllib.request.HTTPCookieProcessor()
    opener = urllib.request.build_opener(jar)
    with opener.open(f"{url}/x/{SLUG}/?PROLIFIC_PID={pid}", timeout=60) as response:  # the landing page
        response.read()
    token = next(c.value for c in jar.cookiejar if c.name == "csrftoken")
    start = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "PROLIFIC_PID": pid}).encode()
    with opener.open(f"{url}/x/{SLUG}/", data=start, timeout=60) as response:  # its Start button
        response.read()
    return next(c.value for c in jar.cookiejar if c.name == f"mug_{SLUG}")


async def _matched(url: str, cookies: list[str]) -> str:
    """The host the match names ("" unless the workers are routed by name behind nginx)."""
    sys.path.insert(0, str(ROOT))
    from testkit.wsclient import match_group

    matched = await match_group([(url, cookie) for cookie in cookies], SLUG)
    return matched[0].get("host", "")


async def _seated(url: str, cookie: str, host: str = "") -> MugClient:
    from websockets.asyncio.client import connect

    headers = {"Cookie": f"mug_{SLUG}={cookie}", "Origin": url}
    route = f"/w/{host}" if host else ""  # nginx sends /x/<study>/w/<host>/ws/... to that worker
    socket = await connect(
        url.replace("http://", "ws://") + f"/x/{SLUG}{route}/ws/game/",
        additional_headers=headers,
        compression=None,
        open_timeout=30,
    )
    await socket.send(json.dumps({"type": "hello", "scene_key": "pair"}))
    while json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] != "welcome":
        pass
    return MugClient(socket)


async def make_pair(url: str, game: int) -> tuple[MugClient, MugClient]:
    """Two participants matched with each other, each on its own game socket (on process game % n; with a
    "split:" url the second player's socket is on the next process, so every input crosses the channel layer)."""
    global _matching
    split = url.startswith(SPLIT)
    urls = url.removeprefix(SPLIT).split(",")  # several processes: a game's players on one (sticky, as a balancer)
    base, other = urls[game % len(urls)], urls[(game + 1) % len(urls)]
    pids = [f"r{RUN}g{game}p{i}" for i in range(2)]  # new participants even in a database kept between runs
    cookies = await asyncio.gather(*(asyncio.to_thread(_cookie, base, pid) for pid in pids))
    _matching = _matching or asyncio.Lock()
    async with _matching:
        host = await _matched(base, cookies)
    return await _seated(base, cookies[0], host), await _seated(other if split else base, cookies[1], host)


SPLIT = "split:"


@contextlib.contextmanager
def serving(games: int, processes: int = 1, redis: bool = False, split: bool = False):
    """Fresh database, `processes` Daphne processes (DEBUG off; with `redis`, a throwaway redis-server is their
    channel layer); yields .url (comma-joined) and .pids (Redis's too: its CPU is the relay's)."""
    sys.path.insert(0, str(ROOT))
    from bench._server import DAPHNE, _wait, free_port, fresh_database

    with contextlib.ExitStack() as stack:
        spawned: list[subprocess.Popen] = []
        stack.callback(_stop, spawned)
        redis_url = ""
        if redis:
            port = free_port()
            spawned.append(
                subprocess.Popen(
                    ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                    stdout=subprocess.DEVNULL,
                )
            )
            _wait(port, timeout=30)
            redis_url = f"redis://127.0.0.1:{port}/0"
        extra = {
            "MUG_EXPERIMENTS": "bench.relay_game:experiment",
            "DEBUG": "0",
            "REDIS_URL": redis_url,
            "SECRET_KEY": "relay-benchmark-" + "x" * 50,
        }
        env = stack.enter_context(fresh_database(extra))
        ports = [free_port() for _ in range(processes)]
        for port in ports:
            spawned.append(
                subprocess.Popen(
                    [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "mugsite.asgi:application"],
                    cwd=ROOT,
                    env={**env, **extra},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in ports:
            _wait(port, timeout=60)
        urls = ",".join(f"http://127.0.0.1:{p}" for p in ports)
        yield SimpleNamespace(url=(SPLIT if split else "") + urls, pids=[s.pid for s in spawned])


@contextlib.contextmanager
def behind_nginx(workers: int):
    """The deployment recipe (deploy/local.py): nginx in front of `workers` named Daphne workers sharing a
    throwaway Redis, each game's sockets on the worker its match names; yields .url (nginx) and .pids (the
    workers', nginx's and Redis's: all of it is the relay's CPU)."""
    sys.path.insert(0, str(ROOT))
    from bench._server import _wait, free_port, fresh_database
    from deploy.local import local_deployment

    with contextlib.ExitStack() as stack:
        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        stack.callback(_stop, [redis])
        _wait(port, timeout=30)
        extra = {
            "MUG_EXPERIMENTS": "bench.relay_game:experiment",
            "DEBUG": "0",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "SECRET_KEY": "relay-benchmark-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        env = stack.enter_context(fresh_database(extra))
        run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="relay-nginx-")))
        deployment = stack.enter_context(local_deployment(workers, env, run_dir))
        processes = [w.process.pid for w in deployment.workers.values()] + [deployment.nginx.process.pid, redis.pid]
        yield SimpleNamespace(url=deployment.url, pids=processes)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


if __name__ == "__main__":  # a smoke test: python bench/relay/mug_target.py
    with serving(1) as server:
        print(server.url, server.pids, os.getpid())
