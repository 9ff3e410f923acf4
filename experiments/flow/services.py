"""Writes: syncing experiments, entering, advancing and finishing participants, issuing completion codes."""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from experiments.definition import registry
from experiments.definition.errors import ApplicationError
from experiments.definition.experiment import Experiment as Definition
from experiments.definition.gym_scene import GymScene
from experiments.definition.outcomes import COMPLETED, OUTCOMES, RUNTIME_ERROR, TIMED_OUT, earns_unique_code
from experiments.definition.quotas import choose_arms, holds_need_commitment
from experiments.definition.scenes import ConsentScene, EndScene, Scene, SubmissionError
from experiments.definition.stager import base_id, expand, is_branch_key, resolve_branch
from experiments.flow import hooks, selectors
from experiments.flow.models import ACTIVE, CompletionCode, Experiment, Participant, SceneVisit, SurveyResponse
from experiments.flow.platforms import EntryParams
from experiments.flow.queries import lock_rows

# Unambiguous alphabet (no 0/O, 1/I/L): codes are read and typed by people.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
PAUSED_MESSAGE = "This study is not accepting participants at the moment. Please try again later."
FULL_MESSAGE = "This study has all the participants it needs. Thank you for your interest."
FULL_AT_CONSENT_MESSAGE = (
    "This study has just filled up while you were reading, so it cannot take you now. Thank you for your interest."
)
ALREADY_DONE_MESSAGE = "This id has already taken part in this study, so it cannot start again. Thank you!"
IN_USE_MESSAGE = (
    "A session for this id is already in progress in another browser. Please continue in the browser where "
    "you started; if that is not possible, contact the researcher."
)

GAME_DATA_MISSING = "The game is not finished, or its data has not all reached the server yet."

_system_random = random.SystemRandom()
logger = logging.getLogger(__name__)


def experiment_sync_all() -> list[Experiment]:
    """Create or update a row for every configured experiment; mark rows no longer in code."""
    definitions = registry.all_experiments()
    synced = [experiment_sync(definition=definition) for definition in definitions.values()]
    Experiment.objects.exclude(slug__in=definitions).update(in_code=False)
    return synced


def experiment_sync(*, definition: Definition) -> Experiment:
    """Store one definition's title, outline and hash; keeps the researcher's active/paused choice."""
    values = {
        "title": definition.title,
        "description": definition.description,
        "outline": definition.describe(),
        "definition_hash": definition.definition_hash(),
        "in_code": True,
        "synced_at": timezone.now(),
    }
    experiment, _ = Experiment.objects.update_or_create(slug=definition.slug, defaults=values)
    return experiment


def experiment_set_active(*, experiments, active: bool) -> int:
    """Pause or resume experiments; returns how many changed."""
    return experiments.exclude(is_active=active).update(is_active=active)


@dataclass(frozen=True)
class EntryResult:
    """Where an entry link leads: a participant to bind this browser to, or a refusal message."""

    participant: Participant | None = None
    refusal: str | None = None
    new_token: bool = False


def participant_enter(
    *, experiment: Experiment, definition: Definition, params: EntryParams, token: str | None, user_agent: str = ""
) -> EntryResult:
    """Resume the browser's own participant, or start a new one; refuse ids that finished or live elsewhere."""
    own = selectors.participant_by_token(experiment=experiment, token=token)
    if own and (not params.external_id or params.external_id == own.external_id):
        return EntryResult(participant=own)
    if params.external_id:
        existing = Participant.objects.filter(experiment=experiment, external_id=params.external_id).first()
        if existing:
            return _enter_existing(existing)
    if not experiment.is_active:
        return EntryResult(refusal=PAUSED_MESSAGE)
    try:
        return EntryResult(participant=_participant_create(experiment, definition, params, user_agent), new_token=True)
    except StudyFull:
        return EntryResult(refusal=FULL_MESSAGE)
    except IntegrityError:
        # Another request created this external id a moment ago (double click, two tabs).
        return EntryResult(refusal=IN_USE_MESSAGE)


def _enter_existing(existing: Participant) -> EntryResult:
    if existing.is_finished:
        return EntryResult(refusal=ALREADY_DONE_MESSAGE)
    if not existing.rebind_allowed:
        return EntryResult(refusal=IN_USE_MESSAGE)
    updated = Participant.objects.filter(pk=existing.pk, rebind_allowed=True).update(
        token=secrets.token_urlsafe(32), rebind_allowed=False
    )
    if not updated:
        return EntryResult(refusal=IN_USE_MESSAGE)
    existing.refresh_from_db()
    return EntryResult(participant=existing, new_token=True)


class StudyFull(ApplicationError):
    """The quota is reached (slots of participants in progress included)."""


