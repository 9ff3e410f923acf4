"""The admin's participant list shows each participant's completion code, a link to their episodes (that lists
exactly theirs), and the conditions drawn for them: a Conditions arm and the scenes RandomizeOrder kept."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from experiments.definition.stager import base_id
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import enter, submit, walk_to_end

pytestmark = pytest.mark.django_db


def _row(html: str, pk: int) -> str:
    """The changelist row of participant `pk` (its checkbox carries the pk)."""
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    return next(row for row in rows if f'name="_selected_action" value="{pk}"' in row)


@pytest.fixture
def two_finished():
    players = []
    for pid in ("PIDone", "PIDtwo"):
        client = Client()
        enter(client, "flow", PROLIFIC_PID=pid)
        walk_to_end(client, "flow")
        players.append(Participant.objects.get(external_id=pid))
    return players


def test_the_list_shows_code_episodes_link_and_drawn_order(researcher_client, two_finished):
    html = researcher_client.get("/admin/experiments/participant/").content.decode()
    for participant in two_finished:
        row = unescape(_row(html, participant.pk))
        assert participant.completion_code.code in row
        kept = [key for key in participant.plan if base_id(key).startswith("cond-")]
        assert len(kept) == 2
        assert " → ".join(kept) in row  # the order RandomizeOrder drew for this participant, in that order
        link = re.search(r'href="([^"]*/admin/experiments/episode/\?[^"]*)"', row).group(1)
        episodes = researcher_client.get(link)
        assert episodes.status_code == 200
        listed = set(re.findall(r'name="_selected_action" value="(\d+)"', episodes.content.decode()))
        mine = {str(pk) for pk in Episode.objects.filter(participant=participant).values_list("pk", flat=True)}
        assert mine and listed == mine  # theirs, and only theirs


def test_a_conditions_arm_is_shown_as_its_condition(researcher_client):
    client = Client()
    enter(client, "quota", PROLIFIC_PID="PIDarm")
    participant = Participant.objects.get(external_id="PIDarm")
    html = unescape(researcher_client.get("/admin/experiments/participant/").content.decode())
    arm = participant.conditions["difficulty"]
    assert f"difficulty: {arm}" in _row(html, participant.pk)


def test_a_participant_without_code_or_episodes_shows_dashes(researcher_client):
    client = Client()
    enter(client, "flow", PROLIFIC_PID="PIDnone")
    submit(client, "flow", "welcome")
    submit(client, "flow", "consent", decision="decline")
    participant = Participant.objects.get(external_id="PIDnone")
    row = _row(researcher_client.get("/admin/experiments/participant/").content.decode(), participant.pk)
    assert "/admin/experiments/episode/" not in row
