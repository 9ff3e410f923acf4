"""Server-side survey validation: bad answers get a clear error, nothing is stored, the participant stays put."""

from __future__ import annotations

import pytest

from experiments.flow.models import SurveyResponse
from testkit.flowhelpers import VALID_SURVEY, enter, only_participant, scene_key, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_survey(browser):
    enter(browser, "flow")
    submit(browser, "flow", "welcome")
    submit(browser, "flow", "consent", consent="yes", decision="agree")
    submit(browser, "flow", "instructions")
    assert scene_key(browser, "flow") == "survey"
    return browser


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", "", "This question needs an answer."),
        ("likert", "", "This question needs an answer."),
        ("likert", "6", "Pick a value between 1 and 5."),
        ("likert", "0", "Pick a value between 1 and 5."),
        ("likert", "abc", "Pick a point on the scale."),
        ("likert", "NaN", "Pick a value between 1 and 5."),
        ("slider", "7.25", "Pick one of the points on the scale."),
        ("slider", "11", "Pick a value between 0 and 10."),
        ("single", "purple", "That option does not exist"),
        ("single", ["red", "green"], "Pick only one option."),
        ("multi", ["apple", "banana"], "That option does not exist"),
        ("multi", ["apple", "pear", "plum"], "Pick at most 2 options."),
        ("boxes", "Calm", "That option does not exist"),  # the label, not the stored value
        ("text", "x" * 1_000_000, "Please keep this answer under 100 characters."),
    ],
)
def test_bad_answer_is_refused_and_nothing_stored(at_survey, field, value, message):
    response = submit(at_survey, "flow", "survey", **{**VALID_SURVEY, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'id="q-' + field + '"' in html and "has-error" in html
    assert not SurveyResponse.objects.filter(scene_key="survey").exists()
    assert scene_key(at_survey, "flow") == "survey"
    assert only_participant().plan[only_participant().position] == "survey"


def test_missing_required_field_keeps_other_answers_in_the_form(at_survey):
    response = submit(at_survey, "flow", "survey", **{**VALID_SURVEY, "text": "kept", "single": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert ">kept</textarea>" in html
    assert 'value="apple" checked' in html


def test_html_in_text_answer_is_stored_verbatim_and_shown_escaped_in_the_admin(at_survey, researcher_client):
    payload = '<script>alert("x")</script>'
    assert submit(at_survey, "flow", "survey", **{**VALID_SURVEY, "text": payload}).status_code == 302
    stored = SurveyResponse.objects.get(scene_key="survey", question_id="text")
    assert stored.value == payload
    for url in (
        f"/admin/experiments/participant/{stored.participant_id}/change/",
        "/admin/experiments/surveyresponse/",
    ):
        html = researcher_client.get(url).content.decode()
        assert payload not in html
        assert "&lt;script&gt;" in html