@transaction.atomic
def _participant_create(experiment: Experiment, definition: Definition, params: EntryParams, user_agent: str):
    arms = _assign_conditions(experiment, definition)
    participant = Participant.objects.create(
        experiment=experiment,
        token=secrets.token_urlsafe(32),
        source=params.source,
        external_id=params.external_id,
        study_id=params.study_id,
        session_id=params.session_id,
        assignment_id=params.assignment_id,
        hit_id=params.hit_id,
        turk_submit_to=params.turk_submit_to,
        plan=expand(definition.stager, _system_random, arms=arms),
        conditions=arms,
        user_agent=user_agent[:300],
    )
    _resolve_branches(participant, definition)
    return participant


def _assign_conditions(experiment: Experiment, definition: Definition) -> dict[str, str]:
    """Balanced arms within the quota, decided while holding the experiment's row (one entry at a time, so
    concurrent arrivals never overfill an arm); StudyFull when there is no slot."""
    if definition.quota is None and not definition.conditions():
        return {}
    lock_rows(Experiment.objects.filter(pk=experiment.pk))
    slots = selectors.quota_slots(
        experiment=experiment, hold_minutes=definition.hold_minutes(), committed_only=holds_need_commitment(definition)
    )
    arms = choose_arms(definition.conditions(), slots, definition.quota, _system_random)
    if arms is None:
        raise StudyFull(FULL_MESSAGE)
    return arms


def participant_allow_rebind(*, participants) -> int:
    """Let the next visit with each unfinished participant's id take over from the old browser."""
    return participants.filter(status=ACTIVE).update(rebind_allowed=True)


def participant_current_scene(*, participant: Participant, definition: Definition) -> tuple[str, Scene]:
    """The scene the participant is on, recording the visit (one row per scene key, loads counted)."""
    key = participant.current_key
    scene = definition.scene(base_id(key))
    now = timezone.now()
    visit, created = SceneVisit.objects.get_or_create(
        participant=participant,
        scene_key=key,
        defaults={"scene_kind": scene.kind, "position": participant.position},
    )
    if not created:
        SceneVisit.objects.filter(pk=visit.pk).update(loads=F("loads") + 1, last_loaded_at=now)
    Participant.objects.filter(pk=participant.pk).update(last_seen_at=now)
    if isinstance(scene, EndScene):
        participant_finish(participant=participant, definition=definition, outcome=COMPLETED)
    return key, scene


def participant_submit(*, participant: Participant, definition: Definition, scene_key: str, data) -> bool:
    """Validate and store a scene's submission, then advance; returns False for a stale or repeated post.

    Raises SubmissionError (nothing stored) when the scene refuses the answers.
    """
    if participant.is_finished or scene_key != participant.current_key:
        return False
    scene = definition.scene(base_id(scene_key))
    if isinstance(scene, EndScene):  # the end is reached by loading it (which finishes the flow), never by a post
        return False
    submission = scene.clean_submission(data)
    game_unfinished = isinstance(scene, GymScene) and not hooks.game_scenes().done(
        participant=participant, scene_key=scene_key, scene=scene
    )
    if game_unfinished:
        raise SubmissionError({"__all__": GAME_DATA_MISSING})
    with transaction.atomic():
        if isinstance(scene, ConsentScene) and submission.answers.get("consent") is True:
            _claim_slot(participant, definition)
        position = participant.position
        # Only the first of two concurrent posts for this position moves on; the other stores nothing.
        if not Participant.objects.filter(pk=participant.pk, position=position, status=ACTIVE).update(
            position=position + 1
        ):
            return False
        participant.position = position + 1
        _store_answers(participant, scene_key, submission.answers)
        SceneVisit.objects.filter(participant=participant, scene_key=scene_key).update(completed_at=timezone.now())
        _resolve_branches(participant, definition)
        if submission.outcome:
            participant_finish(participant=participant, definition=definition, outcome=submission.outcome)
    return True


def _claim_slot(participant: Participant, definition: Definition) -> None:
    """A quota slot is held from consent on (experiments/definition/quotas.py): consenting takes one, or is refused
    (nothing stored; the participant may try again once a slot reopens)."""
    if not holds_need_commitment(definition):
        return
    if not selectors.quota_slot_free(participant=participant, definition=definition):
        raise SubmissionError({"consent": FULL_AT_CONSENT_MESSAGE})


def participant_skip_to(*, participant: Participant, definition: Definition, from_key: str, scene_id: str) -> bool:
    """Leave the scene at `from_key` for the next scene `scene_id` in the plan (a waiting room's timeout);
    False when the participant has moved on meanwhile or no such scene lies ahead."""
    plan, position = participant.plan, participant.position
    if participant.is_finished or participant.current_key != from_key:
        return False
    target = next((i for i in range(position + 1, len(plan)) if base_id(plan[i]) == scene_id), None)
    if target is None:
        return False
    with transaction.atomic():
        if not Participant.objects.filter(pk=participant.pk, position=position, status=ACTIVE).update(position=target):
            return False
        participant.position = target
        SceneVisit.objects.filter(participant=participant, scene_key=from_key).update(completed_at=timezone.now())
        _resolve_branches(participant, definition)
    return True


