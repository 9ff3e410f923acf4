"""Groups of players against a real Daphne, reconnecting, uploading and disturbed (restarts, cuts), and the check
that nothing acknowledged was lost."""

from __future__ import annotations

import asyncio
import contextlib
import json

import websockets
from asgiref.sync import async_to_sync

from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession
from testkit.participants import Browser, code_of, runtime_of, scene_of
from testkit.wsclient import match_group
from testkit.wsgame import WsGamePlayer

SLUG = "net-reliable"  # Gather for two: two episodes of 240 frames, dropout after 30 s away


ROWS_PER_CHUNK = 60


PERMANENT = {400, 403, 409, 413}  # the page's uploader drops a chunk refused with these; anything else is retried


class _Link:
    """The socket of the moment: a send while disconnected is dropped, as the browser's NetClient drops it."""

    socket = None

    async def send(self, text: str) -> None:
        if self.socket is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self.socket.send(text)


class ReconnectingPlayer(WsGamePlayer):
    """WsGamePlayer that behaves like the browser's NetClient when its socket drops: it reconnects with backoff
    (250 ms doubling to 4 s), says hello again, feeds the welcome's log into the running session and sends every
    unacknowledged input again (and its episode's end, if it had reached it). It pings every second like the page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.socket = _Link()
        self.reconnects = 0
        self.meta: dict[int, dict] = {}
        self.played: dict[int, dict[int, object]] = {}  # episode -> frame -> this seat's own input
        # The game's host process, as the browser's HostRoute follows it (frontend/.../shared/socket.js): its
        # /x/<study>/w/<host>/ws/ route, any process after FALLBACK_AFTER failed connections there (the hello names
        # it `down`), and wherever a MOVED message says.
        self.base_url, self.path = self.url.split("/x/", 1)[0], "/x/" + self.url.split("/x/", 1)[1]
        self.host, self.down, self.failures = "", "", 0
        self.routes: list[str] = []  # the host of each connection that opened ("" for any process)
        self.served: list[str] = []  # the process named by each welcome

    async def play(self, timeout: float = 120.0) -> ReconnectingPlayer:
        connection = asyncio.create_task(self._stay_connected())
        try:
            async with asyncio.timeout(timeout):
                await self._run_clock()
        finally:
            connection.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connection
        return self

    def _route_url(self) -> str:
        if not self.host or self.down:
            return self.base_url + self.path
        study, rest = self.path.split("/ws/", 1)
        return f"{self.base_url}{study}/w/{self.host}/ws/{rest}"

    async def _stay_connected(self) -> None:
        delay = 0.25
        while not self.finished.is_set():
            opened, self.moved = False, False
            url = self._route_url()
            with contextlib.suppress(OSError, TimeoutError, websockets.WebSocketException):
                async with websockets.connect(url, additional_headers=self.headers, open_timeout=5) as socket:
                    opened, delay, self.failures = True, 0.25, 0
                    self.routes.append("" if self.down else self.host)
                    self.socket.socket = socket
                    hello = {"type": "hello", "scene_key": self.scene_key}
                    await socket.send(json.dumps({**hello, "down": self.down} if self.down else hello))
                    pinger = asyncio.create_task(self._ping(socket))
                    try:
                        async for text in socket:
                            await self._handle(json.loads(text))
                            if self.moved:
                                break
                    finally:
                        pinger.cancel()
            self.socket.socket = None
            if self.finished.is_set():
                return
            self.reconnects += 1
            if not opened and self.host and not self.down:
                self.failures += 1
                if self.failures >= 3:
                    self.down = self.host  # the host is unreachable: any process, which takes the game over
            if self.moved:
                continue  # at once, to the host it named
            await asyncio.sleep(delay)
            delay = min(delay * 2, 4.0)

    async def _ping(self, socket) -> None:
        for number in range(10**6):
            await socket.send(json.dumps({"type": "ping", "id": number}))
            await asyncio.sleep(1)

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        self.messages.append(kind)
        if kind == "welcome":
            if "host" in message:  # the process serving the game (routed by worker): where to reconnect
                self.host, self.down = message["host"], ""
                self.served.append(message["host"])
            if self.net is None:
                loop = GameLoop(LoopConfig.from_dict(self.config))
                netcode = message["netcode"]
                self.net = NetSession(
                    loop, message["players"], message["seat"], netcode["input_delay"], netcode["window"]
                )
            if message["episode"] != self.episode:
                self._begin(message["episode"], message["seed"])
            elif self.done is not None:  # the end may not have reached the relay before the socket dropped
                await self.socket.send(json.dumps(self.done))
            self.news["inputs"] += message["inputs"]
            self.news["replaced"] += message["replaced"]
            self.news["ack"] = max(self.news["ack"], message["ack"])
            self.news["resend"] = True  # a new socket: whatever the relay has not acknowledged goes again
        elif kind == "episode":
            self._begin(message["episode"], message["seed"])
        elif kind == "inputs" and message["episode"] == self.episode:
            self.news["inputs"] += [[message["player"], f, a] for f, a in message["inputs"]]
            self.news["remote_frames"][message["player"]] = message["frame"]
        elif kind == "input_log" and message["episode"] == self.episode:
            self.news["inputs"] += message["inputs"]
        elif kind == "ack" and message.get("episode") == self.episode:
            self.news["ack"] = max(self.news["ack"], message["ack"])
        elif kind == "replaced":
            self.news["replaced"].append([message["player"], message["from_frame"], message["policy"]])
        elif kind == "probe":
            await self.socket.send(json.dumps({"type": "probe", "id": message["id"], "stats": {}}))
        elif kind in ("finished", "end"):
            self.finished.set()
        elif kind == "moved":
            self.host, self.down, self.failures, self.moved = message["host"], "", 0, True

    def _begin(self, episode: int, seed: int) -> None:
        if self.episode is not None:  # what this seat played in the episode that ended
            self.played[self.episode] = dict(self.net.session.inputs[self.net.local])
        started = self.net.start(episode, seed)
        self.meta[episode] = {"seed": seed, "runtime": {"python": "headless"}, "reset": started["reset"]}
        self.episode = episode
        self.news = {"inputs": [], "replaced": self.news["replaced"], "ack": -1, "remote_frames": {}}
        self.rows[episode] = []
        self.done = None
        self.started.set()

    def frame_in(self, episode: int) -> int:
        return self.net.session.frame if self.net and self.episode == episode else -1

    def episode_over(self, episode: int) -> bool:
        return episode < self.episode or (episode == self.episode and self.done is not None)


class RowUploader:
    """The page's uploader: confirmed rows sealed into chunks of 60 numbered within their episode, sent in order, each
    sent again with backoff (0.5 s doubling to 8 s) until acknowledged: a restarting server or a lost network only
    delays them."""

    def __init__(self, browser: Browser, config: dict, player: ReconnectingPlayer) -> None:
        self.browser, self.config, self.player = browser, config, player
        self.sealed: dict[int, int] = {}  # episode -> rows sealed
        self.numbers: dict[int, int] = {}
        self.finals: set[int] = set()
        self.pending: list[dict] = []
        self.refused: list[str] = []
        self.retried: list[int] = []

    def seal(self) -> None:
        for episode, rows in sorted(self.player.rows.items()):
            over = self.player.episode_over(episode)
            while episode not in self.finals:
                first = self.sealed.get(episode, 0)
                part = rows[first : first + ROWS_PER_CHUNK]
                final = over and first + len(part) == len(rows)
                if len(part) < ROWS_PER_CHUNK and not final:
                    break
                number = self.numbers.get(episode, 0)
                chunk = {
                    "scene_key": self.config["scene_key"],
                    "episode": episode,
                    "number": number,
                    "first_frame": first,
                    "final": final,
                    "rows": part,
                }
                if number == 0:
                    chunk["meta"] = {**self.player.meta[episode], "netcode": self.config["netcode"]}
                self.pending.append(chunk)
                self.sealed[episode], self.numbers[episode] = first + len(part), number + 1
                if final:
                    self.finals.add(episode)

    def _send(self, chunk: dict) -> int:
        try:
            response = self.browser.post_json(self.config["data_url"], chunk)
        except OSError:
            return 0  # offline or the server is restarting: retry
        if response.status in PERMANENT:
            self.refused.append(f"{response.status} {response.text[:200]}")
        elif response.status != 200:
            self.retried.append(response.status)  # e.g. while the server shuts down: sent again
        return response.status

    async def run(self, episodes: int, timeout: float = 120.0) -> None:
        """Upload until every episode's final chunk is acknowledged."""
        delay = 0.5
        async with asyncio.timeout(timeout):
            while len(self.finals) < episodes or self.pending:
                self.seal()
                if not self.pending:
                    await asyncio.sleep(0.5)
                    continue
                status = await asyncio.to_thread(self._send, self.pending[0])
                if status == 200 or status in PERMANENT:
                    self.pending.pop(0)
                    delay = 0.5
                else:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 8.0)


