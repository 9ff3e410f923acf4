"""Runs against a real PostgreSQL (bin/test provides one): constraints and concurrent submissions hold."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections
from django.test import Client

from experiments.flow.models import Participant, SurveyResponse
from testkit.flowhelpers import enter, submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("needs_postgres")]


def test_the_database_really_is_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_one_participant_per_external_id_but_many_plain_ones():
    enter(Client(), "flow", PROLIFIC_PID="pgPID")
    enter(Client(), "flow")
    enter(Client(), "flow")
    participant = Participant.objects.get(external_id="pgPID")
    with pytest.raises(IntegrityError):
        Participant.objects.create(experiment=participant.experiment, token="another", external_id="pgPID")


def test_concurrent_double_submission_stores_one_set_of_answers():
    browser = Client()
    enter(browser, "flow")
    submit(browser, "flow", "welcome")
    cookie = browser.cookies["mug_flow"].value
    barrier = threading.Barrier(6)
    results = []

    def post() -> None:
        tab = Client()
        tab.cookies["mug_flow"] = cookie
        barrier.wait(timeout=10)
        results.append(submit(tab, "flow", "consent", consent="yes", decision="agree").status_code)
        connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [302] * 6
    assert SurveyResponse.objects.filter(scene_key="consent").count() == 1
    assert Participant.objects.get().position == 2
