"""The host of a server-side game, inside a web process's event loop: it runs the game's own OS process, sends
each frame to every seat's socket (the same Surface deltas the browser runtime draws), stores every row, and
applies presence and dropout policies. One host per game across all processes (claimed in the database)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.layers import get_channel_layer
from django.urls import reverse

from experiments.flow.sockets import db
from netcode.server import protocol, services
from netcode.server.process import GameProcess
from netcode.server.runner import Screen
from netcode.server.selectors import game_scene_by_id, host_plan
from netcode.server.slots import Slot, slot_take

logger = logging.getLogger(__name__)
FLUSH_EVERY = 30  # frames per database write (a second at 30 fps; a lost host restarts the episode anyway)
BEAT_S = 1.0
SEATED_WAIT_S = 15.0  # a group game starts once everyone is here, or after this long (the dropout policy follows)
ALONE_EXIT_S = 120.0  # nobody connected for this long: stop the process; the next arrival restarts the episode
HOSTS: dict[int, GameHost] = {}  # the games this process hosts


async def host_ensure(game_id: int) -> bool:
    """Host the game here unless a live host runs it (in this process or another), if this machine has a free
    game-process slot (netcode/server/slots.py). False only when no slot was free (the socket says busy and asks again);
    a host that is still deemed alive elsewhere, or a claim lost to another process, is not "busy"."""
    if game_id in HOSTS:
        return True
    slot = slot_take()
    if slot is None:
        return False
    try:
        layer = get_channel_layer()
        # The default prefix: channels_redis reads every process-local channel through one shared Redis list per
        # process, named after the prefix; a channel with its own prefix would starve the consumers' channels.
        channel = await layer.new_channel()
        claimed = await db(services.server_game_claim)(game_id=game_id, host=channel)
    except BaseException:
        slot.release()
        raise
    if not claimed:
        slot.release()
        return True
    host = GameHost(game_id, channel, layer, slot)
    HOSTS[game_id] = host
    host.task = asyncio.create_task(host.run())
    return True


class GameHost:
    def __init__(self, game_id: int, channel: str, layer, slot: Slot) -> None:
        self.game_id, self.channel, self.layer, self.slot = game_id, channel, layer, slot
        self.group = protocol.group_name(game_id)
        self.screen, self.hud, self.assets = Screen(), {}, []
        self.episode, self.frame, self.playing, self.paused = -1, -1, False, False
        self.hidden: set[str] = set()
        self.absent: dict[str, float] = {}  # agent -> since (monotonic), disconnected or hidden
        self.rows: list[dict] = []
        self.hidden_frames: dict[str, list[int]] = {}
        self.writes: asyncio.Queue = asyncio.Queue()
        self.records: dict[str, int] = {}  # each playing seat's Episode id (set by the writer at each start)
        self.frame_times: list[float] = []
        self.lateness: list[float] = []
        self.task: asyncio.Task | None = None
        self.stopping = False
        # Joins that came before the game process reported its assets wait for them: a welcome without the assets
        # would make the page draw its sprites as missing textures until a reload.
        self.ready = False
        self.joins: list[dict] = []

    async def run(self) -> None:
        helpers: list[asyncio.Task] = []
        try:
            self.plan = await db(host_plan)(game_id=self.game_id)
            plan = self.plan  # starting (and later stopping) a process blocks: done off the event loop
            self.process = await asyncio.to_thread(
                GameProcess,
                plan["config"],
                plan["seats"],
                plan["seeds"],
                plan["fps"],
                first_episode=plan["first_episode"],
                countdown_s=plan["netcode"]["countdown_s"],
                models=plan["models"],
            )
            for agent, policy in self.plan["replaced"].items():
                self.process.send({"type": "replace", "seat": agent, "policy": policy})
            self.absent = {agent: time.monotonic() for agent in self.plan["seats"]}  # until their sockets say hello
            await self.layer.group_send(self.group, {"type": protocol.HOST_CHANGED, "host": self.channel})
            helpers = [asyncio.create_task(job()) for job in (self.inbox, self.beat, self.writer)]
            await self.pump()
        except Exception:
            logger.exception("server game %s: host failed", self.game_id)
        finally:
            self.stopping = True
            for task in helpers:
                task.cancel()
            if hasattr(self, "process"):
                with contextlib.suppress(OSError, ValueError):  # the pipe already closed: nothing to stop reading
                    asyncio.get_running_loop().remove_reader(self.process.conn.fileno())
                await asyncio.to_thread(self.process.stop)
            self.slot.release()  # the process has stopped: another game may start
            HOSTS.pop(self.game_id, None)

    def stop(self) -> None:
        """End this host: the pump returns, the process stops (the rows taken so far are already queued)."""
        self.stopping = True
        self.frames.put_nowait({"type": "stopped"})

    async def pump(self) -> None:
        """Every message of the game process, in order, until the game is over for this host."""
        self.frames = _pipe_reader(self.process.conn)
        while not self.stopping:
            message = await self.frames.get()
            kind = message["type"]
            if kind == "frame":
                await self.on_frame(message)
            elif kind == "started":
                await self.on_started(message)
            elif kind == "ready":
                self.assets, self.ready = message["assets"], True
                joins, self.joins = self.joins, []
                for join in joins:
                    await self.answer_join(join)
                asyncio.create_task(self.go_when_seated())
            elif kind == "ignored":
                logger.info("server game %s: input ignored (%s): %s", self.game_id, message["seat"], message["reason"])
            elif kind == "finished":
                await self.finish()
            elif kind in ("error", "gone"):
                await self.crash(message.get("message") or _gone(self.process))
        await self.writes.join()  # every row taken is stored before the host goes

    async def on_started(self, message: dict) -> None:
        self.episode, self.frame = message["episode"], -1
        self.screen = Screen()
        self.screen.apply(message["render"])
        self.hud = message["hud"]
        await self.writes.put(("start", self.episode, message["reset"]))
        await self.broadcast(
            {
                "type": protocol.STARTED,
                "episode": self.episode,
                "seed": message["seed"],
                "countdown_s": self.plan["netcode"]["countdown_s"],
                "render": self.screen.full(),
                "hud": self.hud,
                "assets": self.assets,
            }
        )

    async def on_frame(self, message: dict) -> None:
        row = message["row"]
        self.frame, self.hud = row["frame"], message["hud"]
        self.screen.apply(message["render"])
        self.frame_times.append(message["at"])
        self.lateness.append(message["late_ms"])
        self.rows.append(row)
        for agent in self.hidden:
            self.hidden_frames.setdefault(agent, []).append(row["frame"])
        await self.layer.group_send(self.group, {"type": protocol.GROUP_TEXT, "text": message["text"]})
        if message["over"] or len(self.rows) >= FLUSH_EVERY:
            await self.flush(final=message["over"])

    async def flush(self, final: bool = False) -> None:
        rows, hidden = self.rows, self.hidden_frames
        self.rows, self.hidden_frames = [], {}
        if rows or final:
            await self.writes.put(("rows", rows, hidden, final))

    async def writer(self) -> None:
        """The database writes, one after the other and in order, off the frame path."""
        for _ in range(10**9):
            job = await self.writes.get()
            try:
                if job[0] == "start":
                    self.records = await db(_episode_start)(game_id=self.game_id, episode=job[1], reset=job[2])
                else:
                    await db(services.server_rows_store)(
                        game_id=self.game_id, records=dict(self.records), rows=job[1], hidden=job[2], final=job[3]
                    )
            except Exception:
                logger.exception("server game %s: could not store %s", self.game_id, job[0])
            finally:
                self.writes.task_done()

    async def go_when_seated(self) -> None:
        deadline = time.monotonic() + SEATED_WAIT_S
        while self.absent and time.monotonic() < deadline and not self.stopping:
            await asyncio.sleep(0.1)
        self.process.send({"type": "go"})
        self.playing = True

    async def inbox(self) -> None:
        """Messages from the seats' sockets (in any process): inputs, joins and presence."""
        for _ in range(10**9):
            event = await self.layer.receive(self.channel)
            kind = event.get("type")
            if kind == protocol.HOST_INPUT:
                self.process.send_input(event["agent"], event["input"])
            elif kind == protocol.HOST_JOIN:
                if self.ready:
                    await self.answer_join(event)
                else:
                    self.joins.append(event)
            elif kind == protocol.HOST_PRESENCE:
                await self.on_presence(event["agent"], event["state"])
            elif kind == protocol.HOST_DROPPED and event["agent"] in self.plan["seats"]:
                await self.apply_drop(event["agent"], event["messages"])  # its record was closed by staff

    async def answer_join(self, event: dict) -> None:
        await self.layer.send(event["reply"], {"type": protocol.GROUP_EVENT, "message": self.welcome(event)})

    def welcome(self, event: dict) -> dict:
        return {
            "type": protocol.WELCOME,
            "seat": event["agent"],
            "players": self.plan["players"],
            "episode": self.episode,
            "frame": self.frame,
            "render": self.screen.full(),
            "hud": self.hud,
            "assets": self.assets,
            "paused": self.paused,
        }

    async def on_presence(self, agent: str, state: str) -> None:
        if state == "here":
            self.hidden.discard(agent)
            self.absent.pop(agent, None)
        else:
            self.hidden.add(agent)  # hidden or away: rows are stamped unfocused for this participant
            self.absent.setdefault(agent, time.monotonic())
            self.process.send_input(agent, {"frame": 0, "held": [], "presses": []})  # released keys
        await self.pause_if_waiting()

    async def pause_if_waiting(self) -> None:
        """WaitForReturn (and a game played alone): the game stands still while someone is away."""
        if self.plan["netcode"]["on_dropout"] != "wait" or not self.playing:
            return
        waiting = sorted(a for a in self.absent if a in self.plan["seats"])
        if bool(waiting) != self.paused:
            self.paused = bool(waiting)
            self.process.send({"type": "pause" if self.paused else "resume"})
            await self.broadcast({"type": protocol.PAUSED, "paused": self.paused, "waiting": waiting})

    async def beat(self) -> None:
        """Once a second: tell the database this host is alive (with the achieved rate), apply dropouts."""
        for _ in range(10**9):
            await asyncio.sleep(BEAT_S)
            seats = await db(services.server_host_beat)(game_id=self.game_id, host=self.channel, stats=self.stats())
            if seats is None:  # the game ended elsewhere, or another host took over
                self.stop()
                return
            await self.apply_dropouts(seats)

    async def apply_dropouts(self, seats: dict[str, dict]) -> None:
        netcode, now = self.plan["netcode"], time.monotonic()
        if netcode["on_dropout"] == "wait":
            if self.absent and all(now - since > ALONE_EXIT_S for since in self.absent.values()):
                await db(services.server_host_release)(game_id=self.game_id, host=self.channel)
                self.stop()
            return
        for agent, since in list(self.absent.items()):
            if agent in self.plan["seats"] and now - since > netcode["dropout_s"] and self.playing:
                await self.drop(agent)

    async def drop(self, agent: str) -> None:
        await self.flush()
        await self.writes.join()  # the rows up to now are stored before the seat's records close
        messages = await db(_seat_drop)(game_id=self.game_id, agent=agent, frame=self.frame + 1)
        await self.apply_drop(agent, messages)

    async def apply_drop(self, agent: str, messages: list[dict]) -> None:
        """The seat is dropped in the database: a policy plays it from the next frame, or the game ends."""
        self.plan["seats"].remove(agent)
        self.records.pop(agent, None)  # the dropped participant's record is closed; the others' go on
        self.absent.pop(agent, None)
        for message in messages:
            if message["type"] == "replaced":
                self.process.send({"type": "replace", "seat": agent, "policy": message["policy"]})
                await self.broadcast({"type": protocol.PLAYER, "player": agent, "state": "replaced"})
            elif message["type"] == "end":
                await self.broadcast({"type": protocol.END, "reason": message["reason"], "next": self.next_url()})
                self.stop()

    async def finish(self) -> None:
        await self.flush()
        await self.writes.join()
        await db(services.server_game_finish)(game_id=self.game_id)
        await self.broadcast({"type": protocol.FINISHED, "next": self.next_url()})
        self.stopping = True

    async def crash(self, message: str) -> None:
        logger.warning("server game %s: the env stopped: %s", self.game_id, message[-500:])
        await self.flush()
        await self.writes.join()
        await db(_crash)(game_id=self.game_id, message=message)
        await self.broadcast({"type": protocol.END, "reason": "runtime_error", "next": self.next_url()})
        self.stopping = True

    def next_url(self) -> str:
        return reverse("experiments:flow", kwargs={"slug": self.plan["slug"]})

    def stats(self) -> dict[str, Any]:
        """The achieved frame rate over the last seconds and how late frames ran."""
        times, late = self.frame_times[-90:], sorted(self.lateness[-90:])
        self.frame_times, self.lateness = self.frame_times[-90:], self.lateness[-90:]
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
        p95 = late[int(0.95 * (len(late) - 1))] if late else 0.0
        return {"fps": round(fps, 2), "late_p95_ms": round(p95, 2), "frame": self.frame, "episode": self.episode}

    async def broadcast(self, message: dict) -> None:
        await self.layer.group_send(self.group, {"type": protocol.GROUP_EVENT, "message": message})


