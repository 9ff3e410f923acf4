"""The researcher's admin actions: end sessions with a chosen outcome (their waits end, their seat in a running
game drops with the game's dropout policy, their page is sent to the ending) and release a stuck waiting room."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from matchmaking.models import MatchMember, WaitingEntry
from netcode.models import ENDED, Game, GameEvent
from testkit.gameclient_ws import GameClient, matched
from testkit.playclient import PlayClient, hosts_done
from testkit.roomclient import RoomClient, participant_cookie

pytestmark = pytest.mark.django_db(transaction=True)
CHANGE_LIST = "/admin/experiments/participant/"


def end_sessions(client, participants, **form):
    data = {"action": "end_sessions", "_selected_action": [p.pk for p in participants], **form}
    return client.post(CHANGE_LIST, data)


def test_ending_sessions_asks_for_the_outcome_then_ends_only_unfinished_ones(researcher_client):
    for pid in ("ann", "ben"):
        participant_cookie("flow", pid)
    ann, ben = Participant.objects.order_by("external_id")
    Participant.objects.filter(pk=ben.pk).update(status="completed")
    page = end_sessions(researcher_client, [ann, ben]).content.decode()
    assert "End these sessions" in page and 'value="excluded"' in page and 'value="completed"' not in page
    forged = end_sessions(researcher_client, [ann], apply="1", outcome="completed")
    assert forged.status_code == 200 and Participant.objects.get(pk=ann.pk).status == "active"  # refused, unchanged
    done = end_sessions(researcher_client, [ann, ben], apply="1", outcome="excluded")
    assert done.status_code == 302
    statuses = dict(Participant.objects.values_list("external_id", "status"))
    assert statuses == {"ann": "excluded", "ben": "completed"}
    assert not hasattr(Participant.objects.get(pk=ann.pk), "completion_code")  # excluded: no code by default


def test_a_participant_ended_mid_game_leaves_and_the_partner_gets_the_dropout_policy(researcher_client):
    cookies = {pid: participant_cookie("net-relay", pid) for pid in ("ann", "ben")}
    async_to_sync(matched)("net-relay", list(cookies.values()), "pair")
    seats = dict(MatchMember.objects.values_list("participant__external_id", "agent"))

    async def scenario():
        async with GameClient("net-relay", cookies["ann"]) as a, GameClient("net-relay", cookies["ben"]) as b:
            await a.hello()
            await b.hello()
            await sync_to_async(end_sessions)(
                researcher_client,
                [await sync_to_async(Participant.objects.get)(external_id="ben")],
                apply="1",
                outcome="excluded",
            )
            return await a.expect("end"), await b.expect("end")

    partner_end, own_end = async_to_sync(scenario)()
    assert partner_end["reason"] == "partner_dropped" and own_end["reason"] == "excluded"
    assert own_end["next"] == partner_end["next"] == "/x/net-relay/flow/"
    assert dict(Participant.objects.values_list("external_id", "status")) == {
        "ann": "partner_dropped",
        "ben": "excluded",
    }
    assert Game.objects.get().status == ENDED
    assert GameEvent.objects.get(kind="dropout").agent == seats["ben"]


def test_a_participant_ended_in_a_server_game_is_replaced_by_the_ai_and_the_game_goes_on(researcher_client):
    cookies = {pid: participant_cookie("server-pair-ai", pid) for pid in ("ann", "ben")}
    async_to_sync(matched)("server-pair-ai", list(cookies.values()), "play")

    async def scenario():
        async with PlayClient("server-pair-ai", cookies["ann"]) as a, PlayClient("server-pair-ai", cookies["ben"]) as b:
            await a.hello()
            await b.hello()
            await a.expect("started")
            ben = await sync_to_async(Participant.objects.get)(external_id="ben")
            await sync_to_async(end_sessions)(researcher_client, [ben], apply="1", outcome="excluded")
            own_end = await b.expect("end")
            finished = await a.expect("finished", timeout=20)
            await hosts_done()
            return own_end, finished

    own_end, finished = async_to_sync(scenario)()
    assert own_end["reason"] == "excluded" and finished["type"] == "finished"
    assert dict(Participant.objects.values_list("external_id", "status")) == {"ann": "active", "ben": "excluded"}
    drop = GameEvent.objects.get(kind="dropout")
    assert drop.detail == {"policy": "ai"}
    kept = Episode.objects.get(participant__external_id="ann")
    later = [step.actions[drop.agent] for step in kept.steps.filter(frame__gt=drop.frame + 30)]
    assert kept.n_steps == 150 and len(set(later)) > 1  # the host handed the seat to the random agent


def test_a_waiting_participant_ended_by_staff_is_never_matched(researcher_client):
    cookie = participant_cookie("pairs", "ann")

    async def scenario():
        async with RoomClient("pairs", cookie) as room:
            await room.join()
            await room.expect("waiting")
            ann = await sync_to_async(Participant.objects.get)(external_id="ann")
            await sync_to_async(end_sessions)(researcher_client, [ann], apply="1", outcome="excluded")
            return await room.expect("timeout", timeout=10)

    assert async_to_sync(scenario)()["type"] == "timeout"
    assert WaitingEntry.objects.get().status == "timed_out"


def test_releasing_a_stuck_room_ends_every_wait_with_the_rooms_timeout_outcome(researcher_client):
    cookies = [participant_cookie("pairs", pid) for pid in ("ann", "ben")]

    async def scenario():
        async with RoomClient("pairs", cookies[0]) as room:
            await room.join()
            await room.expect("waiting")
            room_id = await sync_to_async(lambda: WaitingEntry.objects.get().room_id)()
            response = await sync_to_async(researcher_client.post)(
                "/admin/matchmaking/room/", {"action": "release", "_selected_action": [room_id]}
            )
            return response, await room.expect("timeout", timeout=10)

    response, timeout = async_to_sync(scenario)()
    assert response.status_code == 302 and timeout["next"] == "/x/pairs/flow/"
    assert Participant.objects.get(external_id="ann").status == "no_partner"  # the room's EndWithNoPartner
    assert Participant.objects.get(external_id="ben").status == "active"  # never waited: untouched
