"""Entry links: Prolific/MTurk/plain capture, cookie binding, resume, lockout and the way back."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from experiments.flow.models import Experiment, Participant
from testkit.flowhelpers import answer_for, enter, only_participant, page, scene_key, submit, walk_to_end

pytestmark = pytest.mark.django_db

PROLIFIC = {"PROLIFIC_PID": "5f1a2b3c4d5e6f7a8b9c0d1e", "STUDY_ID": "study42", "SESSION_ID": "sess99"}
MTURK = {
    "workerId": "A1WORKER",
    "assignmentId": "3ASSIGN",
    "hitId": "3HIT",
    "turkSubmitTo": "https://workersandbox.mturk.com",
}


@pytest.fixture
def strict_ids(settings):
    settings.MUG_STRICT_RECRUITMENT_IDS = True  # the production default (the suite runs loose: conftest.py)


def test_a_get_of_the_entry_link_shows_a_start_page_and_creates_nobody(browser):
    for _ in range(3):  # a link preview, a crawler, a reload
        response = browser.get("/x/flow/", PROLIFIC)
        html = response.content.decode()
        assert response.status_code == 200 and "data-entry-start" in html and 'method="post"' in html
        assert all(f'name="{name}" value="{value}"' in html for name, value in PROLIFIC.items())
    assert not Participant.objects.exists() and "mug_flow" not in browser.cookies
    assert browser.post("/x/flow/", PROLIFIC).status_code == 302  # Start
    assert Participant.objects.count() == 1
    again = browser.get("/x/flow/", PROLIFIC)  # the link again, from the bound browser: straight to the flow
    assert again.status_code == 302 and again["Location"] == "/x/flow/flow/"
    assert Participant.objects.count() == 1


def test_the_start_needs_the_landing_pages_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/x/flow/", PROLIFIC).status_code == 403
    strict.get("/x/flow/", PROLIFIC)
    token = strict.cookies["csrftoken"].value
    assert strict.post("/x/flow/", {**PROLIFIC, "csrfmiddlewaretoken": token}).status_code == 302
    assert Participant.objects.count() == 1


def test_starts_over_the_limit_per_address_get_a_429_with_retry_after(settings):
    settings.MUG_ENTRY_LIMIT, settings.MUG_ENTRY_WINDOW_S = 2, 600
    cache.clear()
    for _ in range(2):
        assert enter(Client(), "flow").status_code == 302
    refused = enter(Client(), "flow")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert enter(Client(REMOTE_ADDR="10.0.0.7"), "flow").status_code == 302  # another address
    spoofed = enter(Client(HTTP_X_FORWARDED_FOR="10.0.0.8"), "flow")
    assert spoofed.status_code == 429  # the header is not trusted unless a proxy is configured
    settings.MUG_PROXY_ADDRESS_HEADER = "X-Forwarded-For"
    assert enter(Client(HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.9"), "flow").status_code == 302
    assert Participant.objects.count() == 4


def test_prolific_parameters_are_stored_and_the_end_links_back_with_the_code(browser):
    response = enter(browser, "flow", **PROLIFIC)
    assert response.status_code == 302 and response["Location"] == "/x/flow/flow/"
    participant = only_participant()
    assert (participant.source, participant.external_id) == ("prolific", PROLIFIC["PROLIFIC_PID"])
    assert (participant.study_id, participant.session_id) == ("study42", "sess99")
    walk_to_end(browser, "flow")
    code = only_participant().completion_code.code
    html = page(browser, "flow").content.decode()
    assert f'href="https://app.prolific.com/submissions/complete?cc={code}"' in html


def test_mturk_parameters_are_stored_and_the_end_posts_to_turk_submit_to(browser):
    enter(browser, "flow", **MTURK)
    participant = only_participant()
    assert participant.source == "mturk"
    assert (participant.external_id, participant.assignment_id, participant.hit_id) == ("A1WORKER", "3ASSIGN", "3HIT")
    walk_to_end(browser, "flow")
    html = page(browser, "flow").content.decode()
    code = only_participant().completion_code.code
    assert 'action="https://workersandbox.mturk.com/mturk/externalSubmit"' in html
    assert 'name="assignmentId" value="3ASSIGN"' in html and f'name="completion_code" value="{code}"' in html


def test_mturk_preview_creates_no_participant(browser):
    response = enter(browser, "flow", assignmentId="ASSIGNMENT_ID_NOT_AVAILABLE", hitId="3HIT")
    assert response.status_code == 200 and "Accept the HIT" in response.content.decode()
    assert "data-entry-start" not in response.content.decode()
    preview = {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE", "hitId": "3HIT"}
    assert browser.post("/x/flow/", preview).status_code == 200  # a forged start of a preview starts nothing
    assert not Participant.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {**MTURK, "turkSubmitTo": "https://evil.example.com"},
        {"PROLIFIC_PID": "{{%PROLIFIC_PID%}}"},
        {"PROLIFIC_PID": "x" * 300},
        {"workerId": "A1", "assignmentId": ""},
        {"PROLIFIC_PID": "alice"},
        {"PROLIFIC_PID": PROLIFIC["PROLIFIC_PID"][:-1] + "z"},
        {"PROLIFIC_PID": PROLIFIC["PROLIFIC_PID"] + "a"},
        {"workerId": "a1worker", "assignmentId": "3ASSIGN"},
        {"workerId": "A1WORKER", "assignmentId": "3ASSIGN", "hitId": "3hit"},
    ],
)
def test_malformed_entry_links_get_a_clear_page_and_store_nothing(browser, strict_ids, query):
    response = enter(browser, "flow", **query)
    assert response.status_code == 400
    assert "This study link is incomplete or malformed" in response.content.decode()
    started = browser.post("/x/flow/", query)  # a start posted with the bad id directly
    assert started.status_code == 400 and "malformed" in started.content.decode()
    assert not Participant.objects.exists()


def test_well_formed_platform_ids_are_taken(browser, strict_ids):
    assert enter(browser, "flow", **PROLIFIC).status_code == 302
    assert enter(Client(), "flow", **MTURK).status_code == 302
    assert Participant.objects.count() == 2


def test_plain_link_creates_a_participant_bound_to_the_browser(browser):
    enter(browser, "flow")
    participant = only_participant()
    assert participant.source == "plain" and participant.external_id == ""
    assert browser.cookies["mug_flow"]["httponly"]
    assert browser.cookies["mug_flow"].value != participant.token  # signed: the bare token is refused


def test_reload_and_return_resume_the_same_scene_and_order(browser):
    enter(browser, "flow", **PROLIFIC)
    for _ in range(5):
        key = scene_key(browser, "flow")
        submit(browser, "flow", key, **answer_for(key))
    plan_before = only_participant().plan
    here = scene_key(browser, "flow")
    for _ in range(3):
        assert scene_key(browser, "flow") == here
    enter(browser, "flow", **PROLIFIC)  # the participant clicks the study link again
    assert scene_key(browser, "flow") == here
    assert only_participant().plan == plan_before
    visit = only_participant().visits.get(scene_key=here)
    assert visit.loads >= 5


def test_randomized_order_varies_between_participants_but_is_stored():
    plans = set()
    for _ in range(12):
        client = Client()
        enter(client, "flow")
        plans.add(tuple(Participant.objects.order_by("-id").first().plan[4:6]))
    assert len(plans) > 1


def test_someone_elses_id_without_their_cookie_gets_nothing_of_theirs(browser):
    enter(browser, "flow", **PROLIFIC)
    submit(browser, "flow", "welcome")
    intruder = Client()
    response = enter(intruder, "flow", **PROLIFIC)
    assert response.status_code == 403
    assert "already in progress in another browser" in response.content.decode()
    assert "mug_flow" not in intruder.cookies
    assert page(intruder, "flow").status_code == 403
    forged = Client()
    forged.cookies["mug_flow"] = only_participant().token  # the raw token, unsigned
    assert page(forged, "flow").status_code == 403
    assert Participant.objects.count() == 1


def test_completed_id_cannot_start_again(browser):
    enter(browser, "flow", **PROLIFIC)
    walk_to_end(browser, "flow")
    again = Client()
    response = enter(again, "flow", **PROLIFIC)
    assert response.status_code == 403
    assert "already taken part" in response.content.decode()
    assert Participant.objects.count() == 1
    # The participant's own browser still sees their code.
    assert only_participant().completion_code.code in page(browser, "flow").content.decode()


def test_excluded_id_cannot_start_again(browser):
    enter(browser, "flow", **PROLIFIC)
    Participant.objects.update(status="excluded")
    response = enter(Client(), "flow", **PROLIFIC)
    assert response.status_code == 403 and "already taken part" in response.content.decode()


def test_paused_experiment_refuses_new_participants_but_lets_current_ones_continue(browser):
    enter(browser, "flow")
    Experiment.objects.filter(slug="flow").update(is_active=False)
    response = enter(Client(), "flow", PROLIFIC_PID="5f1a2b3c4d5e6f7a8b9c0d99")
    assert response.status_code == 403 and "not accepting participants" in response.content.decode()
    assert scene_key(browser, "flow") == "welcome"
    assert Participant.objects.count() == 1


def test_unknown_experiment_is_404(browser):
    assert enter(browser, "nope").status_code == 404


def test_admin_can_let_a_participant_continue_in_a_new_browser(browser, researcher_client):
    enter(browser, "flow", **PROLIFIC)
    submit(browser, "flow", "welcome")
    participant = only_participant()
    researcher_client.post(
        "/admin/experiments/participant/", {"action": "allow_rebind", "_selected_action": [participant.pk]}
    )
    new_browser = Client()
    assert enter(new_browser, "flow", **PROLIFIC).status_code == 302
    assert scene_key(new_browser, "flow") == "consent"
    assert page(browser, "flow").status_code == 403  # the old browser's token no longer works
    assert enter(Client(), "flow", **PROLIFIC).status_code == 403  # only one takeover per permission
