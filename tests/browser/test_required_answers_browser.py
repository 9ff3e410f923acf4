"""A participant's Chromium on a survey whose required slider was never touched: nothing is stored (not its
minimum), the page marks the slider as missing; once moved, its value is stored."""

from __future__ import annotations

import pytest

from experiments.flow.models import SurveyResponse
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def local_pyodide(settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}


def _to_survey(page) -> None:
    page.click("button[type=submit]")  # welcome
    page.wait_for_selector("input[name=consent]", timeout=60_000)
    page.check("input[name=consent]")
    page.click("button[name=decision][value=agree]")
    page.wait_for_selector("section[data-scene=instructions]", timeout=60_000)
    page.click("button[type=submit]")
    page.wait_for_selector("section[data-scene=survey]", timeout=60_000)


def _answer_all_but_the_slider(page) -> None:
    page.fill("textarea[name=text]", "hello")
    page.check("input[name=likert][value='4']")
    page.check("input[name=single][value=green]")
    page.check("input[name=multi][value=apple]")
    page.check("input[name=boxes][value=calm]", force=True)  # the option box hides its input behind its label


def test_an_untouched_required_slider_is_not_stored_as_its_minimum(server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/flow/")
    _to_survey(page)
    _answer_all_but_the_slider(page)
    page.click("form button.primary")
    page.wait_for_selector("#q-slider.has-error", timeout=60_000)
    assert "needs an answer" in page.inner_text("#q-slider")
    assert page.locator("fieldset.has-error").count() == 1  # only the slider is missing
    assert not SurveyResponse.objects.filter(scene_key="survey").exists()  # not 0, not anything

    _answer_all_but_the_slider(page)  # the page came back with the answers; pick them again to be sure
    page.focus("input[type=range]")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 0 -> 1.5 in steps of 0.5
    page.click("form button.primary")
    page.wait_for_selector("section[data-scene^=cond-]", timeout=60_000)
    assert SurveyResponse.objects.get(scene_key="survey", question_id="slider").value == 1.5


def test_a_slider_moved_back_to_its_minimum_is_an_answer(server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/flow/")
    _to_survey(page)
    _answer_all_but_the_slider(page)
    page.focus("input[type=range]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.click("form button.primary")
    page.wait_for_selector("section[data-scene^=cond-]", timeout=60_000)
    assert SurveyResponse.objects.get(scene_key="survey", question_id="slider").value == 0
