"""The relay carries an ONNX agent's moves from the seat that drives it (mug.relayed), attacked and played on a
production-like Daphne with headless players (the browser's NetSession over real WebSockets; the model run by
onnxruntime): every frame of the chaser is in the log and the players' rows equal the server's replay; no other seat
can write the agent's moves; when the driver leaves, the next seat drives on."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import async_to_sync

from experiments.definition import registry
from matchmaking.models import MatchMember
from mug.rollback import shared_fields
from netcode.models import Game, GameEvent, GameInput
from netcode.replay import game_replay
from testkit.attackers import at_game
from testkit.onnx_experiments import TRIO_PATHS
from testkit.onnx_native import native_inference
from testkit.servers import production_daphne
from testkit.wsclient import match_group
from testkit.wsgame import WsGamePlayer

pytestmark = pytest.mark.django_db(transaction=True)
DELAY = 2  # the scenes' input delay: frames before it are everyone's default


@pytest.fixture
def trio_server(tmp_path, settings):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": TRIO_PATHS}
    with production_daphne(tmp_path, TRIO_PATHS) as server:
        yield server


def _matched(server, slug: str) -> list[tuple[dict, str]]:
    """Two participants through the flow to the game, matched; their runtime config and cookie, in seat order."""
    pair = []
    for pid in ("ann", "bob"):
        browser, config = at_game(server, slug, pid)
        pair.append((config, browser.cookies[f"mug_{slug}"]))
    async_to_sync(match_group)([(server.url, cookie) for _, cookie in pair], slug, "play")
    # the game's seats follow the match's members (netcode.services._game_for): the first drives the chaser
    members = MatchMember.objects.filter(match__status="confirmed").order_by("id")
    order = list(members.values_list("participant__external_id", flat=True))
    return [pair[("ann", "bob").index(pid)] for pid in order]


def _players(server, slug: str, pair) -> list[WsGamePlayer]:
    scene = registry.get_experiment(slug).scene("play")
    infer = native_inference(pair[0][0]["loop"]["agents"], scene.model_files())
    return [
        WsGamePlayer(server.url, slug, cookie, "play", config["loop"], seed=n, infer=infer)
        for n, (config, cookie) in enumerate(pair)
    ]


def _chaser_log(game: Game, episode: int) -> dict[int, int]:
    rows = GameInput.objects.filter(game=game, episode=episode, agent="chaser").values_list("frame", "action")
    return dict(rows)


async def _raw_seat(server, slug: str, cookie: str):
    url = server.url.replace("http://", "ws://") + f"/x/{slug}/ws/game/"
    socket = await websockets.connect(url, additional_headers={"Cookie": f"mug_{slug}={cookie}", "Origin": server.url})
    await socket.send(json.dumps({"type": "hello", "scene_key": "play"}))
    while json.loads(await socket.recv())["type"] != "welcome":
        pass
    return socket


async def _reply(socket, *kinds: str) -> dict:
    while (message := json.loads(await socket.recv()))["type"] not in kinds:
        pass
    return message


def test_only_the_driver_writes_the_agent_s_moves_and_only_its_actions(trio_server):
    (_, driver_cookie), (_, other_cookie) = _matched(trio_server, "onnx-trio")
    move = {"type": "input", "episode": 0, "frame": 0, "inputs": [], "checksums": []}

    async def attack():
        other = await _raw_seat(trio_server, "onnx-trio", other_cookie)
        await other.send(json.dumps({**move, "ai": [["chaser", 2, 4], ["chaser", 3, 4]]}))
        assert (await _reply(other, "ack", "error"))["type"] == "ack"  # its own (empty) message stands; the rest...
        driver = await _raw_seat(trio_server, "onnx-trio", driver_cookie)
        await driver.send(json.dumps({**move, "ai": [["chaser", 2, 99]]}))
        refused = await _reply(driver, "error")
        await driver.send(json.dumps({**move, "ai": [["runner_b", 2, 1]]}))
        not_ai = await _reply(driver, "error")
        await driver.send(json.dumps({**move, "ai": [["chaser", 2, 1]]}))
        stored = await _reply(driver, "ack", "inputs")
        for socket in (other, driver):
            await socket.close()
        return refused, not_ai, stored

    refused, not_ai, stored = async_to_sync(attack)()
    assert "99 is not one of 'chaser'" in refused["message"] and "'runner_b' is not an AI agent" in not_ai["message"]
    assert stored.get("ai_ack") == {"chaser": 2}
    assert _chaser_log(Game.objects.get(), 0) == {2: 1}  # ...were ignored: only the driver's move is stored


def test_every_chaser_move_is_logged_from_the_driver_and_every_row_equals_the_replay(trio_server):
    pair = _matched(trio_server, "onnx-trio")
    players = _players(trio_server, "onnx-trio", pair)

    async def play():
        await asyncio.gather(*(player.play(timeout=120) for player in players))

    async_to_sync(play)()
    game = Game.objects.get()
    assert game.status == "finished"
    scene = registry.get_experiment("onnx-trio").scene("play")
    moves = set()
    for episode in range(2):
        replay = game_replay(game=game, episode=episode, scene=scene)
        for player in players:
            assert [shared_fields(row) for row in player.rows[episode]] == replay
        logged = _chaser_log(game, episode)
        assert set(range(DELAY, len(replay))) <= set(logged)  # every frame the chaser played was relayed
        assert [row["actions"]["chaser"] for row in replay[DELAY:]] == [logged[f] for f in range(DELAY, len(replay))]
        moves |= set(logged.values())
    assert len(moves) > 1  # the model chose, not the default
    assert players[1].net.relayed.driving is False and players[0].net.relayed.driving is True


def test_when_the_driver_leaves_the_next_seat_drives_on_from_the_log(trio_server):
    pair = _matched(trio_server, "onnx-trio-continue")
    leaver, stayer = _players(trio_server, "onnx-trio-continue", pair)

    async def play():
        leaving = asyncio.create_task(leaver.play(timeout=120))
        staying = asyncio.create_task(stayer.play(timeout=120))
        async with asyncio.timeout(60):
            while leaver.net is None or leaver.net.session.confirmed < 45:
                await asyncio.sleep(0.02)
        leaving.cancel()  # the tab is closed: its socket goes, nothing more from it
        await asyncio.gather(leaving, return_exceptions=True)
        await staying

    try:
        async_to_sync(play)()
    except BaseException:
        net = stayer.net
        print(stayer.messages[-40:], net.relayed.__dict__, net.session.frame, net.session.confirmed)
        print({p: sorted(net.session.inputs[p])[-5:] for p in net.players}, net.replaced)
        print(list(GameEvent.objects.values_list("kind", "agent", "frame", "detail")))
        raise
    game = Game.objects.get()
    assert game.status == "finished", list(GameEvent.objects.values_list("kind", "agent", "frame", "detail"))
    dropout = GameEvent.objects.get(game=game, kind="dropout")
    assert dropout.agent == leaver.net.local and stayer.net.relayed.driving
    replay = game_replay(game=game, episode=0, scene=registry.get_experiment("onnx-trio-continue").scene("play"))
    assert [shared_fields(row) for row in stayer.rows[0]] == replay and len(replay) == 300
    logged = _chaser_log(game, 0)
    assert set(range(DELAY, 300)) <= set(logged)  # no frame of the chaser was lost in the handover
    # the stayer ran the model from the takeover on (what it chose depends on where the idle runner stands)
    assert stayer.inferences > 0 and leaver.inferences > 0
