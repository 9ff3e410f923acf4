"""The game relay over a real Channels stack (communicators): seats from the cookie, the first write wins, acks,
bad input refused with nothing stored, episode ends stamped by the server, desyncs recorded, reconnects
resynced from the log, and the dropout policies (end for all, replace with an AI) with their outcomes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.utils import timezone

from experiments.definition import registry
from experiments.gamedata.models import VERIFIED, Episode
from matchmaking.models import MatchMember
from netcode.models import Game, GameEvent, GameInput, GameSeat
from testkit.gameclient_ws import GameClient, SocketClock, matched
from testkit.roomclient import participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    return async_to_sync(scenario)()


def group(slug: str, scene_key: str, pids: tuple[str, ...]) -> list[str]:
    """Match these participants; their cookies in seat order (the first pid gets the first seat's cookie)."""
    cookies = {pid: participant_cookie(slug, pid) for pid in pids}

    async def match():
        await matched(slug, list(cookies.values()), scene_key)

    run(match)
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))
    return [cookies[pid] for pid in sorted(pids, key=lambda pid: seats[pid])]


def status_by_seat() -> dict[str, str]:
    return dict(MatchMember.objects.values_list("agent", "participant__status"))


def pair(*pids: str) -> list[str]:
    return group("net-relay", "pair", pids)


def test_the_seat_comes_from_the_cookie_and_the_welcome_has_the_game():
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            return await a.hello(), await b.hello()

    first, second = run(scenario)
    game = Game.objects.get()
    scene = registry.get_experiment("net-relay").scene("pair")
    assert (first["seat"], second["seat"]) == ("chaser", "runner")
    assert first["players"] == ["chaser", "runner"] and first["episode"] == 0
    assert first["seed"] == game.seeds[0] == scene.seeds(game.match.seed)[0]
    assert first["netcode"] == {"input_delay": 2, "window": 8, "predict": "repeat", "lagging_s": 0.5}
    assert first["inputs"] == [] and first["ack"] == 1
    # Every seat's record of the first episode exists, with the server's seed.
    assert sorted(Episode.objects.values_list("index", "seed")) == [(0, game.seeds[0]), (0, game.seeds[0])]


def test_strangers_and_unmatched_participants_get_no_seat():
    loner = participant_cookie("net-relay", "loner")

    async def scenario():
        replies = []
        for cookie in (None, "forged", loner):
            async with GameClient("net-relay", cookie) as client:
                await client.send({"type": "hello", "scene_key": "pair"})
                replies.append(await client.expect("error"))
        return replies

    replies = run(scenario)
    assert [r["message"] for r in replies] == [
        "this browser has no place in this study; open the study link first",
        "this browser has no place in this study; open the study link first",
        "you are not in a group for this game",
    ]
    assert not Game.objects.exists()


def test_the_first_input_for_a_frame_wins_and_is_forwarded_once_with_an_ack():
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            await a.hello()
            await b.hello()
            await a.inputs(0, 0, [[2, 1], [3, 4]])
            forwarded = await b.expect("inputs")
            ack = await a.expect("ack")
            await a.inputs(0, 1, [[2, 3], [3, 4]])  # a resend, with a changed action for frame 2
            again = await a.expect("ack")
            quiet = await b.idle(0.3)
            return forwarded, ack, again, quiet

    forwarded, ack, again, quiet = run(scenario)
    assert forwarded["player"] == "chaser" and forwarded["inputs"] == [[2, 1], [3, 4]]
    assert ack["ack"] == 3 and again["ack"] == 3
    assert [m for m in quiet if m["type"] == "inputs"] == []  # nothing new to forward
    assert list(GameInput.objects.values_list("agent", "frame", "action")) == [("chaser", 2, 1), ("chaser", 3, 4)]


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ([[500, 1]], "frame 500 is too far ahead of the confirmed frame 1"),
        ([[1, 1]], "frame 1 is not a frame of this game"),
        ([[True, 1]], "frame True is not a frame of this game"),
        ([[2, 9]], "action 9 is not one of this game's actions"),
        ([[2, "up"]], "action 'up' is not one of this game's actions"),
        ([[2]], "each input must be [frame, action]"),
        ("lots", "inputs must be a list of at most 64 [frame, action] pairs"),
        ([[f, 1] for f in range(2, 70)], "inputs must be a list of at most 64 [frame, action] pairs"),
    ],
)
def test_bad_inputs_get_a_clear_error_and_store_nothing(inputs, error):
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a:
            await a.hello()
            await a.inputs(0, 0, inputs)
            return await a.expect("error")

    assert run(scenario)["message"] == error
    assert not GameInput.objects.exists()


