"""Client adapter for the anchor (MUG 0.1.3): walks its real participant flow over python-socketio, then relays."""

from __future__ import annotations

import asyncio
import collections
import time
import uuid

STEP_TIMEOUT = 20  # seconds for any one server reply during setup (the match countdown alone is 3 s)
# MUG's default FIFO matchmaker pairs whoever waits: joins go one pair at a time so each pair is matched with itself.
_JOIN_LOCK: asyncio.Lock | None = None


class AnchorClient:
    """One participant: a Socket.IO client over the websocket transport, as MUG's page opens it."""

    def __init__(self, url: str) -> None:
        import socketio

        self.url = url
        self.subject = f"relay-{uuid.uuid4().hex[:12]}"
        self.sio = socketio.AsyncClient(reconnection=False)
        self.on_partner_input = None
        self.session_id = self.game_id = self.player_id = None
        self._inbox: dict[str, asyncio.Queue] = collections.defaultdict(asyncio.Queue)
        self.sio.on("pyodide_other_player_action", self._partner_action)
        self.sio.on("*", self._any)

    def _partner_action(self, data: dict) -> None:
        if self.on_partner_input is not None:
            self.on_partner_input(data["frame_number"])

    def _any(self, event: str, data=None) -> None:
        self._inbox[event].put_nowait(data)

    async def expect(self, event: str) -> dict:
        try:
            return await asyncio.wait_for(self._inbox[event].get(), STEP_TIMEOUT)
        except TimeoutError:
            raise TimeoutError(f"{self.subject}: no {event!r} from the server in {STEP_TIMEOUT} s") from None

    async def enter(self, http) -> None:
        """Page load, connect, register, advance to the GymScene and report Pyodide loaded (steps 1-5)."""
        async with http.get(f"{self.url}/{self.subject}") as response:
            response.raise_for_status()
            await response.read()
        await self.sio.connect(self.url, transports=["websocket"], wait_timeout=STEP_TIMEOUT)
        await self.sio.emit("register_subject", {"subject_id": self.subject, "mugGlobals": {}})
        self.session_id = (await self.expect("server_session_id"))["session_id"]
        await self.expect("activate_scene")  # StartScene
        await self.sio.emit("advance_scene", {"session_id": self.session_id})
        scene = await self.expect("activate_scene")
        if scene.get("scene_type") != "GymScene":
            raise RuntimeError(f"{self.subject}: expected the GymScene, got {scene.get('scene_type')}")
        await self.sio.emit("pyodide_loading_start", {})
        await self.sio.emit("pyodide_loading_complete", {})

    async def join(self) -> None:
        await self.sio.emit("join_game", {"session_id": self.session_id})

    async def assigned(self) -> None:
        assigned = await self.expect("pyodide_player_assigned")
        self.game_id, self.player_id = assigned["game_id"], assigned["player_id"]

    async def play(self) -> None:
        """Game ready, P2P validation reported as passed, then wait for start_game (steps 6-8)."""
        await self.expect("pyodide_game_ready")
        # No WebRTC here: report validation as passed, so every input takes MUG's Socket.IO relay path.
        await self.sio.emit("p2p_validation_success", {"game_id": self.game_id, "player_id": self.player_id})
        await self.expect("p2p_validation_complete")
        await self.expect("start_game")

    async def send_input(self, frame: int) -> None:
        # The browser's relay-path payload (pyodide_multiplayer_game.js).
        await self.sio.emit(
            "pyodide_player_action",
            {
                "game_id": self.game_id,
                "player_id": self.player_id,
                "action": frame % 5,
                "frame_number": frame,
                "timestamp": int(time.time() * 1000),
                "sync_epoch": 0,
            },
        )

    async def close(self) -> None:
        await self.sio.disconnect()


async def make_pair(url: str, game: int) -> tuple[AnchorClient, AnchorClient]:
    import aiohttp

    global _JOIN_LOCK
    _JOIN_LOCK = _JOIN_LOCK or asyncio.Lock()
    a, b = AnchorClient(url), AnchorClient(url)
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(a.enter(http), b.enter(http))
    async with _JOIN_LOCK:
        await a.join()
        await a.expect("waiting_room")
        await b.join()
        await asyncio.gather(a.assigned(), b.assigned())
    if a.game_id != b.game_id:
        raise RuntimeError(f"pair {game}: MUG matched the two clients into different games")
    await asyncio.gather(a.play(), b.play())
    return a, b
