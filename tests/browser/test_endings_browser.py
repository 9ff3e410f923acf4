"""A participant's Chromium declines consent from each platform's link: an ending without a code shows no
"complete" link and posts no form to MTurk, only how to return the study there; a fixed code is shown with its link."""

from __future__ import annotations

import pytest

from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROLIFIC = {"PROLIFIC_PID": "5f1e2d3c4b5a69788796a5b4", "STUDY_ID": "study1", "SESSION_ID": "session1"}
MTURK = {
    "workerId": "A1WORKER",
    "assignmentId": "ASSIGN1",
    "hitId": "HIT1",
    "turkSubmitTo": "https://workersandbox.mturk.com",
}
PLATFORMS = {
    "prolific": (PROLIFIC, "Return submission"),
    "mturk": (MTURK, "Return"),
    "plain": ({}, None),
}


@pytest.fixture(autouse=True)
def local_pyodide(settings):
    """The flow's pages preload the runtime: from this machine, never the CDN."""
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}


def _link(base: str, slug: str, query: dict) -> str:
    from urllib.parse import urlencode

    return f"{base}/x/{slug}/" + (f"?{urlencode(query)}" if query else "")


def _decline(page) -> None:
    page.wait_for_selector("button[name=decision][value=decline]", timeout=60_000)
    page.click("button[name=decision][value=decline]")
    page.wait_for_selector("#ending", timeout=60_000)


def _submit_forms(page) -> list[str]:
    """Where the page's forms would post (an MTurk submission is a form to /mturk/externalSubmit)."""
    return page.eval_on_selector_all("form", "forms => forms.map((f) => f.action)")


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_declining_consent_shows_no_code_and_how_to_return(server_url, chromium_context, platform):
    query, instruction = PLATFORMS[platform]
    page = chromium_context.new_page()
    start_in_page(page, _link(server_url, "flow", query))
    page.click("button[type=submit]")  # the welcome page
    _decline(page)
    assert page.get_attribute("#ending", "data-outcome") == "declined_consent"
    assert page.locator("#completion-code").count() == 0
    assert page.locator("#return-link").count() == 0
    html = page.content()
    assert "complete?cc" not in html and "/submissions/complete" not in html
    assert not any("externalSubmit" in action for action in _submit_forms(page))
    assert "completion_code" not in html
    if instruction:
        assert instruction in page.inner_text("#return-instructions")
    else:  # a plain link: nothing to return, no instructions about a platform
        assert page.locator("#return-instructions").count() == 0
    page.reload()  # the ending stays the same on a reload
    page.wait_for_selector("#ending", timeout=60_000)
    assert page.locator("#return-link").count() == 0 and page.locator("#completion-code").count() == 0


def test_a_fixed_code_for_declining_is_shown_with_its_complete_link(server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, _link(server_url, "fixed-codes", PROLIFIC))
    _decline(page)
    assert page.inner_text("#completion-code") == "C1NOCONSENT"
    assert page.get_attribute("#return-link", "href").endswith("/submissions/complete?cc=C1NOCONSENT")
    assert page.locator("#return-instructions").count() == 0


def test_mturk_posts_a_fixed_code_but_never_an_empty_one(server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, _link(server_url, "fixed-codes", {**MTURK, "workerId": "A2WORKER", "assignmentId": "AS2"}))
    _decline(page)
    assert _submit_forms(page) == ["https://workersandbox.mturk.com/mturk/externalSubmit"]
    fields = page.eval_on_selector_all(
        "form input[type=hidden]", "inputs => Object.fromEntries(inputs.map((i) => [i.name, i.value]))"
    )
    assert fields == {"assignmentId": "AS2", "completion_code": "C1NOCONSENT"}
