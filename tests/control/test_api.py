"""The export API: staff with the view permissions only, read only, correct rows, an OpenAPI schema."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.authtoken.models import Token

from testkit.flowhelpers import enter, walk_to_end

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/experiments/", "/api/v1/participants/", "/api/v1/survey-responses/", "/api/v1/scene-visits/"]


@pytest.fixture
def data():
    browser = Client()
    enter(browser, "flow", PROLIFIC_PID="apiPID")
    walk_to_end(browser, "flow")
    enter(Client(), "fixed-codes", PROLIFIC_PID="other")


@pytest.mark.parametrize("url", [*ENDPOINTS, "/api/schema/"])
def test_anonymous_and_non_staff_are_refused(url, outsider, data):
    assert Client().get(url).status_code in (401, 403)
    client = Client()
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_staff_read_only_what_their_view_permissions_cover(django_user_model, data):
    user = django_user_model.objects.create_user("assistant", is_staff=True)
    client = Client()
    client.force_login(user)
    assert [client.get(url).status_code for url in [*ENDPOINTS, "/api/schema/"]] == [403] * 5
    user.user_permissions.add(Permission.objects.get(codename="view_surveyresponse"))
    assert client.get("/api/v1/survey-responses/").status_code == 403  # the rows name participants: that too
    user.user_permissions.add(Permission.objects.get(codename="view_participant"))
    statuses = [client.get(url).status_code for url in [*ENDPOINTS, "/api/schema/"]]
    assert statuses == [403, 200, 200, 403, 200]


def test_staff_reads_participants_filtered_by_experiment(researcher_client, data):
    body = researcher_client.get("/api/v1/participants/", {"experiment": "flow"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["external_id"] == "apiPID" and row["status"] == "completed" and row["completion_outcome"] == "completed"
    assert len(row["completion_code"]) == 12
    assert researcher_client.get("/api/v1/participants/").json()["count"] == 2


def test_staff_reads_responses_visits_and_experiments(researcher_client, data):
    responses = researcher_client.get("/api/v1/survey-responses/", {"experiment": "flow"}).json()["results"]
    assert {"question_id": "likert", "value": 4} in [{k: r[k] for k in ("question_id", "value")} for r in responses]
    visits = researcher_client.get("/api/v1/scene-visits/", {"experiment": "flow"}).json()["results"]
    assert visits[0]["scene_key"] == "welcome" and visits[-1]["scene_kind"] == "end"
    experiments = {e["slug"]: e for e in researcher_client.get("/api/v1/experiments/").json()["results"]}
    assert experiments["flow"]["completed"] == 1 and experiments["fixed-codes"]["in_progress"] == 1


def test_token_authentication_for_scripts(researcher, data):
    token = Token.objects.create(user=researcher)
    response = Client().get("/api/v1/participants/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["count"] == 2


def test_api_is_read_only(researcher_client, data):
    for url in ENDPOINTS:
        assert researcher_client.post(url, {}, content_type="application/json").status_code == 405


def test_openapi_schema_describes_the_endpoints(researcher_client):
    response = researcher_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(ENDPOINTS) <= set(schema["paths"])
    parameters = schema["paths"]["/api/v1/participants/"]["get"]["parameters"]
    assert "experiment" in [parameter["name"] for parameter in parameters]
    assert all(set(schema["paths"][url]) == {"get"} for url in ENDPOINTS)
