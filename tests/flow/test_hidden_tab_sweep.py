"""The server decides a hidden tab on its own clock: a participant who hides the tab and never reports again is
excluded by the sweep once the exclusion limit has passed (injected clock), a visible or returned one is not, and
the page that does come back is sent to its ending. Against a real Daphne: no request after the "hidden" report is
needed for the exclusion (the stored moment is moved back; the sweep thread sees it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from experiments.flow.models import MonitorState, Participant
from experiments.flow.monitoring import monitor_sweep
from testkit.flowhelpers import enter
from testkit.plainhttp import Browser
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