class Member:
    """One participant of the group game: their browser (HTTP), player (relay) and uploader."""

    def __init__(self, base_url: str, pid: str, seed: int, slug: str = SLUG, scene_key: str = "pair") -> None:
        self.pid, self.base_url, self.seed, self.slug, self.scene_key = pid, base_url, seed, slug, scene_key
        self.browser = Browser(base_url, timeout=30)
        self.code = self.code_again = None

    def enter(self) -> None:
        page = self.browser.enter(self.slug, {"PROLIFIC_PID": self.pid})
        assert page.status == 200 and scene_of(page) == self.scene_key, (page.status, page.text[:300])
        self.config = runtime_of(page)
        self.cookie = self.browser.cookies[f"mug_{self.slug}"]
        loop = self.config["loop"]
        self.player = ReconnectingPlayer(self.base_url, self.slug, self.cookie, self.scene_key, loop, self.seed)
        self.uploader = RowUploader(self.browser, self.config, self.player)

    def finish(self) -> None:
        """As the page does after the game: submit the scene, see the end page and its code; visit it again."""
        end = self.browser.post_form(f"/x/{self.slug}/flow/", {"scene_key": self.scene_key})
        assert end.status == 200, (end.status, end.text[:300])
        self.code = code_of(end)
        self.code_again = code_of(self.browser.get(f"/x/{self.slug}/flow/"))