def _pipe_reader(conn) -> asyncio.Queue:
    """The game process's messages as an asyncio queue (the pipe is watched by the event loop, no thread)."""
    loop, queue = asyncio.get_running_loop(), asyncio.Queue()

    def readable() -> None:
        try:
            while conn.poll():
                queue.put_nowait(conn.recv())
        except (EOFError, OSError):
            loop.remove_reader(conn.fileno())
            queue.put_nowait({"type": "gone"})

    loop.add_reader(conn.fileno(), readable)
    return queue


def _gone(process: GameProcess) -> str:
    return f"the game process stopped unexpectedly (exit code {process.process.exitcode})"


def _episode_start(*, game_id: int, episode: int, reset: dict) -> dict[str, int]:
    _, scene = game_scene_by_id(game_id)
    return services.server_episode_start(game_id=game_id, episode=episode, scene=scene, reset=reset)


def _crash(*, game_id: int, message: str) -> None:
    definition, _ = game_scene_by_id(game_id)
    services.server_game_crash(game_id=game_id, message=message, definition=definition)


def _seat_drop(*, game_id: int, agent: str, frame: int) -> list[dict]:
    definition, _ = game_scene_by_id(game_id)
    return services.server_seat_drop(game_id=game_id, agent=agent, frame=frame, definition=definition)
