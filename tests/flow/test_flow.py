"""A participant walks every scene type; the stored rows, visits, order and code are what they should be."""

from __future__ import annotations

from datetime import timedelta

import pytest

from experiments.flow.models import CompletionCode, Participant, SceneVisit, SurveyResponse
from testkit.flowhelpers import VALID_SURVEY, answer_for, enter, only_participant, page, scene_key, submit, walk_to_end
from testkit.gameclient import play_scene

pytestmark = pytest.mark.django_db


def test_full_flow_stores_answers_visits_and_issues_code_at_end(browser):
    assert enter(browser, "flow").status_code == 302
    keys = walk_to_end(browser, "flow")

    participant = only_participant()
    assert keys == participant.plan[:-1]
    assert keys[:4] == ["welcome", "consent", "instructions", "survey"]
    conditions = [key for key in keys if key.startswith("cond-")]
    assert len(conditions) == 2 and len(set(conditions)) == 2
    assert [key for key in keys if key.startswith("check")] == ["check@1", "check@2"]
    assert "other-page" in keys and "fan-page" not in keys  # picked "green", not "red"
    assert keys[-1] == "game"

    participant.refresh_from_db()
    assert participant.status == "completed" and participant.finished_at is not None
    answers = {(r.scene_key, r.question_id): r.value for r in SurveyResponse.objects.all()}
    assert answers[("consent", "consent")] is True
    assert answers[("survey", "likert")] == 4
    assert answers[("survey", "slider")] == 7.5
    assert answers[("survey", "multi")] == ["apple", "plum"]
    assert answers[("survey", "optional")] is None
    assert answers[("check@1", "alert")] == 3 and answers[("check@2", "alert")] == 3

    visits = list(SceneVisit.objects.filter(participant=participant).order_by("position"))
    assert [v.scene_key for v in visits] == participant.plan
    assert all(v.completed_at and v.completed_at >= v.entered_at for v in visits[:-1])
    code = CompletionCode.objects.get(participant=participant)
    assert code.outcome == "completed" and len(code.code) == 12
    assert code.code in page(browser, "flow").content.decode()


def test_each_scene_type_renders_its_controls(browser):
    enter(browser, "flow")
    html = page(browser, "flow").content.decode()
    assert "Hello" in html and 'name="scene_key" value="welcome"' in html
    submit(browser, "flow", "welcome")
    html = page(browser, "flow").content.decode()
    assert 'type="checkbox" name="consent"' in html and 'value="decline"' in html
    submit(browser, "flow", "consent", consent="yes", decision="agree")
    assert "Instructions read from a file." in page(browser, "flow").content.decode()
    submit(browser, "flow", "instructions")
    html = page(browser, "flow").content.decode()
    assert 'type="range" id="input-slider" data-name="slider"' in html and 'type="checkbox" name="multi"' in html
    assert 'class="box"' in html and "<textarea" in html
    assert "Say something &lt;b&gt;bold&lt;/b&gt;" in html  # labels are text, not HTML


def test_declining_consent_ends_politely_with_its_own_outcome(browser):
    enter(browser, "flow")
    submit(browser, "flow", "welcome")
    response = submit(browser, "flow", "consent", decision="decline")
    assert response.status_code == 302
    html = page(browser, "flow").content.decode()
    assert "You chose not to take part" in html
    participant = only_participant()
    assert participant.status == "declined_consent"
    assert not CompletionCode.objects.filter(participant=participant).exists()  # a click earns no code
    assert SurveyResponse.objects.get(participant=participant).value is False


def test_consent_box_must_be_ticked(browser):
    enter(browser, "flow")
    submit(browser, "flow", "welcome")
    response = submit(browser, "flow", "consent", decision="agree")
    assert response.status_code == 400
    assert "Please tick the box" in response.content.decode()
    assert scene_key(browser, "flow") == "consent"
    assert not SurveyResponse.objects.exists()


def test_branch_follows_earlier_answer(browser):
    enter(browser, "flow")
    keys = walk_to_end(browser, "flow", survey={**_survey(), "single": "red"})
    assert "fan-page" in keys and "other-page" not in keys


def test_stale_or_forged_scene_key_stores_nothing(browser):
    enter(browser, "flow")
    submit(browser, "flow", "welcome")
    assert submit(browser, "flow", "welcome").status_code == 302  # a second tab re-posting
    assert submit(browser, "flow", "survey", **_survey()).status_code == 302  # skipping ahead
    assert submit(browser, "flow", "no-such-scene").status_code == 302
    assert scene_key(browser, "flow") == "consent"
    assert not SurveyResponse.objects.exists()
    assert only_participant().position == 1


def test_completion_code_only_after_the_end(browser):
    enter(browser, "flow")
    for _ in range(5):
        key = scene_key(browser, "flow")
        submit(browser, "flow", key, **answer_for(key))
        assert not CompletionCode.objects.exists()
    walk_to_end(browser, "flow")
    assert CompletionCode.objects.count() == 1


def test_time_limit_ends_flow_as_timed_out(browser):
    enter(browser, "timed")
    Participant.objects.update(created_at=Participant.objects.get().created_at - timedelta(minutes=6))
    html = page(browser, "timed").content.decode()
    assert "time allowed for this study has run out" in html
    participant = Participant.objects.get()
    assert participant.status == "timed_out"
    assert participant.completion_code.outcome == "timed_out"


def test_demo_experiment_runs_to_the_end(browser):
    enter(browser, "demo")
    answers = {
        "consent": {"consent": "yes", "decision": "agree"},
        "post-game": {
            "difficulty": "5",
            "enjoyment": "60",
            "strategy": ["Planned a route"],
            "device": "Laptop",
            "mood": "Calm",
        },
        "hard-followup": {"what-was-hard": "speed"},
        "attention@1": {"alertness": "5"},
        "attention@2": {"alertness": "6"},
    }
    seen = []
    for _ in range(20):
        key = scene_key(browser, "demo")
        if key is None:
            break
        seen.append(key)
        if key.startswith("game-"):
            play_scene(browser, "demo")
        assert submit(browser, "demo", key, **answers.get(key, {})).status_code == 302, key
    assert "hard-followup" in seen and seen[-2:] == ["attention@1", "attention@2"]
    assert Participant.objects.get(experiment__slug="demo").status == "completed"


def _survey() -> dict:
    return dict(VALID_SURVEY)


def test_pages_before_a_game_prefetch_the_runtime(browser):
    enter(browser, "flow")
    html = page(browser, "flow").content.decode()
    assert '<link rel="prefetch" href="https://cdn.jsdelivr.net/pyodide/v0.27.7/full/pyodide.asm.wasm">' in html
    walk_to_end(browser, "flow")
    assert "prefetch" not in page(browser, "flow").content.decode()  # nothing ahead on the end page
