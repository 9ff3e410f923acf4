"""A game that cannot load (issue 18): the scene's load deadline reaches the page, a load failure the page reports
ends the participant with the study's runtime-error outcome (no unique code: a browser's claim), and a report for a
scene the participant is not playing changes nothing. Plain HTTP against a real server; the option's checks."""

from __future__ import annotations

import html
import json
import re

import pytest

from experiments.definition.errors import DefinitionError
from experiments.flow.models import CompletionCode, Participant
from testkit.plainhttp import Browser
from testkit.runtime_experiments import LOAD_TIMEOUT_S, cartpole

pytestmark = pytest.mark.django_db(transaction=True)
RUNTIME_JSON = re.compile(r'<script id="mug-runtime" type="application/json">(.*?)</script>', re.S)


def runtime_config(browser: Browser, slug: str) -> dict:
    page = browser.get(f"/x/{slug}/flow/").text
    return json.loads(html.unescape(RUNTIME_JSON.search(page).group(1)))


def test_the_game_page_carries_the_scenes_load_deadline_and_the_default(prod_server):
    deadline, default = Browser(prod_server.url), Browser(prod_server.url)
    deadline.enter("load-deadline", PROLIFIC_PID="slowpoke")
    default.enter("game", PROLIFIC_PID="patient")
    assert runtime_config(deadline, "load-deadline")["load_timeout_s"] == LOAD_TIMEOUT_S
    assert runtime_config(default, "game")["load_timeout_s"] == 180


def test_a_reported_load_failure_ends_with_the_runtime_error_outcome_and_no_code(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("load-deadline", PROLIFIC_PID="stuck")
    message = "the game did not load within 60 s (at: Starting Python; 7 downloads retried; failing: pyodide.asm.wasm)"
    reply = browser.post_json(
        "/x/load-deadline/runtime-error/", {"scene_key": "play", "stage": "load", "message": message}
    )
    assert reply.status == 200 and reply.json() == {"next": "/x/load-deadline/flow/"}
    ending = browser.get("/x/load-deadline/flow/").text
    assert 'data-outcome="runtime_error"' in ending and 'id="completion-code"' not in ending
    participant = Participant.objects.get(external_id="stuck")
    assert participant.status == "runtime_error"
    assert participant.runtime_errors == [{"scene": "play", "stage": "load", "message": message}]
    assert not CompletionCode.objects.exists()


def test_a_load_failure_for_a_scene_not_being_played_is_refused_and_changes_nothing(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("two-games", PROLIFIC_PID="elsewhere")
    report = {"scene_key": "second", "stage": "load", "message": "forged for a later scene"}
    reply = browser.post_json("/x/two-games/runtime-error/", report)
    assert reply.status == 409 and "error" in reply.json()
    participant = Participant.objects.get(external_id="elsewhere")
    assert participant.status == "active" and participant.runtime_errors == []


def test_a_second_report_after_the_ending_changes_nothing(prod_server):
    browser = Browser(prod_server.url)
    browser.enter("load-deadline", PROLIFIC_PID="twice")
    first = {"scene_key": "play", "stage": "load", "message": "first"}
    assert browser.post_json("/x/load-deadline/runtime-error/", first).status == 200
    again = browser.post_json("/x/load-deadline/runtime-error/", {**first, "message": "second"})
    assert again.status == 409
    assert [e["message"] for e in Participant.objects.get(external_id="twice").runtime_errors] == ["first"]


@pytest.mark.parametrize("seconds", [0, 4.9, 3601])
def test_a_load_deadline_out_of_range_fails_when_the_study_loads(tmp_path, seconds):
    with pytest.raises(DefinitionError, match="load_timeout_s"):
        cartpole(load_timeout_s=seconds).prepare(tmp_path)