def test_a_flood_is_cut_off_and_the_game_goes_on(monkeypatch):
    chaser, runner = pair("ann", "ben")
    clock = SocketClock(monkeypatch)  # the flood limit's seconds pass only when this test says so

    async def scenario():
        async with GameClient("net-relay", chaser) as a:
            await a.hello()
            clock.advance(1.0)  # the flood starts a second of its own
            read = clock.read
            for _ in range(400):
                await a.send({"type": "ping", "id": 1})
            await clock.until_read(read + 400)  # all 400 within one second
            pongs = [m for m in await a.idle(0.2) if m["type"] == "pong"]
            clock.advance(1.0)  # the next second
            await a.inputs(0, 0, [[2, 1]])
            return pongs, await a.expect("ack")

    pongs, ack = run(scenario)
    assert len(pongs) == 150 and ack["ack"] == 2


def test_the_server_times_round_trips_itself_and_keeps_the_browsers_play_figures(monkeypatch):
    chaser, runner = pair("ann", "ben")
    clock = SocketClock(monkeypatch)  # the socket's clock: only this test moves it (the machine's load cannot)

    async def handled(a, message: dict) -> None:
        """Send, then wait until the socket has handled it (it answers a ping after it, in order)."""
        await a.send(message)
        await a.send({"type": "ping", "id": "handled"})
        while (await a.expect("pong"))["id"] != "handled":
            pass

    async def scenario():
        async with GameClient("net-relay", chaser) as a:
            await a.hello()
            probe = await a.expect("probe")
            await handled(a, {"type": "probe", "id": probe["id"] + 1000, "stats": {"fps": 1}})  # forged: never sent
            clock.advance(0.25)  # the answer takes 250 ms
            stats = {"fps": 29.5, "rollbacks": 3, "frame": "x", "evil": "<b>", "replayed": -4}
            await handled(a, {"type": "probe", "id": probe["id"], "stats": stats})
            clock.advance(1.0)
            await handled(a, {"type": "probe", "id": probe["id"], "stats": {"fps": 2}})  # answered twice: once timed

    run(scenario)
    seat = GameSeat.objects.values("rtt_ms", "rtt_at", "client_stats").get(agent="chaser")
    assert seat["rtt_ms"] == 250.0 and seat["rtt_at"] is not None
    assert seat["client_stats"] == {"fps": 29.5, "rollbacks": 3}  # only known figures, in range


def play_episode(a, b, frames: int, checksums=("aa", "aa")):
    """Both seats send inputs for frames 2..frames-1 and report the same end."""

    async def steps():
        await a.inputs(0, 0, [[f, 1] for f in range(2, frames)])
        await b.inputs(0, 0, [[f, 2] for f in range(2, frames)])
        await a.expect("ack")
        await b.expect_all("inputs", "ack")  # the partner's inputs and this seat's own ack, in either order
        await a.send({"type": "done", "episode": 0, "frames": frames, "checksum": checksums[0]})
        await b.send({"type": "done", "episode": 0, "frames": frames, "checksum": checksums[1]})

    return steps()


def test_the_server_stamps_the_episode_end_and_starts_the_next_one():
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            await a.hello()
            await b.hello()
            await a.send({"type": "done", "episode": 0, "frames": 20, "checksum": "aa"})
            early = await a.expect("error")  # nothing of frames 2..19 has reached the relay
            await play_episode(a, b, 20)
            return early, await a.expect("episode"), await b.expect("episode")

    early, next_a, next_b = run(scenario)
    game = Game.objects.get()
    assert early["message"] == "frame 19 is not confirmed by the relay yet"
    assert next_a == next_b == {"type": "episode", "episode": 1, "seed": game.seeds[1]}
    end = GameEvent.objects.get(kind="episode_end")
    assert (end.episode, end.frame) == (0, 19)
    assert game.episode == 1 and set(GameSeat.objects.values_list("acked", flat=True)) == {1}
    assert Episode.objects.filter(index=1).count() == 2


def test_different_final_checksums_are_recorded_as_a_desync():
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            await a.hello()
            await b.hello()
            await play_episode(a, b, 12, checksums=("aa", "bb"))
            return await a.expect("desync")

    assert run(scenario)["frame"] == 11
    event = GameEvent.objects.get(kind="desync")
    assert event.detail["ends"] == {"chaser": [12, "aa"], "runner": [12, "bb"]}
    # The relay witnessed the inputs and the end: the episode counts for both (the players are not stranded), and the
    # disagreement is on the record for staff.
    ended = Episode.objects.filter(index=0)
    assert ended.count() == 2
    assert all(e.verification == VERIFIED and e.verification_report["agreed"] is False for e in ended)