def _store_answers(participant: Participant, scene_key: str, answers: dict) -> None:
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(participant=participant, scene_key=scene_key, question_id=question_id, value=value)
            for question_id, value in answers.items()
        ]
    )


def _resolve_branches(participant: Participant, definition: Definition) -> None:
    """Replace branch placeholders at the participant's position with the scenes their answers pick."""
    changed = False
    while participant.current_key and is_branch_key(participant.current_key):
        key = participant.current_key
        branch = definition.branch(base_id(key))
        chosen = resolve_branch(branch, key, selectors.participant_answers(participant=participant), _system_random)
        participant.plan[participant.position : participant.position + 1] = chosen
        changed = True
    if changed:
        Participant.objects.filter(pk=participant.pk).update(plan=participant.plan)


def participant_end(*, participant: Participant, definition: Definition, outcome: str) -> bool:
    """Staff end a participant's session with an outcome (never "completed": that is earned). Their waits end,
    their seat in a running game drops (the game's dropout policy applies for the others) and their page is sent
    to the ending. False if the session had already ended."""
    if outcome == COMPLETED or outcome not in OUTCOMES:
        raise ValueError(f"staff cannot end a session as {outcome!r}")
    if participant.is_finished:
        return False
    participant_finish(participant=participant, definition=definition, outcome=outcome)
    if participant.status != outcome:  # another ending won the race
        return False
    hooks.session_ended(participant=participant, definition=definition, outcome=outcome)
    return True


def participant_finish(
    *, participant: Participant, definition: Definition, outcome: str, witnessed: bool = True
) -> CompletionCode | None:
    """End the flow with an outcome, once; returns the issued code (None when the outcome issues none).

    `witnessed=False`: the ending rests on a browser's word (a runtime error it reports), so no unique code."""
    now = timezone.now()
    with transaction.atomic():
        if Participant.objects.filter(pk=participant.pk, status=ACTIVE).update(status=outcome, finished_at=now):
            participant.status, participant.finished_at = outcome, now
            return completion_code_issue(
                participant=participant, definition=definition, outcome=outcome, witnessed=witnessed
            )
    participant.refresh_from_db()
    return CompletionCode.objects.filter(participant=participant).first()


def completion_code_issue(
    *, participant: Participant, definition: Definition, outcome: str, witnessed: bool = True
) -> CompletionCode | None:
    """Issue the participant's code for an outcome: a fixed code, or a fresh unique one (retried on a clash) when
    the server witnessed the ending; a browser's claim gets a unique code never (a fixed one if configured)."""
    config = definition.outcome(outcome)
    if not config.issue_code:
        return None
    if config.code:
        return CompletionCode.objects.create(participant=participant, outcome=outcome, code=config.code, is_fixed=True)
    if not earns_unique_code(outcome, witnessed=witnessed):
        return None
    for _ in range(5):
        try:
            with transaction.atomic():
                return CompletionCode.objects.create(participant=participant, outcome=outcome, code=_new_code())
        except IntegrityError:
            continue
    raise ApplicationError("could not issue a unique completion code")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def participant_enforce_time_limit(*, participant: Participant, definition: Definition) -> bool:
    """Finish an active participant who ran past the experiment's time limit; returns True if it did."""
    limit = definition.time_limit_minutes
    if participant.is_finished or not limit:
        return False
    if timezone.now() - participant.created_at <= timedelta(minutes=limit):
        return False
    participant_finish(participant=participant, definition=definition, outcome=TIMED_OUT)
    return True


# The loading milestones a game page reports (scene_visit_milestone), each stored on its SceneVisit.
MILESTONE_FIELDS = {"ready": "runtime_ready_at", "start": "start_pressed_at"}
MILESTONES_PER_WINDOW = 30  # reports per participant per window (a page sends two per game scene and load)
MILESTONE_WINDOW_S = 600
LOAD_DEADLINE_STAGE = "load-deadline"  # the stage of the runtime error the server's own load deadline records


class MilestoneRefused(ApplicationError):
    """A milestone report that cannot be taken (not on that game scene, over the rate); nothing is stored."""

    status = 409


