"""Completion codes: issued by the server once, unique and unguessable, or the researcher's fixed code."""

from __future__ import annotations

import pytest
from django.test import Client

from experiments.definition import registry
from experiments.flow import services
from experiments.flow.models import CompletionCode, Experiment, Participant
from experiments.flow.platforms import EntryParams
from experiments.study import Outcome
from testkit.flowhelpers import enter, page, submit

pytestmark = pytest.mark.django_db


def new_participant(slug: str = "flow", external_id: str = "") -> Participant:
    definition = registry.get_experiment(slug)
    experiment = services.experiment_sync(definition=definition)
    params = EntryParams(source="prolific" if external_id else "plain", external_id=external_id)
    return services.participant_enter(
        experiment=experiment, definition=definition, params=params, token=None
    ).participant


def test_generated_codes_are_unique_and_from_the_unambiguous_alphabet():
    definition = registry.get_experiment("flow")
    codes = []
    for _ in range(300):
        issued = services.participant_finish(participant=new_participant(), definition=definition, outcome="completed")
        codes.append(issued.code)
    assert len(set(codes)) == 300
    assert all(len(code) == 12 and set(code) <= set(services.CODE_ALPHABET) for code in codes)


def test_a_code_is_issued_once_even_if_finish_is_called_again():
    definition = registry.get_experiment("flow")
    participant = new_participant()
    first = services.participant_finish(participant=participant, definition=definition, outcome="completed")
    again = services.participant_finish(participant=participant, definition=definition, outcome="excluded")
    assert first.pk == again.pk and again.outcome == "completed"
    participant.refresh_from_db()
    assert participant.status == "completed" and CompletionCode.objects.count() == 1


def test_a_clashing_code_is_redrawn(monkeypatch):
    definition = registry.get_experiment("flow")
    draws = iter(["SAMECODE2345", "SAMECODE2345", "OTHERCODE234"])
    monkeypatch.setattr(services, "_new_code", lambda: next(draws))
    first = services.participant_finish(participant=new_participant(), definition=definition, outcome="completed")
    second = services.participant_finish(participant=new_participant(), definition=definition, outcome="completed")
    assert (first.code, second.code) == ("SAMECODE2345", "OTHERCODE234")


def test_fixed_codes_per_outcome_for_prolific_studies():
    browser = Client()
    enter(browser, "fixed-codes", PROLIFIC_PID="p1")
    submit(browser, "fixed-codes", "consent", consent="yes", decision="agree")
    html = page(browser, "fixed-codes").content.decode()
    assert "C1COMPLETE" in html and "cc=C1COMPLETE" in html
    decliner = Client()
    enter(decliner, "fixed-codes", PROLIFIC_PID="p2")
    submit(decliner, "fixed-codes", "consent", decision="decline")
    assert "cc=C1NOCONSENT" in page(decliner, "fixed-codes").content.decode()
    assert sorted(CompletionCode.objects.values_list("code", "is_fixed")) == [
        ("C1COMPLETE", True),
        ("C1NOCONSENT", True),
    ]


def test_outcome_without_code_shows_none(settings):
    from experiments.study import Outcome

    definition = registry.get_experiment("timed")
    definition.outcomes = {"excluded": Outcome(message="Bye", issue_code=False)}
    try:
        participant = new_participant("timed")
        assert services.participant_finish(participant=participant, definition=definition, outcome="excluded") is None
        assert not CompletionCode.objects.exists()
    finally:
        definition.outcomes = {}


def test_no_code_exists_in_any_page_before_the_end():
    browser = Client()
    enter(browser, "flow")
    html = page(browser, "flow").content.decode()
    assert "completion-code" not in html and not CompletionCode.objects.exists()
    assert Experiment.objects.filter(slug="flow").exists()


def test_only_a_runtime_error_the_server_witnessed_earns_a_unique_code():
    from experiments.gamedata.episodes import participant_runtime_error

    definition = registry.get_experiment("game")
    reported, witnessed = new_participant("game"), new_participant("game")
    participant_runtime_error(participant=reported, definition=definition, scene_key="play", stage="load", message="x")
    participant_runtime_error(
        participant=witnessed,
        definition=definition,
        scene_key="play",
        stage="server",
        message="the env raised in the host",
        witnessed=True,
    )
    assert list(CompletionCode.objects.values_list("participant", "outcome", "is_fixed")) == [
        (witnessed.pk, "runtime_error", False)
    ]


def test_claimable_endings_never_earn_a_unique_code_even_when_a_study_rewords_them():

    definition = registry.get_experiment("timed")
    definition.outcomes = {name: Outcome(message="Reworded") for name in ("declined_consent", "screened_out")}
    try:
        for outcome in ("declined_consent", "screened_out"):
            participant = new_participant("timed")
            assert services.participant_finish(participant=participant, definition=definition, outcome=outcome) is None
        assert not CompletionCode.objects.exists()
        definition.outcomes = {"declined_consent": Outcome(message="Fixed", code="C1DECLINED")}
        fixed = services.participant_finish(
            participant=new_participant("timed"), definition=definition, outcome="declined_consent"
        )
        assert (fixed.code, fixed.is_fixed) == ("C1DECLINED", True)
    finally:
        definition.outcomes = {}


def test_without_a_code_there_is_no_way_back_to_submit():
    from experiments.flow.platforms import return_path

    ids = {"assignment_id": "3ASSIGN", "turk_submit_to": "https://workersandbox.mturk.com", "custom_url": None}
    assert return_path(source="prolific", code="", **ids) is None
    assert return_path(source="mturk", code="", **ids) is None
    submission = return_path(source="mturk", code="C1", **ids)
    assert submission.fields == (("assignmentId", "3ASSIGN"), ("completion_code", "C1"))
    plain = return_path(
        source="plain", code="", assignment_id="", turk_submit_to="", custom_url="https://lab.example/x"
    )
    assert plain.url == "https://lab.example/x"  # the researcher's own page, with no code to carry


def test_a_study_completed_without_a_code_neither_links_to_complete_nor_asks_for_a_return():

    definition = registry.get_experiment("timed")
    definition.outcomes = {"completed": Outcome(message="All done, nothing to submit", issue_code=False)}
    try:
        browser = Client()
        enter(browser, "timed", PROLIFIC_PID="finisher")
        submit(browser, "timed", "only")
        html = page(browser, "timed").content.decode()
        assert 'data-outcome="completed"' in html and 'id="completion-code"' not in html
        assert "submissions/complete" not in html and "Return submission" not in html  # finished: nothing to return
    finally:
        definition.outcomes = {}
