"""Exports that stream: the whole experiment as one JSON document (command with progress, admin download), and
the step CSV written while it is read."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from experiments.flow.models import Experiment
from testkit.flowhelpers import enter
from testkit.playclient import play_solo_game

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_whole_experiment_is_one_json_document_with_every_step(tmp_path, capsys):
    play_solo_game()
    out = tmp_path / "all.json"
    call_command("export_data", "server-solo", "--table", "all", "--format", "json", "--output", str(out))
    assert "1/1 participants" in capsys.readouterr().err
    document = json.loads(out.read_text())
    assert document["experiment"]["slug"] == "server-solo" and document["experiment"]["participants"] == 1
    (participant,) = document["participants"]
    assert participant["external_id"] == "sam" and participant["visits"] == [] and participant["answers"] == {}
    episodes = participant["episodes"]
    assert [(e["index"], e["status"], len(e["steps"])) for e in episodes] == [(0, "complete", 45), (1, "complete", 45)]
    assert episodes[0]["steps"][-1]["frame"] == 44 and episodes[0]["steps"][-1]["actions"] == {"player_0": 4}
    assert episodes[0]["reset_data"]["obs"]["player_0"]  # reset()'s observation is there too


def test_the_admin_streams_the_document_and_the_step_csv(researcher_client, browser):
    play_solo_game()
    enter(browser, "quota", PROLIFIC_PID="q1")
    experiment = Experiment.objects.get(slug="quota")
    response = researcher_client.post(
        "/admin/experiments/experiment/", {"action": "export_everything_json", "_selected_action": [experiment.pk]}
    )
    assert response.streaming and response["Content-Type"] == "application/json"
    document = json.loads(b"".join(response.streaming_content))
    assert document["participants"][0]["conditions"]["difficulty"] in ("easy", "hard")
    steps = researcher_client.post(
        "/admin/experiments/participant/",
        {"action": "export_steps_csv", "_selected_action": [p for p in _participants("server-solo")]},
    )
    assert steps.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(steps.streaming_content).decode())))
    assert len(rows) == 90 and rows[0]["agent"] == "player_0" and rows[0]["episode"] == "0"


def _participants(slug: str) -> list[int]:
    from experiments.flow.models import Participant

    return list(Participant.objects.filter(experiment__slug=slug).values_list("pk", flat=True))
