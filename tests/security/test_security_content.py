"""Forgery and injection: CSRF, completion codes only at the end, participant text escaped, deploy check clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import Client

from experiments.control.live import live_snapshot
from experiments.flow.models import ClientError, CompletionCode, Participant, SurveyResponse
from testkit.flowhelpers import VALID_SURVEY, enter, page, submit
from testkit.gameclient import begin_episode, post_chunk
from testkit.probe import PARTICIPANT, send, totals
from testkit.uploads import ROW

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
RAW = ["<script>alert(1)", "<img src=x onerror"]  # what must never reach an HTML page unescaped
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def csrf_browser(slug: str) -> Client:
    """A browser whose requests are CSRF-checked like a real one's; the page it loaded gave it the token."""
    client = Client(enforce_csrf_checks=True)
    enter(client, slug, PROLIFIC_PID="alice")
    page(client, slug)
    return client


@pytest.mark.parametrize("route", sorted(PARTICIPANT))
def test_participant_posts_need_the_csrf_token(route):
    slug, kind, body = PARTICIPANT[route]
    path = "/" + route.replace("<slug:slug>", slug)
    client = csrf_browser(slug)
    token = client.cookies["csrftoken"].value
    if slug == "flow":
        client.post("/x/flow/flow/", {"scene_key": "welcome", "csrfmiddlewaretoken": token})
    elif slug == "game":
        begun = client.post("/x/game/episodes/", {"scene_key": "play"}, "application/json", HTTP_X_CSRFTOKEN=token)
        assert begun.status_code == 200
    owner = Participant.objects.get(external_id="alice")
    before = (totals(), owner.position)
    assert send(client, path, kind, body).status_code == 403
    assert (totals(), Participant.objects.get(pk=owner.pk).position) == before
    if kind == "form":
        response = client.post(path, {**body, "csrfmiddlewaretoken": token})
    else:
        response = client.post(path, json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code in (200, 302)


def test_the_admin_login_and_admin_actions_need_the_csrf_token(researcher):
    login = Client(enforce_csrf_checks=True)
    assert login.post("/admin/login/", {"username": "researcher", "password": "pw-researcher-1"}).status_code == 403
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(researcher)
    enter(Client(), "flow")
    pks = list(Participant.objects.values_list("pk", flat=True))
    for action in ("end_sessions", "export_csv"):
        data = {"action": action, "apply": "1", "outcome": "excluded", "_selected_action": pks}
        assert staff.post("/admin/experiments/participant/", data).status_code == 403
    assert not Participant.objects.exclude(status="active").exists()


def test_the_end_page_cannot_be_loaded_before_the_end(browser):
    enter(browser, "fixed-codes")
    for path in ("/x/fixed-codes/flow/", "/x/fixed-codes/flow/?scene=end", "/x/fixed-codes/?scene_key=end"):
        html = browser.get(path, follow=True).content.decode()
        assert "C1COMPLETE" not in html and 'data-scene="consent"' in html
    assert not CompletionCode.objects.exists() and Participant.objects.get().status == "active"


@pytest.mark.parametrize("key", ["end", "survey", "game", "check@1", "fan-page", "consent"])
def test_a_forged_post_of_a_later_scene_skips_nothing(browser, key):
    enter(browser, "flow")
    response = submit(browser, "flow", key, consent="yes", **VALID_SURVEY)
    participant = Participant.objects.get()
    assert response.status_code == 302 and participant.position == 0 and participant.status == "active"
    assert not SurveyResponse.objects.exists() and not CompletionCode.objects.exists()
    assert 'data-scene="welcome"' in page(browser, "flow").content.decode()


def test_a_post_of_the_end_scene_itself_ends_nothing_and_the_end_still_loads(browser):
    enter(browser, "fixed-codes")
    submit(browser, "fixed-codes", "consent", consent="yes")
    assert submit(browser, "fixed-codes", "end").status_code == 302
    assert (Participant.objects.get().status, Participant.objects.get().position) == ("active", 1)
    end = page(browser, "fixed-codes")
    assert end.status_code == 200 and b"C1COMPLETE" in end.content
    assert list(CompletionCode.objects.values_list("outcome", flat=True)) == ["completed"]


def test_forged_outcome_fields_in_a_post_are_ignored(browser):
    enter(browser, "fixed-codes")
    submit(browser, "fixed-codes", "consent", consent="yes", outcome="completed", status="completed", code="C1X")
    participant = Participant.objects.get()
    assert participant.status == "active" and not CompletionCode.objects.exists()
    assert list(SurveyResponse.objects.values_list("question_id", "value")) == [("consent", True)]


def test_a_browser_reported_error_ends_with_its_own_outcome_never_completed(browser):
    enter(browser, "flow")
    report = {"scene_key": "welcome", "stage": "completed", "message": "completed"}
    assert send(browser, "/x/flow/runtime-error/", "json", report).status_code == 409  # not in a game: nothing
    assert send(browser, "/x/flow/monitor/", "json", {"event": "completed"}).status_code == 409
    assert Participant.objects.get().status == "active"
    enter(browser, "game")
    assert send(browser, "/x/game/runtime-error/", "json", {**report, "scene_key": "play"}).status_code == 200
    game = Participant.objects.get(experiment__slug="game")
    assert game.status == "runtime_error" and not CompletionCode.objects.filter(participant=game).exists()
    assert not CompletionCode.objects.filter(outcome="completed").exists()


def test_staff_cannot_end_a_session_as_completed_either(researcher_client, browser):
    enter(browser, "fixed-codes")
    pk = Participant.objects.get().pk
    data = {"action": "end_sessions", "apply": "1", "outcome": "completed", "_selected_action": [pk]}
    researcher_client.post("/admin/experiments/participant/", data)
    assert Participant.objects.get().status == "active" and not CompletionCode.objects.exists()


def test_a_game_scene_cannot_be_left_with_forged_empty_or_unfinished_episodes(browser):
    enter(browser, "game")
    unfinished = {**ROW, "frame": 0}  # nobody terminated, far from max_steps
    for episode in range(2):
        begin_episode(browser, "game", "play")
        chunk = {"scene_key": "play", "episode": episode, "number": 0, "first_frame": 0, "final": True}
        assert post_chunk(browser, "game", {**chunk, "rows": []}).status_code == 400
        assert post_chunk(browser, "game", {**chunk, "rows": [unfinished]}).status_code == 400
    assert submit(browser, "game", "play").status_code == 400
    html = page(browser, "game").content.decode()
    assert 'data-scene="play"' in html and not CompletionCode.objects.exists()
    assert Participant.objects.get().status == "active"


def test_no_scene_is_reachable_before_the_screening_is_passed(browser):
    enter(browser, "screen")
    assert submit(browser, "screen", "consent", consent="yes").status_code == 200  # the screening page again
    assert submit(browser, "screen", "end").status_code == 200
    assert Participant.objects.get().position == 0
    assert not SurveyResponse.objects.exists() and not CompletionCode.objects.exists()


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where} shows participant text unescaped"


