"""Per-step export as CSV and Parquet, joined with participant fields and survey answers; admin replay action."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.test import Client

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from testkit.flowhelpers import enter, submit
from testkit.gameclient import play_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def played():
    client = Client()
    enter(client, "cartpole", PROLIFIC_PID="exporter")
    submit(client, "cartpole", "consent", consent="yes", decision="agree")
    submit(client, "cartpole", "instructions")
    play_scene(client, "cartpole", keys=lambda frame: ["ArrowRight"] if frame % 3 else ["ArrowLeft"])
    submit(client, "cartpole", "cartpole")
    submit(client, "cartpole", "feedback", difficulty="4", comments="fun")
    return Participant.objects.get(external_id="exporter")


def test_step_csv_has_a_row_per_step_joined_with_answers(researcher_client, played):
    response = researcher_client.post(
        "/admin/experiments/participant/", {"action": "export_steps_csv", "_selected_action": [played.pk]}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == Step.objects.count() > 0
    first = rows[0]
    assert first["external_id"] == "exporter" and first["agent"] == "agent" and first["frame"] == "0"
    assert first["feedback.difficulty"] == "4" and first["consent.consent"] == "true"
    episode = Episode.objects.get(index=0)
    assert first["seed"] == str(episode.seed) and first["code_hash"] == episode.code_hash
    step = Step.objects.get(episode=episode, frame=0)
    assert json.loads(first["observation"]) == step.observations["agent"]
    assert float(first["reward"]) == step.rewards["agent"] == 1.0


def test_step_parquet_round_trips(tmp_path, played):
    target = tmp_path / "steps.parquet"
    call_command("export_data", "cartpole", "--table", "steps", "--format", "parquet", "--output", str(target))
    table = pq.read_table(target).to_pylist()
    assert len(table) == Step.objects.count()
    assert {row["episode"] for row in table} == {0, 1}
    assert table[0]["feedback.comments"] == "fun" and isinstance(table[0]["reward"], float)
    assert table[0]["action"] in (0, 1)  # a typed column (tests/control/test_parquet_types.py)


def test_the_admin_streams_parquet_a_row_group_at_a_time_with_the_csvs_values(researcher_client, played, monkeypatch):
    from experiments.control import step_exports

    monkeypatch.setattr(step_exports, "ROWS_PER_GROUP", 7)
    selected = {"_selected_action": [played.pk]}
    response = researcher_client.post("/admin/experiments/participant/", {"action": "export_steps_parquet", **selected})
    pieces = list(response.streaming_content)
    steps = Step.objects.count()
    assert (
        response["Content-Type"] == "application/vnd.apache.parquet" and len(pieces) == steps // 7 + 1
    )  # one per full group, then the rest and the footer
    parquet = pq.ParquetFile(io.BytesIO(b"".join(pieces)))
    assert parquet.metadata.num_row_groups == -(-steps // 7)
    table = parquet.read().to_pylist()
    csv_response = researcher_client.post("/admin/experiments/participant/", {"action": "export_steps_csv", **selected})
    csv_rows = list(csv.DictReader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert len(table) == len(csv_rows) == steps
    for parquet_row, csv_row in zip(table, csv_rows, strict=True):  # column by column, the same values
        assert set(parquet_row) == set(csv_row)
        for column, value in parquet_row.items():
            expected = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            assert csv_row[column].lower() == expected.lower(), column
    assert isinstance(table[0]["reward"], float) and table[0]["feedback.difficulty"] == 4  # a number stays a number


def test_admin_replay_action_marks_episodes(researcher_client, played):
    ids = list(Episode.objects.values_list("pk", flat=True))
    response = researcher_client.post(
        "/admin/experiments/episode/", {"action": "replay", "_selected_action": ids}, follow=True
    )
    assert "2 match, 0 differ, 0 failed." in response.content.decode()
    assert set(Episode.objects.values_list("replay_status", flat=True)) == {"match"}
    page = researcher_client.get(f"/admin/experiments/episode/{ids[0]}/change/")
    assert page.status_code == 200 and "frames_checked" in page.content.decode()
