"""Server-side games over a real Channels stack (communicators) with real game processes: the seat from the cookie,
every frame stored on the server, bad input ignored while the game goes on, a crash ending the game with the error
outcome, a reload repainting the whole screen, dropout policies for groups, and a slow env not slowing others."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from experiments.control.step_exports import step_rows
from experiments.flow.models import Participant
from experiments.gamedata.models import COMPLETE, INTERRUPTED, Episode, Step
from matchmaking.models import MatchMember
from netcode.models import ENDED, FINISHED, Game, GameEvent
from netcode.server.consumers import HOST_CHECK_S
from netcode.server.host import HOSTS
from netcode.server.services import HOST_STALE_S
from testkit.flowhelpers import enter, page
from testkit.gameclient_ws import matched
from testkit.playclient import PlayClient, hosts_done, stop_hosts
from testkit.roomclient import participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    return async_to_sync(scenario)()


def solo(slug: str, pid: str = "sam") -> str:
    return participant_cookie(slug, pid)


def test_a_solo_game_is_stepped_and_stored_on_the_server_and_the_scene_then_completes():
    cookie = solo("server-solo")

    async def scenario():
        async with PlayClient("server-solo", cookie) as browser:
            welcome = await browser.hello()
            started = await browser.expect("started")
            await browser.keys(["ArrowRight"], frame=0, id=7)
            await browser.send({"type": "input", "frame": 0, "held": ["ArrowDown"], "seat": "player_9", "id": 8})
            finished = await browser.expect("finished")
            await hosts_done()
            return welcome, started, finished, browser.frames

    welcome, started, finished, frames = run(scenario)
    assert welcome["seat"] == "player_0" and welcome["players"] == ["player_0"]
    assert started["episode"] == 0 and started["render"]["reset"] and started["render"]["objects"]
    assert finished["next"] == "/x/server-solo/flow/"
    assert [f["frame"] for f in frames if f["episode"] == 0] == list(range(45))
    assert any(f["seen"].get("player_0") == 8 for f in frames)  # the key change reached a frame (and was echoed)
    participant = Participant.objects.get()
    episodes = list(Episode.objects.filter(participant=participant).order_by("index"))
    assert [(e.status, e.n_steps) for e in episodes] == [(COMPLETE, 45), (COMPLETE, 45)]
    assert episodes[0].seed == Game.objects.get().seeds[0] and episodes[0].runtime == {"runs_on": "server"}
    steps = list(Step.objects.filter(episode=episodes[0]).order_by("frame"))
    assert [s.frame for s in steps] == list(range(45))
    assert steps[-1].actions == {"player_0": 2}  # ArrowDown, held by the player's own seat (the "seat" field ignored)
    assert all(b.client_time > a.client_time for a, b in zip(steps, steps[1:], strict=False))
    assert Game.objects.get().status == FINISHED and not HOSTS
    columns, exported = step_rows(Participant.objects.all())
    exported = list(exported)
    assert len(exported) == 90 and {row["action"] for row in exported if row["frame"] == 44} == {2}  # the same export
    client = Client()
    client.cookies["mug_server-solo"] = cookie
    client.post("/x/server-solo/flow/", {"scene_key": "play"})
    assert Participant.objects.get().current_key == "end"  # every episode was stored: the scene completes


def test_bad_input_is_ignored_with_a_reason_and_the_game_goes_on(caplog):
    cookie = solo("server-long")

    async def scenario():
        async with PlayClient("server-long", cookie) as browser, PlayClient("server-long", None) as stranger:
            await stranger.send({"type": "hello", "scene_key": "play"})
            refused = await stranger.expect("error")
            await browser.send({"type": "input", "held": ["ArrowUp"]})
            before_hello = await browser.expect("error")
            await browser.hello()
            await browser.expect("started")  # the welcome waits for the env, so the episode may start at once
            await browser.send("not json")
            errors = [await browser.expect("error")]
            await browser.send({"type": "teleport"})
            errors.append(await browser.expect("error"))
            for bad in (
                {"frame": 10_000, "held": ["ArrowUp"]},
                {"frame": 0, "held": ["Escape"]},
                {"frame": 0, "held": "ArrowUp"},
                {"frame": "soon", "held": []},
                {"frame": 0, "held": ["ArrowUp"] * 40},
            ):
                await browser.send({"type": "input", **bad})
            for _ in range(300):  # a flood: the socket drops what is over its limit, the game goes on
                await browser.keys(["ArrowUp"], frame=0)
            finished = await browser.expect("finished")
            await hosts_done()
            return refused, before_hello, errors, finished

    refused, before_hello, errors, finished = run(scenario)
    assert "no place in this study" in refused["message"] and before_hello["message"] == "say hello first"
    assert [e["message"] for e in errors] == ["messages must be JSON objects", "unknown message type 'teleport'"]
    steps = Step.objects.filter(episode__participant__external_id="sam").order_by("frame")
    assert steps.count() == 90 and finished["type"] == "finished"
    assert {tuple(s.actions.values()) for s in steps} <= {(0,), (1,)}  # only the valid "ArrowUp" ever moved anyone
    reasons = " ".join(r.getMessage() for r in caplog.records if "input ignored" in r.getMessage())
    assert "not a frame this game is near" in reasons and "keys this game does not use" in reasons
    assert "flooded" in caplog.text


def test_a_crashing_env_ends_the_game_with_the_error_outcome_and_frees_the_process():
    cookie = solo("server-crash")

    async def scenario():
        async with PlayClient("server-crash", cookie) as browser:
            await browser.hello()
            end = await browser.expect("end")
            await hosts_done()
            return end

    end = run(scenario)
    assert end["reason"] == "runtime_error" and end["next"] == "/x/server-crash/flow/"
    game = Game.objects.get()
    assert game.status == ENDED and "the simulator fell over" in game.error and not HOSTS
    participant = Participant.objects.get()
    assert participant.status == "runtime_error" and "fell over" in participant.runtime_errors[0]["message"]
    assert participant.completion_code.outcome == "runtime_error"  # the server saw it: a unique code
    episode = Episode.objects.get()
    assert episode.status == INTERRUPTED and episode.n_steps == 9  # the frames before the crash are kept
    assert GameEvent.objects.filter(kind="error").exists()


def test_a_reconnect_gets_a_full_repaint_and_the_lone_players_game_waits_meanwhile():
    cookie = solo("server-long")

    async def scenario():
        async with PlayClient("server-long", cookie) as browser:
            await browser.hello()
            await browser.expect("started")
            for _ in range(15):
                await browser.expect("frame")
            await browser.send({"type": "presence", "hidden": True})
            paused = await browser.expect("paused")
            await asyncio.sleep(0.5)
            await browser.idle(0.2)
        frame_when_gone = browser.frames[-1]["frame"]  # the last frame this browser was sent
        await asyncio.sleep(1.5)  # gone: the game stands still
        async with PlayClient("server-long", cookie) as again:
            welcome = await again.hello()
            resumed = await again.expect("paused")
            finished = await again.expect("finished")
            await hosts_done()
        return paused, frame_when_gone, welcome, resumed, finished

    paused, frame_when_gone, welcome, resumed, finished = run(scenario)
    assert paused["paused"] and paused["waiting"] == ["player_0"] and not resumed["paused"]
    assert welcome["render"]["reset"] and len(welcome["render"]["objects"]) >= 2  # the whole screen, not a delta
    assert welcome["frame"] == frame_when_gone > 0  # no frame was stepped while nobody was there
    steps = Step.objects.filter(episode__participant__external_id="sam")
    assert steps.count() == 90 and steps.filter(focused=False).count() <= 12
    assert GameEvent.objects.filter(kind="disconnected").exists() and GameEvent.objects.filter(kind="rejoin").exists()


def status_by_seat() -> dict[str, str]:
    return dict(MatchMember.objects.values_list("agent", "participant__status"))


def group(slug: str) -> list[str]:
    cookies = {pid: participant_cookie(slug, pid) for pid in ("ann", "ben")}
    async_to_sync(matched)(slug, list(cookies.values()), "play")
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))
    return [cookies[pid] for pid in sorted(cookies, key=lambda pid: seats[pid])]


def test_a_group_plays_one_server_game_and_a_partner_who_leaves_ends_it_for_both():
    first, second = group("server-pair")

    async def scenario():
        async with PlayClient("server-pair", first) as a:
            async with PlayClient("server-pair", second) as b:
                welcomes = [await a.hello(), await b.hello()]
                await a.expect("started")
                await a.keys(["ArrowLeft"])
                await b.keys(["ArrowRight"])
                for _ in range(20):
                    await a.expect("frame")
            end = await a.expect("end", timeout=15)
            await hosts_done()
        return welcomes, end

    welcomes, end = run(scenario)
    assert [w["seat"] for w in welcomes] == ["player_0", "player_1"]
    assert end["reason"] == "partner_dropped"
    assert status_by_seat() == {"player_0": "partner_dropped", "player_1": "dropped_out"}
    rows = {}
    for episode in Episode.objects.order_by("index"):
        steps = episode.steps.order_by("frame").values_list("actions", flat=True)
        rows.setdefault(episode.participant.external_id, []).append((episode.status, list(steps)))
    assert rows["ann"] == rows["ben"]  # one game: every participant stores the same frames
    assert rows["ann"][0][0] == COMPLETE and rows["ann"][-1][0] == INTERRUPTED  # the second was cut short
    assert {"player_0": 3, "player_1": 4} in rows["ann"][0][1]
    drop = GameEvent.objects.get(kind="dropout")
    assert drop.agent == "player_1" and GameEvent.objects.filter(kind="game_end").exists() and not HOSTS


def test_a_partner_who_leaves_is_replaced_by_the_ai_and_the_game_finishes():
    first, second = group("server-pair-ai")

    async def scenario():
        async with PlayClient("server-pair-ai", first) as a:
            async with PlayClient("server-pair-ai", second) as b:
                await a.hello()
                await b.hello()
                await a.expect("started")
                await a.expect("frame")
            finished = await a.expect("finished", timeout=20)
            await hosts_done()
            return finished

    finished = run(scenario)
    assert finished["type"] == "finished"
    assert status_by_seat() == {"player_0": "active", "player_1": "dropped_out"}
    kept = Episode.objects.get(participant__matches__agent="player_0")
    assert kept.status == COMPLETE and kept.n_steps == 150
    drop = GameEvent.objects.get(kind="dropout")
    later = [s.actions["player_1"] for s in kept.steps.filter(frame__gte=drop.frame)]
    assert len(set(later)) > 1  # a random agent plays the seat from the dropout frame on
    assert Episode.objects.get(participant__matches__agent="player_1").status == INTERRUPTED


def test_one_slow_env_does_not_slow_the_other_games():
    # Not judged by frame rates (a busy machine slows every game): one game's env never returns from a step, and the
    # other games play to their end meanwhile; a slow env's lag behind its clock is measured and stored.
    cookies = [solo("server-long", f"p{i}") for i in range(2)]
    stuck_cookie, slow_cookie = solo("server-stuck", "stuck"), solo("server-slow", "slow")

    async def scenario():
        clients = [PlayClient("server-long", c) for c in cookies]
        clients += [PlayClient("server-slow", slow_cookie), PlayClient("server-stuck", stuck_cookie)]
        for client in clients:
            await client.__aenter__()
        try:
            await clients[3].hello()
            await clients[3].expect("started")
            for _ in range(2):
                await clients[3].expect("frame")  # its third step never returns
            for client in clients[:3]:  # all at once: each welcome waits for its own game's process to be ready
                await client.send({"type": "hello", "scene_key": "play"})
            return await asyncio.gather(*(client.expect("finished", timeout=120) for client in clients[:3]))
        finally:
            await stop_hosts()
            for client in clients:
                await client.__aexit__()

    run(scenario)
    for pid in ("p0", "p1"):
        frames = list(Step.objects.filter(episode__participant__external_id=pid).values_list("frame", flat=True))
        assert sorted(frames) == list(range(90))  # played to the end beside a game that stands still
    assert Step.objects.filter(episode__participant__external_id="stuck").count() <= 2
    slow = Step.objects.filter(episode__participant__external_id="slow")
    # Each of its steps takes at least 60 ms of a 33 ms frame: late, whatever the machine's load.
    assert slow.count() == 90 and max(slow.values_list("late_ms", flat=True)) > 30  # its lag is measured and stored


def test_the_page_of_a_server_side_game_does_not_boot_pyodide():
    client = Client()
    enter(client, "server-solo", PROLIFIC_PID="pia")
    response = page(client, "server-solo")
    config = json.loads(response.context["runtime"] and json.dumps(response.context["runtime"]))
    assert config["runs_on"] == "server" and config["server_path"] == "/x/server-solo/ws/play/"
    assert config["relay_path"] is None and "pyodide_url" not in config


def test_a_lost_host_is_replaced_and_the_episode_starts_again_keeping_the_rows_stored():
    cookie = solo("server-solo")

    async def scenario():
        async with PlayClient("server-solo", cookie) as browser:
            await browser.hello()
            await browser.expect("started")
            for _ in range(40):
                await browser.expect("frame")
            host = next(iter(HOSTS.values()))
            host.stop()  # as if its web process died: no release, no more heartbeats
            await host.task
            restarted = await browser.expect("started", timeout=HOST_STALE_S + HOST_CHECK_S + 10)
            finished = await browser.expect("finished")
            await hosts_done()
        return restarted, finished

    restarted, finished = run(scenario)
    assert restarted["episode"] == 0 and finished["type"] == "finished"
    episodes = list(Episode.objects.order_by("index").values_list("status", "n_steps"))
    assert episodes[0] == (INTERRUPTED, 30)  # what was stored before the loss (one batch) stays
    assert episodes[1:] == [(COMPLETE, 45), (COMPLETE, 45)]
    assert GameEvent.objects.filter(kind="host_lost").count() == 1 and Game.objects.get().status == FINISHED


def test_with_wait_for_return_the_group_game_pauses_until_the_partner_is_back():
    first, second = group("server-pair-wait")

    async def scenario():
        async with PlayClient("server-pair-wait", first) as a:
            async with PlayClient("server-pair-wait", second) as b:
                await a.hello()
                await b.hello()
                await a.expect("started")
                for _ in range(10):
                    await a.expect("frame")
            paused = await a.expect("paused")
            await a.idle(0.3)  # frames already on their way
            before = len(a.frames)
            await a.idle(3.0)  # longer than dropout_s: nobody is dropped, nothing is stepped
            stepped_while_away = len(a.frames) - before
            async with PlayClient("server-pair-wait", second) as b:
                await b.hello()
                resumed = await a.expect("paused")
                finished = await a.expect("finished")
                await hosts_done()
        return paused, stepped_while_away, resumed, finished, a.frames

    paused, stepped_while_away, resumed, finished, frames = run(scenario)
    assert stepped_while_away == 0
    assert paused == {"type": "paused", "paused": True, "waiting": ["player_1"]} and not resumed["paused"]
    assert [f["frame"] for f in frames] == list(range(90))  # every frame once: none while the partner was away
    assert status_by_seat() == {"player_0": "active", "player_1": "active"}
    assert [e.n_steps for e in Episode.objects.all()] == [90, 90] and not GameEvent.objects.filter(kind="dropout")


def test_a_browser_that_missed_frames_asks_for_and_gets_the_whole_screen():
    cookie = solo("server-long")

    async def scenario():
        async with PlayClient("server-long", cookie) as browser:
            await browser.hello()
            await browser.expect("started")
            await browser.expect("frame")
            await browser.send({"type": "repaint"})
            repaint = await browser.expect("welcome")
            await stop_hosts()
            return repaint

    repaint = run(scenario)
    assert repaint["render"]["reset"] and len(repaint["render"]["objects"]) >= 2 and repaint["frame"] >= 0
