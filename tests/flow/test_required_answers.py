"""A required question must be answered: a post without it stores nothing and names it; the survey page sends no
value for a slider nobody touched (its resting place at the minimum is not an answer)."""

from __future__ import annotations

import re

import pytest

from experiments.flow.models import SurveyResponse
from testkit.flowhelpers import VALID_SURVEY, enter, page, submit

pytestmark = pytest.mark.django_db


def _to_survey(client) -> None:
    enter(client, "flow")
    submit(client, "flow", "welcome")
    submit(client, "flow", "consent", consent="yes", decision="agree")
    submit(client, "flow", "instructions")


def test_an_untouched_slider_has_no_name_so_the_form_sends_nothing(browser):
    _to_survey(browser)
    html = page(browser, "flow").content.decode()
    slider = re.search(r'<input type="range"[^>]*>', html).group(0)
    assert ' name="' not in slider and 'data-name="slider"' in slider
    assert "Not answered yet" in html


@pytest.mark.parametrize("missing", ["slider", "likert"])
def test_a_required_scale_left_out_is_refused_and_nothing_is_stored(browser, missing):
    _to_survey(browser)
    answers = {name: value for name, value in VALID_SURVEY.items() if name != missing}
    response = submit(browser, "flow", "survey", **answers)
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'class="question q-\w+ has-error" id="q-{missing}"', html)
    assert html.count("has-error") == 1
    assert not SurveyResponse.objects.filter(scene_key="survey").exists()


def test_a_slider_answered_after_a_refusal_keeps_its_name_and_value(browser):
    _to_survey(browser)
    response = submit(browser, "flow", "survey", **{**VALID_SURVEY, "text": ""})
    slider = re.search(r'<input type="range"[^>]*>', response.content.decode()).group(0)
    assert 'name="slider"' in slider and 'value="7.5"' in slider


def test_an_empty_slider_value_is_not_an_answer(browser):
    _to_survey(browser)
    response = submit(browser, "flow", "survey", **{**VALID_SURVEY, "slider": ""})
    assert response.status_code == 400 and not SurveyResponse.objects.filter(scene_key="survey").exists()