def test_exchanged_checksums_that_differ_are_a_desync():
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            await a.hello()
            await b.hello()
            await a.inputs(0, 0, [[2, 1]], checksums=[[0, "aaaa"]])
            await a.expect("ack")
            await b.inputs(0, 0, [[2, 1]], checksums=[[0, "bbbb"]])
            return await b.expect("desync")

    assert run(scenario)["frame"] == 0
    assert GameEvent.objects.filter(kind="desync", frame=0).count() == 1
    # Tag keeps no get_state(): its state cannot be sent, so the referee records the desync as unresolved.
    assert GameEvent.objects.get(kind="desync_unresolved").detail["reason"] == "the env has no get_state()"


def test_the_referee_sends_its_state_to_the_seat_that_diverged():
    from asgiref.sync import sync_to_async

    from netcode.replay import game_checkpoint

    cookies = group("net-trio", "gather3", ("p0", "p1", "p2"))
    scene = registry.get_experiment("net-trio").scene("gather3")

    async def scenario():
        clients = [GameClient("net-trio", cookie) for cookie in cookies]
        for client in clients:
            await client.__aenter__()
            await client.hello("gather3")
        for index, client in enumerate(clients):
            await client.inputs(0, 0, [[f, 1 + index] for f in range(2, 14)])
            await client.expect("ack")
        game = await sync_to_async(Game.objects.get)()
        right = (await sync_to_async(game_checkpoint)(game=game, episode=0, frame=10, scene=scene))["checksum"]
        await clients[0].inputs(0, 12, [], checksums=[[10, right]])
        await clients[2].inputs(0, 12, [], checksums=[[10, right]])
        await clients[1].inputs(0, 12, [], checksums=[[10, "0badc0ffee000000"]])
        assert (await clients[1].expect("desync"))["frame"] == 10
        resync = await clients[1].expect("resync")
        others = [m["type"] for m in await clients[0].idle(0.3)]  # a desync notice, but no state
        for client in clients:
            await client.__aexit__()
        return right, resync, others

    right, resync, others = run(scenario)
    assert resync["player"] == "player_1" and resync["frame"] == 10 and resync["checksum"] == right
    assert set(resync) >= {"env", "scores", "observations", "over"}
    assert "resync" not in others  # only the diverged seat gets the state
    event = GameEvent.objects.get(kind="resync")
    assert (event.agent, event.frame, event.detail["referee"]) == ("player_1", 10, right)


def test_a_reconnect_is_resynced_from_the_log():
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a:
            await a.hello()
            async with GameClient("net-relay", runner) as b:
                await b.hello()
                await b.inputs(0, 0, [[2, 3], [3, 3]])
                await b.expect("ack")
            await a.inputs(0, 0, [[2, 1]])
            await a.expect("ack")
            async with GameClient("net-relay", runner) as b:  # the page reloaded
                return await b.hello()

    welcome = run(scenario)
    assert welcome["inputs"] == [["chaser", 2, 1], ["runner", 2, 3], ["runner", 3, 3]]
    assert welcome["ack"] == 3 and welcome["states"]["runner"] == "here"
    kinds = list(GameEvent.objects.values_list("kind", "agent"))
    assert ("disconnected", "runner") in kinds and ("rejoin", "runner") in kinds


async def kept_alive_until(client: GameClient, kind: str, alive: list[GameClient], timeout: float = 90.0) -> dict:
    """The first `kind` message to `client`, while every socket in `alive` pings twice a second (a socket that says
    nothing is gone too); a generous deadline: the server's dropout timer decides when, not this test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for socket in alive:
            await socket.send({"type": "ping", "id": 1})
        pinged_at = loop.time()
        while (message := await client.next_message(pinged_at + 0.5)) is not None:
            if message["type"] == kind:
                return message
    raise AssertionError(f"no {kind!r} within {timeout} s")


def absent_for(agent: str, seconds: float) -> bool:
    """Move an away seat's stored absence back in time (the server's own clock is not raced); False while the
    server has not yet marked it away."""
    earlier = timezone.now() - timedelta(seconds=seconds)
    away = GameSeat.objects.filter(agent=agent, absent_since__isnull=False)
    return bool(away.update(absent_since=earlier, last_seen=earlier))


async def gone_past_the_timeout(agent: str) -> None:
    """The seat has been away longer than the fixtures' dropout timeout (3 s)."""
    while not await database_sync_to_async(absent_for)(agent, 10):
        await asyncio.sleep(0.05)


