"""Stored state: experiments synced from code, participants, scene visits, survey answers, completion codes."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

from experiments.definition.outcomes import OUTCOME_CHOICES

# A participant is in progress, or has ended with one of the outcomes (experiments/definition/outcomes.py).
ParticipantStatus = models.TextChoices(
    "ParticipantStatus",
    [("ACTIVE", ("active", "In progress")), *((v.upper(), (v, label)) for v, label in OUTCOME_CHOICES)],
)
Outcomes = models.TextChoices("Outcomes", [(v.upper(), (v, label)) for v, label in OUTCOME_CHOICES])
STATUS_CHOICES = ParticipantStatus.choices
ACTIVE = ParticipantStatus.ACTIVE


class Source(models.TextChoices):
    PROLIFIC = "prolific", "Prolific"
    MTURK = "mturk", "MTurk"
    PLAIN = "plain", "Plain link"


PROLIFIC, MTURK, PLAIN = Source.PROLIFIC, Source.MTURK, Source.PLAIN


def _new_seed() -> int:
    return secrets.randbelow(2**31)


class Experiment(models.Model):
    """The database side of an experiment defined in Python; synced from settings.MUG["EXPERIMENTS"]."""

    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Paused experiments accept no new participants.")
    in_code = models.BooleanField(default=True, help_text="Still listed in the MUG_EXPERIMENTS setting.")
    outline = models.JSONField(default=list, help_text="The stager as last synced.")
    definition_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Participant(models.Model):
    """One person's run through one experiment, bound to their browser by a secret token."""

    experiment = models.ForeignKey(Experiment, on_delete=models.PROTECT, related_name="participants")
    token = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PLAIN)
    external_id = models.CharField(max_length=128, blank=True, db_index=True, help_text="PROLIFIC_PID or workerId.")
    study_id = models.CharField(max_length=128, blank=True)
    session_id = models.CharField(max_length=128, blank=True)
    assignment_id = models.CharField(max_length=128, blank=True)
    hit_id = models.CharField(max_length=128, blank=True)
    turk_submit_to = models.URLField(blank=True)
    status = models.CharField(
        max_length=24, choices=ParticipantStatus.choices, default=ParticipantStatus.ACTIVE, db_index=True
    )
    plan = models.JSONField(default=list, help_text="Scene keys in this participant's order, drawn once.")
    conditions = models.JSONField(default=dict, blank=True, help_text="The arm of each Conditions node, assigned once.")
    position = models.PositiveIntegerField(default=0)
    seed = models.BigIntegerField(default=_new_seed, help_text="Drawn once; seeds this participant's episodes.")
    runtime_errors = models.JSONField(default=list, blank=True, help_text="Load or game errors the browser reported.")
    rebind_allowed = models.BooleanField(default=False, help_text="Let the next visit with this id take over.")
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Staff actions that change a participant's run; "change" is never granted here (the flow writes rows).
        permissions = [
            ("end_session", "Can end participants' sessions"),
            ("allow_rebind", "Can let a participant continue in a new browser"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "external_id"],
                condition=~Q(external_id=""),
                name="one_participant_per_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.external_id or f"participant {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status != ACTIVE

    @property
    def current_key(self) -> str | None:
        return self.plan[self.position] if self.position < len(self.plan) else None


class SceneVisit(models.Model):
    """A participant's time on one scene of their plan."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="visits")
    scene_key = models.CharField(max_length=200)
    scene_kind = models.CharField(max_length=32)
    position = models.PositiveIntegerField()
    entered_at = models.DateTimeField(auto_now_add=True)
    last_loaded_at = models.DateTimeField(auto_now=True)
    loads = models.PositiveIntegerField(default=1)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Loading milestones the page reported, on the server's clock (the latest report of each): what the live
    # monitor's stuck list tells apart, and the server's own load deadline (no runtime ready in time: runtime_error).
    runtime_ready_at = models.DateTimeField(null=True, blank=True, help_text="The page's runtime was ready.")
    start_pressed_at = models.DateTimeField(null=True, blank=True, help_text="The participant pressed Start.")

    class Meta:
        ordering = ["participant", "position"]
        constraints = [models.UniqueConstraint(fields=["participant", "scene_key"], name="one_visit_per_scene_key")]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.scene_key}"


class SurveyResponse(models.Model):
    """One validated answer to one question (consent is stored as the answer `consent`)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="responses")
    scene_key = models.CharField(max_length=200)
    question_id = models.CharField(max_length=64)
    value = models.JSONField(null=True)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "scene_key", "question_id"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.scene_key}.{self.question_id}"


class CompletionCode(models.Model):
    """The code a participant receives when their flow ends; issued once, by the server."""

    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="completion_code")
    outcome = models.CharField(max_length=24, choices=Outcomes.choices)
    code = models.CharField(max_length=64)
    is_fixed = models.BooleanField(default=False, help_text="A code shared by all with this outcome (e.g. Prolific's).")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(is_fixed=False), name="generated_codes_are_unique")
        ]

    def __str__(self) -> str:
        return self.code


class ScreeningResult(models.Model):
    """The entry screening of one participant: what was measured (the round trips by the server), the verdict."""

    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="screening")
    passed = models.BooleanField(null=True, help_text="Empty while the browser is still measuring.")
    reasons = models.JSONField(default=list, blank=True)
    measurements = models.JSONField(default=dict, blank=True)
    rtt_ms = models.JSONField(default=list, blank=True, help_text="Round trips measured by the server.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"screening of {self.participant}"


class MonitorState(models.Model):
    """Monitoring of a participant during play: what the server recorded and the last verdict."""

    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="monitor")
    scene_key = models.CharField(max_length=200)
    hidden_since = models.DateTimeField(null=True, blank=True)
    last_input_at = models.DateTimeField()
    slow_since = models.DateTimeField(null=True, blank=True, help_text="Round trips too slow since.")
    warnings = models.PositiveIntegerField(default=0)
    excluded_for = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, blank=True, help_text="The latest reports: [time, event, verdict].")

    def __str__(self) -> str:
        return f"monitoring of {self.participant}"


class ClientError(models.Model):
    """An error a participant's page caught (uncaught exceptions, console errors), kept for the live monitor."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="client_errors")
    scene_key = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20)
    message = models.TextField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"
