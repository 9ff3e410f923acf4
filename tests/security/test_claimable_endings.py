"""Endings a browser can claim (a runtime error it reports, declining consent) earn no code by default, and an
ending without a code never shows a "complete" link or posts to MTurk: attacked with plain HTTP on a real server."""

from __future__ import annotations

import pytest

from experiments.flow.models import CompletionCode, Participant
from testkit.plainhttp import Browser

PROLIFIC = {"PROLIFIC_PID": "forger", "STUDY_ID": "study1", "SESSION_ID": "sess1"}
MTURK = {
    "workerId": "AFORGER",
    "assignmentId": "3ASSIGN",
    "hitId": "3HIT",
    "turkSubmitTo": "https://workersandbox.mturk.com",
}
PLATFORMS = {"prolific": PROLIFIC, "mturk": MTURK}
FORGED = {"scene_key": "play", "stage": "load", "message": "no WebAssembly (forged)"}


def forge_runtime_error(server, slug: str, query: dict) -> str:
    """Enter, load the game page (as a browser would, for its CSRF token), report an error nobody saw: the end page."""
    browser = Browser(server.url)
    browser.enter(slug, **query)
    assert 'data-scene="play"' in browser.get(f"/x/{slug}/flow/").text
    reply = browser.post_json(f"/x/{slug}/runtime-error/", FORGED)
    assert reply.status == 200 and reply.json()["next"] == f"/x/{slug}/flow/", reply.text
    return browser.get(f"/x/{slug}/flow/").text


def decline_consent(server, slug: str, query: dict) -> str:
    browser = Browser(server.url)
    browser.enter(slug, **query)
    if 'data-scene="welcome"' in browser.get(f"/x/{slug}/flow/").text:
        browser.post_form(f"/x/{slug}/flow/", {"scene_key": "welcome"})
    assert 'data-scene="consent"' in browser.get(f"/x/{slug}/flow/").text
    reply = browser.post_form(f"/x/{slug}/flow/", {"scene_key": "consent", "decision": "decline"})
    assert reply.status == 200 and 'id="ending"' in reply.text, reply.text[:500]
    return reply.text


def assert_no_code_and_no_way_to_submit(html: str, platform: str) -> None:
    assert 'id="completion-code"' not in html
    assert "submissions/complete" not in html and "cc=" not in html  # no Prolific "complete" link, not even empty
    assert "externalSubmit" not in html and 'name="completion_code"' not in html  # nothing posted to MTurk
    assert "code below" not in html and "not be penalised" not in html  # nothing promised that is not there
    expected = "Return submission" if platform == "prolific" else "return this HIT"
    assert expected in html  # what to do instead, on their platform


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_forged_runtime_error_earns_no_code_and_no_complete_link(prod_server, platform):
    html = forge_runtime_error(prod_server, "game", PLATFORMS[platform])
    assert 'data-outcome="runtime_error"' in html and "technical problem" in html
    assert_no_code_and_no_way_to_submit(html, platform)
    participant = Participant.objects.get(experiment__slug="game")
    assert participant.status == "runtime_error" and participant.runtime_errors[0]["message"] == FORGED["message"]
    assert not CompletionCode.objects.exists()


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_declining_consent_earns_no_code_only_the_platforms_return_instructions(prod_server, platform):
    html = decline_consent(prod_server, "flow", PLATFORMS[platform])
    assert 'data-outcome="declined_consent"' in html and "You chose not to take part" in html
    assert_no_code_and_no_way_to_submit(html, platform)
    assert Participant.objects.get().status == "declined_consent" and not CompletionCode.objects.exists()


def test_the_demo_study_that_rewords_declining_still_gives_no_code(prod_server):
    """examples/demo sets its own declined-consent message (an Outcome with the default issue_code): still no code."""
    html = decline_consent(prod_server, "demo", PROLIFIC)
    assert "No data beyond this choice is kept" in html
    assert_no_code_and_no_way_to_submit(html, "prolific")
    assert not CompletionCode.objects.exists()


def test_a_plain_link_ending_without_a_code_shows_neither_code_nor_platform_instructions(prod_server):
    html = forge_runtime_error(prod_server, "game", {})
    assert 'data-outcome="runtime_error"' in html and 'id="completion-code"' not in html
    assert 'id="return-link"' not in html and 'id="return-instructions"' not in html


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_fixed_code_the_researcher_configures_still_shows_with_its_way_back(prod_server, platform):
    html = forge_runtime_error(prod_server, "fixed-error", PLATFORMS[platform])
    assert '<p class="code" id="completion-code">C1BROKEN</p>' in html and 'id="return-instructions"' not in html
    if platform == "prolific":
        assert 'href="https://app.prolific.com/submissions/complete?cc=C1BROKEN"' in html
    else:
        assert 'action="https://workersandbox.mturk.com/mturk/externalSubmit"' in html
        assert 'name="completion_code" value="C1BROKEN"' in html
    second = {**PLATFORMS[platform], ("PROLIFIC_PID" if platform == "prolific" else "workerId"): "second"}
    declined = decline_consent(prod_server, "fixed-codes", second)
    assert '<p class="code" id="completion-code">C1NOCONSENT</p>' in declined
    assert sorted(CompletionCode.objects.values_list("code", "is_fixed")) == [("C1BROKEN", True), ("C1NOCONSENT", True)]
