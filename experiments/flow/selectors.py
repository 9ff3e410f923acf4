"""Reads: participants by token, their answers, experiments with status counts."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from experiments.definition.gym_scene import GymScene
from experiments.definition.outcomes import COMPLETED
from experiments.definition.quotas import Slots, slot_open
from experiments.flow.models import (
    ACTIVE,
    OUTCOME_CHOICES,
    STATUS_CHOICES,
    Experiment,
    Participant,
    SceneVisit,
    ScreeningResult,
    SurveyResponse,
)
from experiments.flow.queries import lock_rows, one_or_none


def participant_by_token(*, experiment: Experiment, token: str | None) -> Participant | None:
    """The participant this browser's token belongs to, within this experiment only."""
    if not token:
        return None
    return one_or_none(Participant.objects.filter(experiment=experiment, token=token).select_related("experiment"))


def participant_answers(*, participant: Participant) -> dict[str, dict[str, Any]]:
    """{scene key: {question id: value}} for everything this participant has answered."""
    answers: dict[str, dict[str, Any]] = defaultdict(dict)
    for scene_key, question_id, value in SurveyResponse.objects.filter(participant=participant).values_list(
        "scene_key", "question_id", "value"
    ):
        answers[scene_key][question_id] = value
    return dict(answers)


def experiment_list_with_counts() -> QuerySet[Experiment]:
    """Experiments annotated with `n_total` and `n_<status>` participant counts."""
    counts = {
        f"n_{status}": Count("participants", filter=Q(participants__status=status)) for status, _ in STATUS_CHOICES
    }
    return Experiment.objects.annotate(n_total=Count("participants"), **counts)


def status_labels() -> dict[str, str]:
    return dict(STATUS_CHOICES)


def outcome_labels() -> dict[str, str]:
    return dict(OUTCOME_CHOICES)


def quota_slots(
    *, experiment: Experiment, hold_minutes: int, committed_only: bool = False, excluding: int | None = None
) -> Slots:
    """Slots taken: valid completions, and participants in progress who entered within `hold_minutes` (with
    `committed_only`, only those who gave consent or passed the screening: experiments/definition/quotas.py)."""
    since = timezone.now() - timedelta(minutes=hold_minutes)
    in_progress = Q(status=ACTIVE, created_at__gte=since)
    if committed_only:
        consented = SurveyResponse.objects.filter(participant=OuterRef("pk"), question_id="consent", value=True)
        screened = ScreeningResult.objects.filter(participant=OuterRef("pk"), passed=True)
        in_progress &= Q(Exists(consented)) | Q(Exists(screened))
    holding = Participant.objects.filter(experiment=experiment).filter(Q(status=COMPLETED) | in_progress)
    if excluding is not None:
        holding = holding.exclude(pk=excluding)
    by_arm: dict[tuple[str, str], int] = defaultdict(int)
    total = 0
    for conditions in holding.values_list("conditions", flat=True):
        total += 1
        for condition, arm in (conditions or {}).items():
            by_arm[condition, arm] += 1
    return Slots(total=total, by_arm=dict(by_arm))


def quota_slot_free(*, participant: Participant, definition) -> bool:
    """Whether the participant, about to commit (consent, a passed screening), fits beside the slots others hold.
    Locks the experiment's row for the rest of the transaction, as entry does: simultaneous commits never overfill."""
    if definition.quota is None:
        return True
    lock_rows(Experiment.objects.filter(pk=participant.experiment_id))
    slots = quota_slots(
        experiment=participant.experiment,
        hold_minutes=definition.hold_minutes(),
        committed_only=True,
        excluding=participant.pk,
    )
    return slot_open(participant.conditions or {}, slots, definition.quota)


def load_deadline_candidates(*, entered_before) -> QuerySet[SceneVisit]:
    """Visits of game scenes that participants in progress are on now, entered before `entered_before`, whose page
    never reported its runtime ready (nor Start pressed): the load-deadline sweep judges each against its scene."""
    return SceneVisit.objects.filter(
        scene_kind=GymScene.kind,
        completed_at=None,
        runtime_ready_at=None,
        start_pressed_at=None,
        entered_at__lte=entered_before,
        participant__status=ACTIVE,
        participant__position=F("position"),
    ).select_related("participant__experiment")
