"""The export API's filters filter (an unknown choice is a 400, never ignored), and episodes and steps are read
page by page: episodes by offset, steps by cursor; each endpoint needs the view permissions of what it shows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from experiments.flow.models import Participant
from experiments.gamedata.models import COMPLETE, INTERRUPTED, Episode, Step
from testkit.flowhelpers import enter, walk_to_end

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    done = Client()
    enter(done, "flow", PROLIFIC_PID="finisher")
    walk_to_end(done, "flow")
    enter(Client(), "flow", PROLIFIC_PID="starter")
    participant = Participant.objects.get(external_id="finisher")
    played = Episode.objects.create(
        participant=participant,
        scene_key="extra-game",
        index=0,
        seed=7,
        env="e:make",
        code_hash="h",
        status=COMPLETE,
        n_steps=5,
    )
    Episode.objects.create(
        participant=participant,
        scene_key="extra-game",
        index=1,
        seed=8,
        env="e:make",
        code_hash="h",
        status=INTERRUPTED,
    )
    Step.objects.bulk_create(
        Step(
            episode=played,
            frame=frame,
            client_time=frame * 33.0,
            actions={"p": frame % 2},
            rewards={"p": 1.0},
            terminated={"p": frame == 4},
            truncated={"p": False},
            observations=[frame, frame + 0.5],
        )
        for frame in range(5)
    )
    return played


def test_participants_filter_by_status_and_source_and_refuse_unknown_choices(researcher_client, data):
    completed = researcher_client.get("/api/v1/participants/", {"status": "completed"}).json()
    assert [row["external_id"] for row in completed["results"]] == ["finisher"]
    active = researcher_client.get("/api/v1/participants/", {"experiment": "flow", "status": "active"}).json()
    assert [row["external_id"] for row in active["results"]] == ["starter"]
    assert researcher_client.get("/api/v1/participants/", {"source": "mturk"}).json()["count"] == 0
    refused = researcher_client.get("/api/v1/participants/", {"status": "finished-ish"})
    assert refused.status_code == 400 and "status" in refused.json()


def test_episodes_filter_by_status_and_participant(researcher_client, data):
    mine = {"experiment": "flow", "scene_key": "extra-game"}
    rows = researcher_client.get("/api/v1/episodes/", {**mine, "status": "complete"}).json()
    assert rows["count"] == 1
    episode = rows["results"][0]
    assert episode["external_id"] == "finisher" and episode["seed"] == 7 and episode["n_steps"] == 5
    assert researcher_client.get("/api/v1/episodes/", {**mine, "external_id": "finisher"}).json()["count"] == 2
    assert researcher_client.get("/api/v1/episodes/", {**mine, "status": "interrupted"}).json()["count"] == 1
    assert researcher_client.get("/api/v1/episodes/", {"external_id": "starter"}).json()["count"] == 0


def test_steps_come_page_by_page_by_cursor_in_order(researcher_client, data):
    frames, url, params = [], "/api/v1/steps/", {"episode": data.pk, "page_size": 2}
    while url:
        page = researcher_client.get(url, params).json()
        assert len(page["results"]) <= 2
        frames += [(row["frame"], row["actions"], row["observations"]) for row in page["results"]]
        url, params = page["next"], None
    assert frames == [(f, {"p": f % 2}, [f, f + 0.5]) for f in range(5)]
    assert researcher_client.get("/api/v1/steps/", {"experiment": "fixed-codes"}).json()["results"] == []


def test_steps_need_every_view_permission_of_what_they_show(django_user_model, data):
    user = django_user_model.objects.create_user("analyst", is_staff=True)
    client = Client()
    client.force_login(user)
    for codename in ("view_participant", "view_episode"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    assert client.get("/api/v1/episodes/").status_code == 200
    assert client.get("/api/v1/steps/").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_step"))
    assert client.get("/api/v1/steps/").status_code == 200


def test_the_schema_lists_episodes_steps_and_their_filters(researcher_client):
    schema = researcher_client.get("/api/schema/", {"format": "json"}).json()
    for path, names in {
        "/api/v1/participants/": {"experiment", "status", "source"},
        "/api/v1/episodes/": {"experiment", "status", "verification", "limit", "offset"},
        "/api/v1/steps/": {"experiment", "episode", "cursor", "page_size"},
    }.items():
        assert names <= {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}, path
