"""The live monitor: its socket serves staff only (anonymous visitors, participants and non-staff users are
refused before any data), and its snapshot shows participants by status and scene, running games with their
seats, waiting rooms and recent errors; the page itself is behind the admin login."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from mugsite.asgi import application
from testkit.flowhelpers import enter
from testkit.gameclient_ws import GameClient, matched
from testkit.roomclient import participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def live_socket(cookie: str | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1")] + ([(b"cookie", cookie.encode())] if cookie else [])
    return WebsocketCommunicator(application, "/admin/live/ws/", headers=headers)


def session_cookie(client: Client) -> str:
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.parametrize("who", ["anonymous", "participant", "outsider", "staff_without_permissions"])
def test_the_socket_refuses_everyone_but_staff_who_may_view_participants_and_games(who, outsider, django_user_model):
    cookie = None
    if who == "participant":
        cookie = f"mug_flow={participant_cookie('flow', 'p1')}"
    elif who in ("outsider", "staff_without_permissions"):
        client = Client()
        user = outsider if who == "outsider" else django_user_model.objects.create_user("bare", is_staff=True)
        client.force_login(user)
        cookie = session_cookie(client)

    async def scenario():
        socket = live_socket(cookie)
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    assert async_to_sync(scenario)() == (False, 4003)


def test_staff_see_participants_games_and_errors_live(researcher_client):
    cookies = {pid: participant_cookie("net-relay", pid) for pid in ("ann", "ben")}
    async_to_sync(matched)("net-relay", list(cookies.values()), "pair")
    broken = Client()
    enter(broken, "game", PROLIFIC_PID="crashy")
    broken.post(
        "/x/game/runtime-error/",
        json.dumps({"scene_key": "play", "stage": "load", "message": "no wasm"}),
        content_type="application/json",
    )

    async def scenario():
        async with GameClient("net-relay", cookies["ann"]) as a, GameClient("net-relay", cookies["ben"]) as b:
            await a.hello()
            await b.hello()
            socket = live_socket(session_cookie(researcher_client))
            connected, _ = await socket.connect()
            first = await socket.receive_json_from(timeout=10)
            await socket.disconnect()
            return connected, first

    connected, snapshot = async_to_sync(scenario)()
    assert connected and snapshot["type"] == "snapshot"
    experiments = {e["slug"]: e for e in snapshot["experiments"]}
    assert experiments["net-relay"]["statuses"] == {"active": 2}
    assert experiments["net-relay"]["in_progress_by_scene"] == {"pair": 2}
    (game,) = snapshot["games"]
    assert game["experiment"] == "net-relay" and game["runs_on"] == "browser"
    assert sorted(s["participant"] for s in game["seats"]) == ["ann", "ben"]
    assert {s["state"] for s in game["seats"]} == {"here"}
    assert snapshot["errors"][0]["participant"] == "crashy" and "no wasm" in snapshot["errors"][0]["message"]
    assert any(bucket.get("runtime_error") == 1 for bucket in snapshot["endings"])


def test_the_page_is_behind_the_admin_login(researcher_client):
    assert Client().get("/admin/live/").status_code == 302
    page = researcher_client.get("/admin/live/").content.decode()
    assert "Live monitor" in page and "live.js" in page
    index = researcher_client.get("/admin/").content.decode()
    assert '<a href="/admin/live/">Live monitor</a>' in index and "Participants" in index  # the usual index too


def test_page_errors_are_kept_up_to_a_share_per_participant_and_shown(researcher_client):
    client = Client()
    enter(client, "flow", PROLIFIC_PID="noisy")
    url = "/x/flow/client-error/"

    def send(body) -> int:
        return client.post(url, body, content_type="application/json").status_code

    answers = [send({"kind": "console", "message": f"boom {i}"}) for i in range(25)]
    assert answers.count(200) == 20 and answers[20:] == [429] * 5  # the rest are dropped, not stored
    for bad in ({"kind": "shout", "message": "x"}, {"kind": "error"}, ["error"]):
        assert send(bad) == 400
    assert Client().post(url, {"kind": "error", "message": "x"}, content_type="application/json").status_code == 400
    from experiments.control.live import live_snapshot
    from experiments.flow.models import ClientError

    assert ClientError.objects.count() == 20
    errors = live_snapshot()["page_errors"]
    assert errors[0]["participant"] == "noisy" and errors[0]["message"].startswith("boom")


def test_each_players_round_trip_frame_rate_and_rollbacks_are_shown(researcher_client):
    from experiments.control.live import live_snapshot
    from testkit.gameclient import begin_episode, episode_chunks, post_chunk, runtime_config

    cookies = {pid: participant_cookie("net-relay", pid) for pid in ("ann", "ben")}
    async_to_sync(matched)("net-relay", list(cookies.values()), "pair")
    alone = Client()
    enter(alone, "game", PROLIFIC_PID="solo")
    config = runtime_config(alone, "game")
    chunks = episode_chunks(config, 0, begin_episode(alone, "game", "play")["seed"])
    clock = time_machine.travel(datetime.now(UTC), tick=False)  # the server's wall clock, stopped (moved below)
    now = clock.start()
    try:
        assert post_chunk(alone, "game", chunks[0]).status_code == 200

        async def scenario():
            async with GameClient("net-relay", cookies["ann"]) as a, GameClient("net-relay", cookies["ben"]) as b:
                await a.hello()
                await b.hello()
                probe = await a.expect("probe")
                await a.send({"type": "probe", "id": probe["id"], "stats": {"fps": 29.7, "rollbacks": 12}})
                await a.send({"type": "ping", "id": "after"})  # answered once the probe's answer is stored
                while (await a.expect("pong"))["id"] != "after":
                    pass

        async_to_sync(scenario)()
        now.shift(timedelta(seconds=7))  # since the upload
        snapshot = live_snapshot()
    finally:
        clock.stop()
    seats = {s["participant"]: s for s in snapshot["games"][0]["seats"]}
    assert seats["ann"]["fps"] == 29.7 and seats["ann"]["rollbacks"] == 12 and seats["ann"]["rtt_ms"] >= 0
    assert seats["ben"]["fps"] is None  # never answered a probe: nothing is made up
    (solo,) = snapshot["solo"]  # the pair's episodes are in their game's row, not here
    assert (solo["participant"], solo["scene_key"], solo["steps"]) == ("solo", "play", len(chunks[0]["rows"]))
    assert solo["fps"] == pytest.approx(30.0, abs=0.2) and solo["focused"] is True and solo["last_upload_s"] == 7