async def play_group(members: list[Member], disturb, timeout: float = 150.0) -> None:
    """Enter, match, play both episodes while `disturb(members)` runs, upload every row, reach the end page."""
    await asyncio.gather(*(asyncio.to_thread(member.enter) for member in members))
    matched = await match_group([(m.base_url, m.cookie) for m in members], members[0].slug, members[0].scene_key)
    for member, message in zip(members, matched, strict=True):
        member.player.host = message.get("host", "")  # as the page reads it from its "matched" message
    episodes = members[0].config["num_episodes"]
    tasks = [m.player.play(timeout) for m in members] + [m.uploader.run(episodes, timeout) for m in members]
    await asyncio.gather(*tasks, disturb(members))
    await asyncio.gather(*(asyncio.to_thread(member.finish) for member in members))


async def until(condition, timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def run(scenario, members: list[Member], tmp_path) -> None:
    try:
        async_to_sync(scenario)()
    except BaseException:
        from netcode.models import GameEvent

        print("\n".join(path.read_text()[-3000:] for path in tmp_path.glob("daphne-*.log")))
        print(list(GameEvent.objects.values_list("episode", "frame", "kind", "agent")))
        for m in members:
            player = getattr(m, "player", None)
            if player is not None:
                session = player.net and player.net.session
                where = session and (session.frame, session.confirmed)
                print(
                    m.pid,
                    player.messages[-20:],
                    player.episode,
                    where,
                    player.reconnects,
                    m.uploader.refused,
                    m.uploader.retried,
                )
        raise


def assert_nothing_lost(members: list[Member]) -> None:
    """Every frame's inputs are in the relay's log once and are what the players played; both participants' stored
    rows are identical, each frame once, and equal the server's replay of the log; everyone reached the end page and
    holds one code, the same on a second visit."""
    from django.db.models import Count

    from experiments.definition import registry
    from experiments.flow.models import CompletionCode, Participant
    from experiments.gamedata.models import Episode
    from netcode.models import Game, GameEvent
    from netcode.replay import game_replay, log_inputs, scene_of, stored_rows

    slug, scene_key = members[0].slug, members[0].scene_key
    game = Game.objects.get(seats__participant__external_id=members[0].pid, scene_key=scene_key)
    assert game.status == "finished"
    assert not GameEvent.objects.filter(game=game, kind__in=["desync", "dropout"]).exists()
    seats = list(game.seats.order_by("id"))
    delay = game.netcode["input_delay"]
    for index in range(len(game.seeds)):
        canonical = game_replay(game=game, episode=index, scene=scene_of(game, registry.get_experiment(slug)))
        frames = len(canonical)
        assert GameEvent.objects.get(game=game, episode=index, kind="episode_end").frame == frames - 1
        log = log_inputs(game, index, seats)
        for member in members:
            agent = member.player.net.local
            assert set(range(delay, frames)) <= set(log[agent])  # every frame's input, in the log
            played = member.player.played.get(index, member.player.net.session.inputs[agent])
            assert {f: log[agent][f] for f in range(delay, frames)} == {f: played[f] for f in range(delay, frames)}
            record = Episode.objects.get(participant__external_id=member.pid, scene_key=scene_key, index=index)
            assert record.status == "complete" and record.n_steps == frames
            assert record.steps.aggregate(n=Count("frame"), distinct=Count("frame", distinct=True)) == {
                "n": frames,
                "distinct": frames,
            }
            assert stored_rows(record) == canonical
    for member in members:
        assert member.uploader.refused == []
        participant = Participant.objects.get(external_id=member.pid)
        assert participant.status == "completed"
        codes = list(CompletionCode.objects.filter(participant=participant).values_list("code", flat=True))
        assert codes == [member.code] and member.code_again == member.code
