"""Monitoring during play over HTTP, with the clock controlled through the stored times: a hidden tab and
inactivity warn then exclude (the session ends with `excluded`), hidden time is not counted as inactivity, and
reports that cannot be taken store nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from experiments.models import MonitorState, Participant
from experiments.monitoring import Monitoring
from tests.flowhelpers import enter

pytestmark = pytest.mark.django_db(transaction=True)


def player() -> Client:
    client = Client()
    enter(client, "watched", PROLIFIC_PID="pia")
    return client


def report(client: Client, event) -> dict:
    return client.post("/x/watched/monitor/", {"event": event}, content_type="application/json").json()


def rewind(**fields_seconds_ago: float) -> None:
    now = timezone.now()
    MonitorState.objects.update(**{name: now - timedelta(seconds=s) for name, s in fields_seconds_ago.items()})


def test_a_tab_hidden_briefly_warns_and_hidden_long_excludes():
    client = player()
    assert report(client, "start") == {"ok": True}
    assert report(client, "hidden") == {"ok": True}
    rewind(hidden_since=1.5)
    assert report(client, "visible") == {"warning": "the study's tab was hidden for 2 s"}
    assert report(client, "hidden") == {"ok": True}
    rewind(hidden_since=3.5)
    verdict = report(client, "visible")
    assert verdict["excluded"] and verdict["next"] == "/x/watched/flow/"
    participant = Participant.objects.get()
    assert participant.status == "excluded" and "hidden for 4 s" in participant.monitor.excluded_for
    assert [event for _, event, _ in participant.monitor.events] == ["start", "hidden", "visible", "hidden", "visible"]
    assert report(client, "alive").get("error")  # the session is over: no more reports are taken


def test_no_input_warns_then_excludes_but_hidden_time_is_not_inactivity():
    client = player()
    report(client, "start")
    rewind(last_input_at=2.2)
    assert report(client, "alive") == {"warning": "no input for 2 s"}
    assert report(client, "input") == {"ok": True}  # a key press resets the clock
    report(client, "hidden")
    rewind(last_input_at=10, hidden_since=0.5)
    assert report(client, "alive") == {"ok": True}  # hidden (briefly): not judged as inactive meanwhile
    report(client, "visible")
    rewind(last_input_at=4.5)
    assert report(client, "alive")["excluded"] and Participant.objects.get().status == "excluded"


def test_reports_that_cannot_be_taken_store_nothing():
    stranger = Client()
    assert stranger.post("/x/watched/monitor/", {"event": "start"}, content_type="application/json").status_code == 409
    client = player()
    for bad in ("teleport", None, 5):
        assert "event must be one of" in report(client, bad)["error"]
    unmonitored = Client()
    enter(unmonitored, "flow", PROLIFIC_PID="x")
    answer = unmonitored.post("/x/flow/monitor/", {"event": "start"}, content_type="application/json")
    assert answer.status_code == 409 and not MonitorState.objects.exists()


def test_thresholds_are_checked_when_the_experiment_loads():
    from experiments.errors import DefinitionError

    with pytest.raises(DefinitionError, match="0 < hidden_warn_s < hidden_exclude_s"):
        Monitoring(hidden_warn_s=10, hidden_exclude_s=5).prepare("x")
