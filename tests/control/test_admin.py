"""The admin as control room: pages render for staff, nothing for others, exports carry the right rows."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from experiments.flow.models import Experiment, Participant
from testkit.flowhelpers import VALID_SURVEY, enter, walk_to_end

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_participant():
    browser = Client()
    enter(browser, "flow", PROLIFIC_PID="PIDone", STUDY_ID="s1", SESSION_ID="x1")
    walk_to_end(browser, "flow", survey={**VALID_SURVEY, "text": "=HYPERLINK(1)"})
    return Participant.objects.get(external_id="PIDone")


def test_admin_pages_render_for_staff(researcher_client, finished_participant):
    experiment = Experiment.objects.get(slug="flow")
    for url in [
        "/admin/",
        "/admin/experiments/experiment/",
        f"/admin/experiments/experiment/{experiment.pk}/change/",
        "/admin/experiments/participant/",
        "/admin/experiments/participant/?status__exact=completed&source__exact=prolific",
        "/admin/experiments/participant/?q=PIDone",
        f"/admin/experiments/participant/{finished_participant.pk}/change/",
        "/admin/experiments/surveyresponse/",
        "/admin/experiments/completioncode/",
    ]:
        response = researcher_client.get(url)
        assert response.status_code == 200, url
    html = researcher_client.get("/admin/experiments/participant/?q=PIDone").content.decode()
    assert "PIDone" in html and finished_participant.completion_code.code in html  # the list shows the code (issue 18)
    detail = researcher_client.get(f"/admin/experiments/participant/{finished_participant.pk}/change/").content.decode()
    assert finished_participant.completion_code.code in detail and "hello" not in detail  # text answer replaced
    assert "=HYPERLINK(1)" in detail


def test_experiment_page_shows_entry_links_and_counts(researcher_client, finished_participant):
    experiment = Experiment.objects.get(slug="flow")
    html = researcher_client.get(f"/admin/experiments/experiment/{experiment.pk}/change/").content.decode()
    assert "http://testserver/x/flow/?PROLIFIC_PID={{%PROLIFIC_PID%}}&amp;STUDY_ID={{%STUDY_ID%}}" in html
    listing = researcher_client.get("/admin/experiments/experiment/").content.decode()
    assert '<td class="field-total">1</td>' in listing and '<td class="field-completed">1</td>' in listing


def test_pause_and_resume_actions(researcher_client):
    enter(Client(), "flow")
    experiment = Experiment.objects.get(slug="flow")
    researcher_client.post("/admin/experiments/experiment/", {"action": "pause", "_selected_action": [experiment.pk]})
    assert not Experiment.objects.get(slug="flow").is_active
    researcher_client.post("/admin/experiments/experiment/", {"action": "resume", "_selected_action": [experiment.pk]})
    assert Experiment.objects.get(slug="flow").is_active


def test_participant_csv_export_has_one_row_with_answers(researcher_client, finished_participant):
    response = researcher_client.post(
        "/admin/experiments/participant/", {"action": "export_csv", "_selected_action": [finished_participant.pk]}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["external_id"] == "PIDone" and row["study_id"] == "s1" and row["status"] == "completed"
    assert row["completion_code"] == finished_participant.completion_code.code
    assert row["survey.likert"] == "4" and row["survey.multi"] == '["apple", "plum"]'
    assert row["survey.text"] == "'=HYPERLINK(1)"  # a formula would run in a spreadsheet
    assert row["consent.consent"] == "true" and row["check@2.alert"] == "3"
    assert json.loads(row["plan"]) == finished_participant.plan


def test_experiment_json_export_and_response_export(researcher_client, finished_participant):
    experiment = Experiment.objects.get(slug="flow")
    response = researcher_client.post(
        "/admin/experiments/experiment/", {"action": "export_participants_json", "_selected_action": [experiment.pk]}
    )
    data = json.loads(response.content)
    assert [row["external_id"] for row in data] == ["PIDone"] and data[0]["survey.slider"] == 7.5
    ids = list(finished_participant.responses.values_list("pk", flat=True))
    response = researcher_client.post(
        "/admin/experiments/surveyresponse/", {"action": "export_csv", "_selected_action": ids}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(ids)
    assert {(r["scene_key"], r["question_id"]) for r in rows} >= {("survey", "single"), ("check@1", "alert")}


def test_non_staff_and_anonymous_get_nothing(outsider, finished_participant):
    anonymous = Client()
    logged_in = Client()
    logged_in.force_login(outsider)
    for client in (anonymous, logged_in):
        for url in [
            "/admin/experiments/participant/",
            f"/admin/experiments/participant/{finished_participant.pk}/change/",
        ]:
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        response = client.post(
            "/admin/experiments/participant/", {"action": "export_csv", "_selected_action": [finished_participant.pk]}
        )
        assert response.status_code == 302 and b"PIDone" not in response.content


def test_admin_cannot_add_or_delete_data_rows(researcher_client, finished_participant):
    assert researcher_client.get("/admin/experiments/participant/add/").status_code == 403
    assert researcher_client.get("/admin/experiments/experiment/add/").status_code == 403
    url = f"/admin/experiments/participant/{finished_participant.pk}/delete/"
    assert researcher_client.get(url).status_code == 403