def test_a_partner_gone_past_the_timeout_ends_the_game_with_the_dropout_outcomes():
    chaser, runner = group("net-pair", "pair", ("ann", "ben"))

    async def scenario():
        async with GameClient("net-pair", chaser) as a:
            await a.hello()
            async with GameClient("net-pair", runner) as b:
                await b.hello()
                await b.inputs(0, 0, [[2, 3]])
                await b.expect("ack")
            away = await a.expect("player")
            while away["state"] == "here":  # the seats' own arrivals come first
                away = await a.expect("player")
            await gone_past_the_timeout("runner")
            return away, await kept_alive_until(a, "end", [a])

    away, end = run(scenario)
    assert away == {"type": "player", "player": "runner", "state": "away"}
    assert end["reason"] == "partner_dropped" and end["next"] == "/x/net-pair/flow/"
    assert status_by_seat() == {"chaser": "partner_dropped", "runner": "dropped_out"}
    assert Game.objects.get().status == "ended"
    dropout = GameEvent.objects.get(kind="dropout")
    assert (dropout.agent, dropout.frame) == ("runner", 3)  # the first frame without the runner's input
    assert set(Episode.objects.values_list("status", flat=True)) == {"interrupted"}
    chaser_participant = MatchMember.objects.get(agent="chaser").participant
    assert chaser_participant.completion_code.outcome == "partner_dropped"


def test_a_dropped_player_is_replaced_by_the_ai_from_the_frame_the_relay_stops_at():
    cookies = group("net-trio", "gather3", ("p0", "p1", "p2"))

    async def scenario():
        clients = [GameClient("net-trio", cookie) for cookie in cookies]
        for client in clients[:2]:
            await client.__aenter__()
            await client.hello("gather3")
        async with clients[2] as leaver:
            await leaver.hello("gather3")
            await leaver.inputs(0, 0, [[2, 1], [3, 1], [4, 1]])
            await leaver.expect("ack")
        await gone_past_the_timeout("player_2")
        replaced = await kept_alive_until(clients[0], "replaced", clients[:2])
        async with GameClient("net-trio", cookies[2]) as back:
            await back.send({"type": "hello", "scene_key": "gather3"})
            refused = await back.expect("end")  # the game is over for them: their page goes to their ending
        for client in clients[:2]:  # close every socket: a consumer left open keeps sweeping into the next test
            await client.__aexit__()
        return replaced, refused, None

    replaced, refused, _ = run(scenario)
    seat = GameSeat.objects.get(agent="player_2")
    assert replaced == {"type": "replaced", "player": "player_2", "from_frame": 5, "policy": {"kind": "random"}}
    assert seat.status == "dropped" and seat.replaced_from == 5
    assert refused["message"] == "this study has ended for you" and refused["next"] == "/x/net-trio/flow/"
    assert status_by_seat() == {"player_0": "active", "player_1": "active", "player_2": "dropped_out"}
    assert Game.objects.get().status == "playing"


def test_the_admin_shows_games_with_seats_events_and_inputs(researcher_client):
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            await a.hello()
            await b.hello()
            await a.send({"type": "presence", "hidden": True})
            await a.inputs(0, 0, [[2, 4]])
            await a.expect("ack")

    run(scenario)
    games = researcher_client.get("/admin/netcode/game/").content.decode()
    assert "chaser: ann" in games or "chaser: ben" in games
    game = Game.objects.get()
    page = researcher_client.get(f"/admin/netcode/game/{game.pk}/change/").content.decode()
    assert "hidden" in page and "disconnected" in page
    inputs = researcher_client.get("/admin/netcode/gameinput/").content.decode()
    assert "chaser" in inputs
    assert researcher_client.post(f"/admin/netcode/game/{game.pk}/delete/").status_code == 403


def test_a_stalled_browser_gets_the_inputs_it_lacks_from_the_log():
    """A forwarded message that never arrived (a full or dropped channel) must not stall the game for good: the
    browser asks for the log after its confirmed frame."""
    chaser, runner = pair("ann", "ben")

    async def scenario():
        async with GameClient("net-relay", chaser) as a, GameClient("net-relay", runner) as b:
            await a.hello()
            await b.hello()
            await a.inputs(0, 0, [[2, 1], [3, 4]])
            await a.expect("ack")
            await b.send({"type": "sync", "episode": 0, "after": 2})
            log = await b.expect("input_log")
            for bad in ({"episode": 7, "after": 1}, {"episode": 0, "after": "x"}, {"episode": 0}):
                await b.send({"type": "sync", **bad})
            quiet = await b.idle(0.3)
            return log, quiet

    log, quiet = run(scenario)
    assert log["episode"] == 0 and log["inputs"] == [["chaser", 3, 4]]
    assert log["states"] == {"chaser": "here", "runner": "here"}  # every seat's state, for the start barrier
    assert not [m for m in quiet if m["type"] == "input_log"]
