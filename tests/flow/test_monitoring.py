"""Monitoring during play over HTTP, with the clock controlled through the stored times: a hidden tab and
inactivity warn then exclude (the session ends with `excluded`), hidden time is not counted as inactivity, and
reports that cannot be taken store nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from experiments.flow.models import MonitorState, Participant
from experiments.study import Monitoring
from testkit.flowhelpers import enter

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
    # The session is over: a later report stores nothing and sends the page to its ending.
    assert report(client, "alive")["excluded"]
    assert len(Participant.objects.get().monitor.events) == 5


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
    from experiments.study import DefinitionError

    with pytest.raises(DefinitionError, match="0 < hidden_warn_s < hidden_exclude_s"):
        Monitoring(hidden_warn_s=10, hidden_exclude_s=5).prepare("x")
    with pytest.raises(DefinitionError, match="0 < latency_warn_ms < latency_exclude_ms"):
        Monitoring(latency_warn_ms=300, latency_exclude_ms=200).prepare("x")


def far_player() -> tuple[Client, int]:
    """A participant in a server-side game, seated through the socket's own service (no game process needed)."""
    from experiments.flow.identity import token_from_cookies
    from netcode.server.handlers import server_join

    client = Client()
    enter(client, "watched-far", PROLIFIC_PID="far")
    token = token_from_cookies({"mug_watched-far": client.cookies["mug_watched-far"].value}, "watched-far")
    seat = server_join(slug="watched-far", token=token, scene_key="play", channel_name="socket-1")
    return client, seat["seat_id"]


def timed(seat_id: int, rtt_ms: float, channel_name: str = "socket-1") -> None:
    from netcode.measure import game_seat_measure

    game_seat_measure(seat_id=seat_id, channel_name=channel_name, rtt_samples=[rtt_ms], stats={})


def far_report(client: Client, event: str) -> dict:
    return client.post("/x/watched-far/monitor/", {"event": event}, content_type="application/json").json()


def test_a_connection_that_stays_slow_is_warned_then_excluded_but_a_spike_is_not():
    client, seat_id = far_player()
    assert far_report(client, "start") == {"ok": True}  # no round trip timed yet
    timed(seat_id, 120)
    assert far_report(client, "alive") == {"warning": "a slow connection (120 ms round trips)"}
    timed(seat_id, 400)
    assert far_report(client, "alive") == {"warning": "a slow connection (400 ms round trips)"}  # slow for 0 s
    rewind(slow_since=2)
    timed(seat_id, 90)  # back under: the slow clock starts again
    assert far_report(client, "alive") == {"ok": True} and MonitorState.objects.get().slow_since is None
    timed(seat_id, 300)
    far_report(client, "alive")
    rewind(slow_since=3.2)
    timed(seat_id, 10, channel_name="a-forged-or-old-socket")  # only the seat's own socket's timing counts
    verdict = far_report(client, "alive")
    assert verdict["excluded"] and Participant.objects.get().status == "excluded"
    assert Participant.objects.get().monitor.excluded_for == "a slow connection (300 ms round trips)"


def test_an_old_round_trip_is_no_reading():
    from netcode.models import GameSeat

    client, seat_id = far_player()
    far_report(client, "start")
    timed(seat_id, 500)
    far_report(client, "alive")
    rewind(slow_since=60)
    GameSeat.objects.update(rtt_at=timezone.now() - timedelta(seconds=30))  # the socket went quiet long ago
    assert far_report(client, "alive") == {"ok": True}  # the dropout rules handle a lost socket, not this one
