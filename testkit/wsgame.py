"""A headless group-game player over a real WebSocket: the same NetSession a browser runs, the same protocol,
a fixed clock and random keys. For tests against Daphne processes, and for load benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time

import websockets

from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession


class WsGamePlayer:
    def __init__(
        self, base_url: str, slug: str, cookie: str, scene_key: str, loop_config: dict, seed: int = 0, infer=None
    ):
        """`infer(queries) -> outputs` runs the models of relayed AI agents when this player drives them (the
        browser's worker runs onnxruntime-web; testkit.onnx_native runs onnxruntime)."""
        self.url = base_url.replace("http://", "ws://") + f"/x/{slug}/ws/game/"
        self.headers = {"Cookie": f"mug_{slug}={cookie}", "Origin": base_url}
        self.scene_key = scene_key
        self.config = {**loop_config, "render_mode": None}
        self.rng = random.Random(seed)
        self.keys = sorted(loop_config["keys"])
        self.net: NetSession | None = None
        self.news = {"inputs": [], "replaced": [], "ack": -1, "remote_frames": {}, "ai_ack": {}}
        self.infer = infer
        self.inference: dict = {}
        self.inferences = 0  # model runs this player made (as the driver of relayed agents)
        self.episode = None
        self.rows: dict[int, list[dict]] = {}
        self.messages: list[str] = []
        self.finished = asyncio.Event()
        self.started = asyncio.Event()
        self.stalled_since: float | None = None
        self.synced_at = 0.0

    async def play(self, timeout: float = 120.0) -> WsGamePlayer:
        async with websockets.connect(self.url, additional_headers=self.headers, open_timeout=10) as socket:
            self.socket = socket
            await socket.send(json.dumps({"type": "hello", "scene_key": self.scene_key}))
            reader = asyncio.create_task(self._read())
            try:
                async with asyncio.timeout(timeout):
                    await self._run_clock()
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        return self

    async def _read(self) -> None:
        async for text in self.socket:
            message = json.loads(text)
            kind = message["type"]
            self.messages.append(kind)
            if kind == "welcome":
                players, seat = message["players"], message["seat"]
                netcode = message["netcode"]
                loop = GameLoop(LoopConfig.from_dict(self.config))
                self.net = NetSession(loop, players, seat, netcode["input_delay"], netcode["window"])
                self._begin(message["episode"], message["seed"])
                self.news["inputs"] += message["inputs"]
                self.news["ack"] = message["ack"]
                self.news["ai_ack"] = message.get("ai_ack", {})
                self.news["resend"] = True
            elif kind == "episode":
                self._begin(message["episode"], message["seed"])
            elif kind == "inputs" and message["episode"] == self.episode:
                self.news["inputs"] += [[message["player"], f, a] for f, a in message["inputs"]]
                self.news["inputs"] += message.get("ai", [])
                self.news["remote_frames"][message["player"]] = message["frame"]
            elif kind == "input_log" and message["episode"] == self.episode:
                self.news["inputs"] += message["inputs"]
                self.news["input_log"] = True
            elif kind == "ack" and message.get("episode") == self.episode:
                self.news["ack"] = max(self.news["ack"], message["ack"])
                self.news["ai_ack"] = {**self.news["ai_ack"], **message.get("ai_ack", {})}
            elif kind == "replaced":
                self.news["replaced"].append([message["player"], message["from_frame"], message["policy"]])
            elif kind == "probe":  # as the browser does: answer at once (the server times the round trip)
                await self.socket.send(json.dumps({"type": "probe", "id": message["id"], "stats": {}}))
            elif kind in ("finished", "end"):
                self.finished.set()

    def _begin(self, episode: int, seed: int) -> None:
        self.episode = episode
        self.net.start(episode, seed)
        self.news = {"inputs": [], "replaced": self.news["replaced"], "ack": -1, "remote_frames": {}, "ai_ack": {}}
        self.rows[episode] = []
        self.done = None
        self.started.set()

    async def _ask_for_missing(self, out: dict) -> None:
        """As the browser does: stalled on a partner for a second, ask the relay for the inputs it lacks."""
        now = time.monotonic()
        if not out["stalled"]:
            self.stalled_since = None
            return
        self.stalled_since = self.stalled_since or now
        if now - self.stalled_since >= 1 and now - self.synced_at >= 1:
            self.synced_at = now
            await self.socket.send(json.dumps({"type": "sync", "episode": self.episode, "after": out["confirmed"]}))

    async def _run_clock(self) -> None:
        await self.started.wait()
        period = 1 / self.config.get("fps", 30)
        held: list[str] = []
        next_tick = time.monotonic()
        pinged = 0.0
        while not self.finished.is_set():
            if time.monotonic() - pinged >= 1:  # as the browser does: the relay counts a silent seat as gone
                pinged = time.monotonic()
                await self.socket.send(json.dumps({"type": "ping", "id": int(pinged)}))
            if self.done is None:
                if self.rng.random() < 0.2:
                    held = [self.rng.choice(self.keys)]
                fresh = {"inputs": [], "replaced": [], "resend": False, "input_log": False}
                news, self.news = self.news, {**self.news, **fresh}
                out = self.net.tick({**news, "held": held, "inference": self.inference})
                self.inference = self.infer(out["queries"]) if out["queries"] and self.infer else {}
                self.inferences += bool(self.inference)
                self.rows[self.episode] += out["rows"]
                await self._ask_for_missing(out)
                if out["sync"] and time.monotonic() - self.synced_at >= 1:  # it drives the AI now: read the log
                    self.synced_at = time.monotonic()
                    await self.socket.send(
                        json.dumps({"type": "sync", "episode": self.episode, "after": out["confirmed"]})
                    )
                if out["send"] or out["checksums"] or out["ai_send"]:
                    message = {
                        "type": "input",
                        "episode": self.episode,
                        "frame": out["frame"],
                        "inputs": out["send"],
                        "checksums": out["checksums"],
                        "ai": out["ai_send"],
                    }
                    await self.socket.send(json.dumps(message))
                if out["over"]:
                    self.done = {
                        "type": "done",
                        "episode": self.episode,
                        "frames": out["frame"],
                        "checksum": out["final"],
                    }
                    # As the browser does: its last inputs go again with the end (the others need them).
                    self.last_inputs = {
                        "type": "input",
                        "episode": self.episode,
                        "frame": out["frame"],
                        "inputs": out["unacked"],
                        "checksums": [],
                        "ai": out["ai_unacked"],
                    }
                    await self.socket.send(json.dumps(self.done))
                    self.done_at = time.monotonic()
                period_now = period * out["tick_scale"]
            else:
                period_now = period
                if time.monotonic() - self.done_at > 2:  # the relay had not confirmed the end yet: say it again
                    if self.last_inputs["inputs"] or self.last_inputs["ai"]:
                        await self.socket.send(json.dumps(self.last_inputs))
                    await self.socket.send(json.dumps(self.done))
                    self.done_at = time.monotonic()
            next_tick += period_now
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