@pytest.mark.parametrize(
    "query",
    [
        {"PROLIFIC_PID": PAYLOADS[0]},
        {"PROLIFIC_PID": "ok", "STUDY_ID": PAYLOADS[1]},
        {"workerId": PAYLOADS[1], "assignmentId": "a1"},
        {"workerId": "w", "assignmentId": "a", "turkSubmitTo": "javascript:alert(1)"},
    ],
)
def test_entry_links_with_markup_are_refused_and_not_echoed(browser, query):
    response = browser.get("/x/flow/", query)
    assert response.status_code == 400 and not Participant.objects.exists()
    assert_escaped(response.content.decode(), "the entry refusal")


@pytest.fixture
def hostile_text():
    """A participant's text everywhere one can put it: the User-Agent, survey answers, the game's reports."""
    agent = "".join(PAYLOADS)
    flow = Client(HTTP_USER_AGENT=agent)
    enter(flow, "flow", PROLIFIC_PID="xss1")
    for key, data in (("welcome", {}), ("consent", {"consent": "yes"}), ("instructions", {})):
        submit(flow, "flow", key, **data)
    answers = {**VALID_SURVEY, "text": PAYLOADS[1], "optional": PAYLOADS[0]}
    invalid = submit(flow, "flow", "survey", **{**answers, "likert": "9"})
    assert invalid.status_code == 400 and ESCAPED in invalid.content.decode()  # the answers are shown again, escaped
    assert_escaped(invalid.content.decode(), "the survey page with errors")
    submit(flow, "flow", "survey", **answers)
    send(flow, "/x/flow/client-error/", "json", {"kind": "error", "message": agent})
    game = Client(HTTP_USER_AGENT=agent)
    enter(game, "game", PROLIFIC_PID="xss2")
    begin_episode(game, "game", "play")
    chunk = {
        "scene_key": "play",
        "episode": 0,
        "number": 0,
        "first_frame": 0,
        "meta": {"runtime": {"python": agent}, "reset": {"obs": agent}},
        "rows": [{**ROW, "infos": {"chaser": {"note": agent}}}],
    }
    assert post_chunk(game, "game", chunk).status_code == 200
    report = {"scene_key": "play", "stage": agent, "message": agent}
    assert send(game, "/x/game/runtime-error/", "json", report).status_code == 200
    assert ClientError.objects.count() == 1 and SurveyResponse.objects.filter(value=PAYLOADS[0]).exists()
    return flow, game


