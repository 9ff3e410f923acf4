"""Quotas and balanced conditions: arms balanced over completed and in-progress participants, caps per experiment
and per arm that count only valid completions and live slots, slots reopening by themselves, no overfill when
many arrive at once, the assignment stored and exported."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from experiments.control.exports import participant_rows
from experiments.definition import registry
from experiments.definition.quotas import Quota, Slots, choose_arms
from experiments.definition.stager import Conditions, RandomizeOrder, validate_tree
from experiments.flow.models import Participant
from experiments.study import DefinitionError, StaticScene
from testkit.flowhelpers import enter

DIFFICULTY = Conditions("difficulty", {"easy": [StaticScene(scene_id="e")], "hard": [StaticScene(scene_id="h")]})


def test_the_arm_with_the_fewest_slots_is_chosen_and_ties_are_drawn():
    rng = random.Random(1)
    assert choose_arms([DIFFICULTY], Slots(3, {("difficulty", "easy"): 2, ("difficulty", "hard"): 1}), None, rng) == {
        "difficulty": "hard"
    }
    drawn = {choose_arms([DIFFICULTY], Slots(0, {}), None, rng)["difficulty"] for _ in range(40)}
    assert drawn == {"easy", "hard"}


def test_caps_per_arm_and_per_experiment():
    rng = random.Random(2)
    quota = Quota(completed=5, per_condition=2)
    almost = Slots(3, {("difficulty", "easy"): 2, ("difficulty", "hard"): 1})
    assert choose_arms([DIFFICULTY], almost, quota, rng) == {"difficulty": "hard"}  # easy is full
    full = Slots(4, {("difficulty", "easy"): 2, ("difficulty", "hard"): 2})
    assert choose_arms([DIFFICULTY], full, quota, rng) is None
    assert choose_arms([], Slots(5, {}), quota, rng) is None  # the experiment is full


def test_conditions_are_checked_when_the_experiment_loads():
    with pytest.raises(DefinitionError, match="must not be inside RandomizeOrder"):
        validate_tree([RandomizeOrder([DIFFICULTY, StaticScene(scene_id="x")])])
    with pytest.raises(DefinitionError, match="at least one named arm"):
        validate_tree([Conditions("c", {})])
    with pytest.raises(DefinitionError, match="Quota.per_condition must be"):
        Quota(per_condition=0).check("x")


pytestmark_db = pytest.mark.django_db(transaction=True)


def arrive(pid: str) -> tuple[int, str]:
    client = Client()
    response = enter(client, "quota", PROLIFIC_PID=pid)
    return response.status_code, response.content.decode()


def arms() -> dict[str, int]:
    counts: dict[str, int] = {}
    for conditions in Participant.objects.values_list("conditions", flat=True):
        counts[conditions["difficulty"]] = counts.get(conditions["difficulty"], 0) + 1
    return counts


@pytestmark_db
def test_arrivals_are_balanced_until_the_quota_and_the_next_one_sees_the_study_is_full():
    for i in range(4):
        assert arrive(f"p{i}")[0] == 302
    assert arms() == {"easy": 2, "hard": 2}
    status, page = arrive("late")
    assert status == 403 and "has all the participants it needs" in page
    assert not Participant.objects.filter(external_id="late").exists()
    plans = {p.conditions["difficulty"]: p.plan for p in Participant.objects.all()}
    assert plans["easy"][:2] == ["intro", "e"] and plans["hard"][:2] == ["intro", "h"]


@pytestmark_db
def test_slots_of_people_who_left_reopen_and_only_valid_completions_count():
    from experiments.flow.services import participant_finish

    definition = registry.get_experiment("quota")
    for i in range(4):
        arrive(f"p{i}")
    easy = Participant.objects.filter(conditions__difficulty="easy")
    participant_finish(participant=easy[0], definition=definition, outcome="completed")
    participant_finish(participant=easy[1], definition=definition, outcome="excluded")  # its slot reopens
    assert arrive("next")[0] == 302
    assert Participant.objects.get(external_id="next").conditions == {"difficulty": "easy"}
    assert arrive("again")[0] == 403  # easy 2 (one completed, one in progress), hard 2 in progress
    hard = Participant.objects.filter(conditions__difficulty="hard").first()
    Participant.objects.filter(pk=hard.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    assert arrive("after-hold")[0] == 302  # an abandoned slot is held 30 minutes (the time limit), then reopens
    assert Participant.objects.get(external_id="after-hold").conditions == {"difficulty": "hard"}


@pytestmark_db
def test_many_simultaneous_arrivals_never_overfill_an_arm():
    # SQLite queues writers (BEGIN IMMEDIATE); PostgreSQL locks the experiment's row: either way one at a time.
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(arrive, [f"crowd{i}" for i in range(16)]))
    admitted = [status for status, _ in results if status == 302]
    assert len(admitted) == 4 and arms() == {"easy": 2, "hard": 2}
    assert Participant.objects.count() == 4


@pytestmark_db
def test_the_assigned_condition_is_exported_with_the_participant():
    arrive("p0")
    columns, rows = participant_rows(Participant.objects.all())
    assert "condition:difficulty" in columns
    assert rows[0]["condition:difficulty"] in ("easy", "hard")
