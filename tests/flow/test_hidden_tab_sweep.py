"""The server decides a hidden tab on its own clock: a participant who hides the tab and never reports again is
excluded by the sweep once the exclusion limit has passed (injected clock), a visible or returned one is not, and
the page that does come back is sent to its ending. Against a real Daphne: no request after the "hidden" report is
needed for the exclusion (the stored moment is moved back; the sweep thread sees it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client
from django.utils import timezone

from experiments.definition import registry
from experiments.flow.models import MonitorState, Participant
from experiments.flow.monitoring import monitor_report, monitor_sweep
from netcode.models import ENDED, Game, GameEvent
from testkit.flowhelpers import enter
from testkit.gameclient_ws import GameClient, matched
from testkit.plainhttp import Browser
from testkit.roomclient import participant_cookie
from testkit.servers import poll_until

pytestmark = pytest.mark.django_db(transaction=True)


def player(pid: str, slug: str = "watched") -> Client:
    client = Client()
    enter(client, slug, PROLIFIC_PID=pid)
    return client


def report(client: Client, event: str, slug: str = "watched") -> dict:
    return client.post(f"/x/{slug}/monitor/", {"event": event}, content_type="application/json").json()


def hidden_at(pid: str):
    return MonitorState.objects.get(participant__external_id=pid).hidden_since


def test_a_tab_hidden_and_never_back_is_excluded_by_the_sweep_past_the_limit_only():
    client = player("gone")
    report(client, "start")
    report(client, "hidden")
    since = hidden_at("gone")
    assert monitor_sweep(now=since + timedelta(seconds=2.9)) == []  # watched: hidden_exclude_s=3
    assert Participant.objects.get().status == "active"
    participant = Participant.objects.get()
    assert monitor_sweep(now=since + timedelta(seconds=3.6)) == [participant.pk]
    participant.refresh_from_db()
    assert participant.status == "excluded"
    assert participant.monitor.excluded_for == "the study's tab was hidden for 4 s"
    assert participant.monitor.events[-1][1:] == ["sweep", "exclude"]
    assert monitor_sweep(now=since + timedelta(seconds=60)) == []  # a session ends once
    # The tab comes back later: its next report takes it to the ending instead of being refused.
    verdict = report(client, "visible")
    assert verdict == {"excluded": True, "reason": "the study's tab was hidden for 4 s", "next": "/x/watched/flow/"}


def test_the_sweep_leaves_visible_and_returned_tabs_alone():
    staying, returned = player("stays"), player("returns")
    for client in (staying, returned):
        report(client, "start")
    report(returned, "hidden")
    report(returned, "visible")
    report(staying, "hidden")
    report(staying, "alive")  # "alive" comes only from a visible page: a lost "visible" report heals
    later = timezone.now() + timedelta(seconds=600)
    assert monitor_sweep(now=later) == []
    assert set(Participant.objects.values_list("status", flat=True)) == {"active"}


def test_a_study_without_a_hidden_limit_is_not_swept():
    client = player("far", slug="watched-far")  # hidden rules off; a server game: monitoring is allowed there too
    report(client, "start", slug="watched-far")
    report(client, "hidden", slug="watched-far")
    assert monitor_sweep(now=timezone.now() + timedelta(days=1)) == []
    assert Participant.objects.get().status == "active"


def test_a_real_server_excludes_a_tab_that_never_reports_again(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("watched", PROLIFIC_PID="vanished")
    assert browser.post_json("/x/watched/monitor/", {"event": "start"}).json() == {"ok": True}
    assert browser.post_json("/x/watched/monitor/", {"event": "hidden"}).json() == {"ok": True}
    # The page says nothing more. Only the stored moment moves (no waiting): the server's sweep must act alone.
    MonitorState.objects.update(hidden_since=timezone.now() - timedelta(seconds=30))
    poll_until(lambda: Participant.objects.get(external_id="vanished").status == "excluded")
    assert "hidden for" in MonitorState.objects.get().excluded_for
    back = browser.post_json("/x/watched/monitor/", {"event": "visible"}).json()
    assert back["excluded"] and back["next"] == "/x/watched/flow/"


def test_the_sweep_drops_a_hidden_players_seat_and_the_partner_gets_the_dropout_policy():
    cookies = {pid: participant_cookie("watched-pair", pid) for pid in ("ann", "ben")}
    async_to_sync(matched)("watched-pair", list(cookies.values()), "pair")
    definition = registry.get_experiment("watched-pair")

    def ben_hides_for_good() -> list[int]:
        ben = Participant.objects.get(external_id="ben")
        monitor_report(participant=ben, definition=definition, event="hidden")  # his last report
        return monitor_sweep(now=MonitorState.objects.get().hidden_since + timedelta(seconds=3.5))

    async def scenario():
        async with GameClient("watched-pair", cookies["ann"]) as a, GameClient("watched-pair", cookies["ben"]) as b:
            await a.hello()
            await b.hello()
            swept = await sync_to_async(ben_hides_for_good)()
            return swept, await a.expect("end"), await b.expect("end")

    swept, partner_end, own_end = async_to_sync(scenario)()
    assert swept == [Participant.objects.get(external_id="ben").pk]
    assert partner_end["reason"] == "partner_dropped" and own_end["reason"] == "excluded"
    assert dict(Participant.objects.values_list("external_id", "status")) == {
        "ann": "partner_dropped",
        "ben": "excluded",
    }
    assert Game.objects.get().status == ENDED and GameEvent.objects.filter(kind="dropout").count() == 1