def test_participant_text_is_escaped_on_every_admin_page(researcher_client, hostile_text):
    shown = []
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert_escaped(researcher_client.get(base, {"q": PAYLOADS[0]}).content.decode(), f"{base} searched")
        for path in [base] + [f"{base}{pk}/change/" for pk in model.objects.values_list("pk", flat=True)[:20]]:
            response = researcher_client.get(path)
            assert response.status_code == 200, path
            assert_escaped(response.content.decode(), path)
            shown += [path] if ESCAPED in response.content.decode() else []
    # the text is shown (escaped): answers, the user agent, runtime errors, what the browser said about its runtime
    assert {"surveyresponse", "participant", "episode"} <= {path.split("/")[3] for path in shown}


def test_participant_text_is_escaped_on_participant_pages_and_data_on_the_live_monitor(researcher_client, hostile_text):
    flow, game = hostile_text
    for client, slug in ((flow, "flow"), (game, "game")):
        assert_escaped(page(client, slug).content.decode(), f"the {slug} participant's page")
    assert_escaped(researcher_client.get("/admin/live/").content.decode(), "the live monitor page")
    snapshot = json.dumps(live_snapshot())
    assert PAYLOADS[0] in snapshot  # kept as data, drawn by live.js with textContent only
    script = (ROOT / "frontend/static/frontend/js/page/live.js").read_text()
    assert not any(sink in script for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"))


def test_participant_text_leaves_the_api_as_json_only(researcher_client, hostile_text):
    response = researcher_client.get("/api/v1/survey-responses/")
    assert response["Content-Type"] == "application/json" and PAYLOADS[0] in response.content.decode()


PRODUCTION = {  # the settings table of the README as a production deployment sets it, HTTPS settings included
    "DEBUG": "false",
    "SECRET_KEY": "kP9x-2mQv7Lr_4sT8wZ1yB6nC3dF0gH5jK2lM9pQ4rS7tU1vW8xY3zA6bC0dE5fG",
    "ALLOWED_HOSTS": "study.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://study.example.org",
    "DATABASE_URL": "postgres://mug:secret@db.internal:5432/mug",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MUG_PYODIDE_URL": "/static/pyodide/",  # self-hosted, as docs/how-to/deployment.md does: the pre-flight runs in it
    "SECURE_COOKIES": "true",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def check_deploy(**settings: str) -> subprocess.CompletedProcess:
    names = {*PRODUCTION, "SQLITE_PATH", "DJANGO_SETTINGS_MODULE"}
    env = {**{k: v for k, v in os.environ.items() if k not in names}, **settings}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deploy_check_is_clean_under_the_production_settings():
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_flags_production_without_the_https_settings():
    https = ("SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")
    result = check_deploy(**{k: v for k, v in PRODUCTION.items() if k not in https})
    reported = result.stderr + result.stdout
    assert result.returncode != 0
    assert all(code in reported for code in ("security.W004", "security.W008", "security.W012", "security.W016"))
