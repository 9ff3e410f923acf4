"""Completion codes: issued by the server once, unique and unguessable, or the researcher's fixed code."""

from __future__ import annotations

import pytest
from django.test import Client

from experiments import registry, services
from experiments.models import CompletionCode, Experiment, Participant
from experiments.platforms import EntryParams
from tests.flowhelpers import enter, page, submit

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
    from experiments.outcomes import Outcome

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
