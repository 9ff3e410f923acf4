"""The live monitor's stuck list says where each participant on a game scene is stuck, from the milestones their
page reported on the server's clock, and for how long: loading Python, ready with Start not pressed, Start pressed
with no episode begun, playing with no upload; a reload counts as loading again. A forged milestone changes only
that participant's line (never their status or a code)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from experiments.control.live import live_snapshot
from experiments.flow.models import CompletionCode, Participant
from testkit.flowhelpers import enter, page
from testkit.gameclient import begin_episode
from testkit.uploads import CHUNK

pytestmark = pytest.mark.django_db(transaction=True)


def on_game_scene(pid: str) -> Client:
    client = Client()
    enter(client, "game", PROLIFIC_PID=pid)
    assert page(client, "game").status_code == 200
    return client


def say(client: Client, milestone: str) -> None:
    body = json.dumps({"scene_key": "play", "milestone": milestone})
    assert client.post("/x/game/milestone/", body, content_type="application/json").status_code == 200


def stuck_rows() -> dict:
    return {row["participant"]: row for row in live_snapshot()["stuck"]}


def test_the_stuck_list_says_where_and_for_how_long(settings):
    settings.MUG_LIVE_STUCK_S = 60
    with time_machine.travel(timezone.now(), tick=False) as clock:
        loading, ready, started, playing, reloaded = (
            on_game_scene(pid) for pid in ("loading", "ready", "started", "playing", "reloaded")
        )
        clock.shift(timedelta(seconds=20))
        for client in (ready, started, playing, reloaded):
            say(client, "ready")
        clock.shift(timedelta(seconds=10))
        for client in (started, playing):
            say(client, "start")
        clock.shift(timedelta(seconds=10))
        begun = begin_episode(playing, "game", "play")
        upload = json.dumps({**CHUNK, "episode": begun["episode"]})
        assert playing.post("/x/game/data/", upload, content_type="application/json").status_code == 200
        assert stuck_rows() == {}  # a minute has not passed since anyone entered
        clock.shift(timedelta(seconds=10))
        assert page(reloaded, "game").status_code == 200  # a reload: Python loads again

        clock.shift(timedelta(seconds=160))  # 3.5 min after entering
        rows = stuck_rows()
        assert {pid: row["state"] for pid, row in rows.items()} == {
            "loading": "loading",
            "ready": "ready",
            "started": "started",
            "playing": "playing",
            "reloaded": "loading",
        }
        assert rows["loading"]["reason"] == "loading Python for 3 min"
        assert rows["ready"]["reason"] == "ready, Start not pressed for 3 min"
        assert rows["started"]["reason"] == "Start pressed, no episode begun for 3 min"
        assert rows["playing"]["reason"] == "playing, no upload for 2 min"
        assert rows["playing"]["episode"] == begun["episode"]
        assert rows["reloaded"]["reason"] == "loading Python for 2 min"
        assert [row["stuck_s"] for row in live_snapshot()["stuck"]] == [210, 190, 180, 170, 160]

        say(reloaded, "ready")  # the reloaded page is ready again
        clock.shift(timedelta(seconds=61))
        assert stuck_rows()["reloaded"]["reason"] == "ready, Start not pressed for 61 s"
    # What the pages said changed the monitor only: everyone is still in progress, nobody has a code.
    assert set(Participant.objects.values_list("status", flat=True)) == {"active"}
    assert not CompletionCode.objects.exists()