def scene_visit_milestone(*, participant: Participant, definition: Definition, scene_key, milestone) -> None:
    """Store when (the server's clock) the page reached a loading milestone on the participant's current game scene:
    its runtime "ready", or "start" pressed (which implies ready). A forged report changes only what staff see for
    this participant and spares their visit the server's load deadline; it never gives an outcome or a code."""
    if not isinstance(milestone, str) or milestone not in MILESTONE_FIELDS:
        raise ApplicationError(f"milestone must be one of {tuple(MILESTONE_FIELDS)}")
    if not _milestone_counted(participant):
        raise MilestoneRefused("too many reports; try again later", status=429)
    if participant.is_finished or not isinstance(scene_key, str) or scene_key != participant.current_key:
        raise MilestoneRefused("the participant is not on this scene")
    if not isinstance(definition.scene(base_id(scene_key)), GymScene):
        raise MilestoneRefused("milestones are reported on game scenes")
    now = timezone.now()
    values = {MILESTONE_FIELDS[milestone]: now}
    if milestone == "start":  # the ready report may have been lost: a Start press proves it
        values["runtime_ready_at"] = Coalesce(F("runtime_ready_at"), Value(now, output_field=DateTimeField()))
    if not SceneVisit.objects.filter(participant=participant, scene_key=scene_key, completed_at=None).update(**values):
        raise MilestoneRefused("this scene's page was never shown to the participant")


def _milestone_counted(participant: Participant) -> bool:
    """Count one report in the participant's fixed window (the shared cache, as entry.py counts starts); keyed by
    their secret token, never reused, rather than a row id that a rebuilt database hands out again."""
    owner = hashlib.sha256(participant.token.encode()).hexdigest()[:32]
    key = f"mug:milestones:{int(time.time() // MILESTONE_WINDOW_S)}:{owner}"
    cache.add(key, 0, timeout=MILESTONE_WINDOW_S + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired or evicted between add and incr
        cache.set(key, 1, timeout=MILESTONE_WINDOW_S + 60)
        count = 1
    return count <= MILESTONES_PER_WINDOW


def participant_load_deadline_sweep(*, now=None) -> list[int]:
    """End with the study's runtime_error outcome (no unique code) every participant on a single-player or server
    game scene whose page reported no runtime ready within the scene's `load_timeout_s` plus
    MUG_LOAD_DEADLINE_SLACK_S, on the server's clock from entering the scene: a page whose JavaScript died or that
    was closed while loading ends as the page's own deadline would have ended it. Group scenes are left to the
    relay's load grace (their seats drop by the dropout policy). Returns whom it ended; safe in several processes."""
    now = now or timezone.now()
    slack = settings.MUG_LOAD_DEADLINE_SLACK_S
    ended = []
    for visit in selectors.load_deadline_candidates(entered_before=now - timedelta(seconds=slack)):
        participant = visit.participant
        definition = registry.get_experiment(participant.experiment.slug)
        if definition is None or participant.current_key != visit.scene_key:
            continue
        scene = definition.scene(base_id(visit.scene_key))
        if not isinstance(scene, GymScene) or len(scene.human_agents()) >= 2:
            continue
        limit_s = scene.load_timeout_s + slack
        if (now - visit.entered_at).total_seconds() < limit_s:
            continue
        if participant_load_deadline_end(
            participant=participant, definition=definition, visit=visit, limit_s=limit_s, now=now
        ):
            ended.append(participant.pk)
    return ended


def participant_load_deadline_end(
    *, participant: Participant, definition: Definition, visit: SceneVisit, limit_s: float, now
) -> bool:
    """End the participant with runtime_error if they are still on the visit's scene and its page has still reported
    no runtime ready (one conditional update: a report arriving meanwhile, or another ending, wins). The error is
    kept with the participant, as a page's own report is (stage "load-deadline"). True if this call ended them."""
    message = f"the page reported no runtime ready within {limit_s:.0f} s of entering the scene (the server's clock)"
    not_ready = SceneVisit.objects.filter(pk=visit.pk, runtime_ready_at=None, start_pressed_at=None)
    with transaction.atomic():
        still_loading = Participant.objects.filter(pk=participant.pk, status=ACTIVE, position=visit.position)
        if not still_loading.filter(Exists(not_ready)).update(status=RUNTIME_ERROR, finished_at=now):
            return False
        participant.refresh_from_db()
        participant.runtime_errors = [
            *participant.runtime_errors,
            {"scene": visit.scene_key, "stage": LOAD_DEADLINE_STAGE, "message": message},
        ]
        Participant.objects.filter(pk=participant.pk).update(runtime_errors=participant.runtime_errors)
        completion_code_issue(participant=participant, definition=definition, outcome=RUNTIME_ERROR, witnessed=False)
    logger.warning("load deadline: participant %s at %s: %s", participant.pk, visit.scene_key, message)
    hooks.session_ended(participant=participant, definition=definition, outcome=RUNTIME_ERROR)
    return True
