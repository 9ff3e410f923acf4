"""Group (relay) and server-side game scenes complete only from what the server witnessed: attacks over plain HTTP and
WebSockets on a production-like Daphne. Forged episodes and final chunks, a mid-game /episodes/ call, leaving at
frame 0."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import async_to_sync

from experiments.flow.models import ACTIVE, CompletionCode, Participant
from experiments.gamedata.models import COMPLETE, INTERRUPTED, VERIFIED, Episode
from experiments.study import DROPPED_OUT, PARTNER_DROPPED
from testkit.attackers import Attacker, at_game, forged_chunk, submit_scene
from testkit.participants import scene_of
from testkit.servers import poll_until
from testkit.wsclient import match_group
from testkit.wsgame import WsGamePlayer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_server_scene_refuses_forged_episodes_chunks_and_the_post(prod_server):
    attacker, config = at_game(prod_server, "server-solo", "forger")
    begun = attacker.post("/x/server-solo/episodes/", {"scene_key": "play"}, content_type="application/json")
    assert begun.status_code == 409 and "created and ended by the server" in begun.json()["error"]
    for episode in range(2):
        chunk = forged_chunk("play", episode, ["player_0"], 45)
        refused = attacker.post("/x/server-solo/data/", chunk, content_type="application/json")
        assert refused.status_code == 409 and "created and ended by the server" in refused.json()["error"]
    assert submit_scene(attacker, "server-solo", "play").status_code == 400  # the game is not finished
    participant = Participant.objects.get(external_id="forger")
    assert participant.status == ACTIVE and not CompletionCode.objects.exists()
    assert not Episode.objects.exists()


def test_a_group_scene_refuses_forged_episodes_and_a_forged_final_chunk_does_not_count(prod_server):
    attacker, config = at_game(prod_server, "net-pair", "forger")
    assert scene_of(attacker.get("/x/net-pair/flow/").raw) == "pair"
    begun = attacker.post("/x/net-pair/episodes/", {"scene_key": "pair"}, content_type="application/json")
    assert begun.status_code == 409 and "created and ended by the server" in begun.json()["error"]
    chunk = forged_chunk("pair", 0, ["chaser", "runner"], 75)
    refused = attacker.post("/x/net-pair/data/", chunk, content_type="application/json")
    assert refused.status_code == 409 and "never begun" in refused.json()["error"]  # only the relay creates them
    assert submit_scene(attacker, "net-pair", "pair").status_code == 400
    assert Participant.objects.get(external_id="forger").status == ACTIVE and not CompletionCode.objects.exists()


def _pair(server, slug: str) -> list[tuple[Attacker, dict, str]]:
    pair = []
    for pid in ("honest", "forger"):
        browser, config = at_game(server, slug, pid)
        pair.append((browser, config, browser.cookies[f"mug_{slug}"]))
    async_to_sync(match_group)([(server.url, cookie) for _, _, cookie in pair], slug)
    return pair


def test_an_episodes_call_mid_game_neither_collides_nor_freezes_the_partner(prod_server):
    """Before: /episodes/ created the participant's next Episode row, the relay's own for episode 1 then hit the
    unique constraint and the honest partner waited forever. Now it is refused and both play to the end, each
    episode witnessed by the relay."""
    (honest, config, honest_cookie), (forger, _, forger_cookie) = _pair(prod_server, "net-relay")
    players = [
        WsGamePlayer(prod_server.url, "net-relay", cookie, "pair", config["loop"], seed=n)
        for n, cookie in enumerate([honest_cookie, forger_cookie])
    ]

    async def scenario():
        tasks = [asyncio.create_task(player.play(timeout=90)) for player in players]
        await players[1].started.wait()
        reply = await asyncio.to_thread(
            forger.post, "/x/net-relay/episodes/", {"scene_key": "pair"}, content_type="application/json"
        )
        assert reply.status_code == 409
        await asyncio.gather(*tasks)

    async_to_sync(scenario)()
    assert all("finished" in player.messages for player in players)
    for pid in ("honest", "forger"):
        episodes = Episode.objects.filter(participant__external_id=pid).order_by("index")
        assert list(episodes.values_list("index", "verification")) == [(0, VERIFIED), (1, VERIFIED)]


def test_leaving_a_running_game_at_frame_0_ends_as_dropped_out_never_completed(prod_server):
    """The forger is matched, forges a whole episode into the relay's record and posts the scene, then leaves."""
    (honest, config, honest_cookie), (forger, _, forger_cookie) = _pair(prod_server, "net-pair")
    honest_player = WsGamePlayer(prod_server.url, "net-pair", honest_cookie, "pair", config["loop"], seed=1)

    async def scenario():
        task = asyncio.create_task(honest_player.play(timeout=90))
        url = prod_server.url.replace("http://", "ws://") + "/x/net-pair/ws/game/"
        headers = {"Cookie": f"mug_net-pair={forger_cookie}", "Origin": prod_server.url}
        async with websockets.connect(url, additional_headers=headers, open_timeout=10) as socket:
            await socket.send(json.dumps({"type": "hello", "scene_key": "pair"}))
            while json.loads(await socket.recv())["type"] != "welcome":
                pass
            for episode in range(2):
                if episode:  # the relay begins episode 1 only after episode 0 ends: ask the HTTP endpoint
                    begin = {"scene_key": "pair"}
                    await asyncio.to_thread(
                        forger.post, "/x/net-pair/episodes/", begin, content_type="application/json"
                    )
                chunk = forged_chunk("pair", episode, ["chaser", "runner"], 75)
                await asyncio.to_thread(forger.post, "/x/net-pair/data/", chunk, content_type="application/json")
            posted = await asyncio.to_thread(submit_scene, forger, "net-pair", "pair")
            assert posted.status_code == 400  # the relay never stamped an end: nothing counts
        await task  # the forger left at frame 0: the dropout policy ends the game for both

    async_to_sync(scenario)()
    forged = Episode.objects.get(participant__external_id="forger", index=0)
    # Stored, but it does not count. Whole if its rows arrived before the dropout ended the game, interrupted if the
    # game had already ended for both (a busy machine can take longer than the dropout timeout to post them).
    assert forged.status in (COMPLETE, INTERRUPTED) and forged.verification != VERIFIED
    poll_until(lambda: Participant.objects.get(external_id="forger").status != ACTIVE)
    assert Participant.objects.get(external_id="forger").status == DROPPED_OUT
    assert Participant.objects.get(external_id="honest").status == PARTNER_DROPPED
    assert not CompletionCode.objects.filter(participant__external_id="forger", outcome="completed").exists()
