"""Step-level game data: episodes, the uploaded chunks (for idempotency) and one row per step."""

from __future__ import annotations

from django.db import models

# The columns of a step row after its episode, in the order exports and the bulk insert use.
STEP_FIELDS = (
    "frame",
    "client_time",
    "focused",
    "late_ms",
    "predicted",
    "rollback_depth",
    "actions",
    "rewards",
    "terminated",
    "truncated",
    "infos",
    "observations",
)


class EpisodeStatus(models.TextChoices):
    OPEN = "open", "In progress"
    COMPLETE = "complete", "Complete"
    INTERRUPTED = "interrupted", "Interrupted"


class ReplayStatus(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked"
    MATCH = "match", "Matches"
    MISMATCH = "mismatch", "Differs"
    ERROR = "error", "Error"


class Verification(models.TextChoices):
    """Whether the server saw the episode happen: the relay or the server game host witnessed its end (verified at
    once), or a worker replayed a single-player browser episode from its seed and actions (pending until then)."""

    UNSUBMITTED = "", "Not yet ended"
    PENDING = "pending", "Waiting for the check"
    VERIFIED = "verified", "Verified"
    MISMATCH = "mismatch", "Differs from the replay"
    ERROR = "error", "Check failed"


class Exactness(models.TextChoices):
    """The verdict of the verifier that runs the participants' interpreter (Pyodide under Node.js): every stored
    value recomputed and compared bit for bit, no tolerance (experiments/gamedata/exact_verifier.py)."""

    UNCHECKED = "", "Not checked"
    EXACT = "exact", "Exact"
    DIFFERS = "differs", "Differs"
    NOT_VERIFIABLE = "unverifiable", "Not verifiable"


OPEN, COMPLETE, INTERRUPTED = EpisodeStatus.OPEN, EpisodeStatus.COMPLETE, EpisodeStatus.INTERRUPTED
UNSUBMITTED, PENDING, VERIFIED = Verification.UNSUBMITTED, Verification.PENDING, Verification.VERIFIED
MISMATCH, VERIFY_ERROR = Verification.MISMATCH, Verification.ERROR


class Episode(models.Model):
    """One attempt at one episode of a gym scene; the seed and code hash are the server's, not the client's."""

    participant = models.ForeignKey("experiments.Participant", on_delete=models.CASCADE, related_name="episodes")
    scene_key = models.CharField(max_length=200)
    index = models.PositiveIntegerField(help_text="Attempt number within the scene, from 0.")
    seed = models.BigIntegerField()
    env = models.CharField(max_length=200)
    code_hash = models.CharField(max_length=64)
    policies = models.JSONField(
        default=dict, help_text="Who chose each agent's actions: human, random, a Python policy or a model (sha256)."
    )
    runtime = models.JSONField(default=dict, help_text="What the browser reported: Python and package versions.")
    reset_data = models.JSONField(default=dict, help_text="Observations and infos returned by reset().")
    status = models.CharField(max_length=16, choices=EpisodeStatus.choices, default=OPEN)
    n_steps = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    replay_status = models.CharField(max_length=16, choices=ReplayStatus.choices, default=ReplayStatus.UNCHECKED)
    replay_report = models.JSONField(default=dict, blank=True)
    verification = models.CharField(
        max_length=16,
        choices=Verification.choices,
        default=UNSUBMITTED,
        blank=True,
        help_text="Only verified episodes count towards completing the scene.",
    )
    verification_report = models.JSONField(default=dict, blank=True)
    verify_queued_at = models.DateTimeField(null=True, blank=True)
    verify_claimed_by = models.CharField(max_length=80, blank=True, help_text="The worker checking it now.")
    verify_claimed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verify_runs = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker claimed it.")
    n_bytes = models.PositiveBigIntegerField(default=0, help_text="Bytes of step rows stored (their JSON).")
    exactness = models.CharField(
        max_length=16,
        choices=Exactness.choices,
        default=Exactness.UNCHECKED,
        blank=True,
        help_text="Recomputed in Pyodide (the participants' interpreter) and compared bit for bit.",
    )
    exactness_report = models.JSONField(
        default=dict, blank=True, help_text="The first difference (frame, agent, field, both values) or the reason."
    )
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="The runtime the episode was served: Pyodide, packages and their hashes, the code bundle's key.",
    )

    class Meta:
        ordering = ["participant", "scene_key", "index"]
        permissions = [("run_replay", "Can replay episodes on the server")]
        constraints = [
            models.UniqueConstraint(fields=["participant", "scene_key", "index"], name="one_episode_per_attempt")
        ]
        indexes = [models.Index(fields=["verification", "verify_queued_at"], name="episode_verify_queue")]

    def __str__(self) -> str:
        return f"{self.participant} {self.scene_key} #{self.index}"


class StepChunk(models.Model):
    """An accepted upload, numbered within its episode; the number makes re-sends idempotent."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_frame = models.PositiveIntegerField()
    n_rows = models.PositiveIntegerField()
    final = models.BooleanField(default=False)
    digest = models.CharField(max_length=64, help_text="sha256 of the chunk's canonical JSON.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["episode", "number"]
        constraints = [models.UniqueConstraint(fields=["episode", "number"], name="one_chunk_per_number")]

    def __str__(self) -> str:
        return f"chunk {self.number} of {self.episode}"


class Step(models.Model):
    """One frame of one episode: every agent's action, reward, flags, flattened infos and observation."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="steps")
    frame = models.PositiveIntegerField()
    client_time = models.FloatField(help_text="Browser clock (ms since the page loaded) when the frame ran.")
    focused = models.BooleanField(default=True)
    late_ms = models.FloatField(default=0, help_text="How late the frame ran against the fixed clock.")
    predicted = models.BooleanField(
        default=False, help_text="Group games: the participant saw this frame with a partner's input guessed."
    )
    rollback_depth = models.PositiveSmallIntegerField(
        default=0, help_text="Group games: how many frames the deepest correction after showing it rewound."
    )
    actions = models.JSONField()
    rewards = models.JSONField()
    terminated = models.JSONField()
    truncated = models.JSONField()
    infos = models.JSONField(default=dict)
    observations = models.JSONField(null=True)

    class Meta:
        ordering = ["episode", "frame"]
        constraints = [models.UniqueConstraint(fields=["episode", "frame"], name="one_step_per_frame")]

    def __str__(self) -> str:
        return f"frame {self.frame}"


class RecordedBundle(models.Model):
    """What a browser episode ran, kept by content: the shipped files, the loop configuration and the packages, so
    the verifier replays the recorded code even after the study's code changed."""

    key = models.CharField(max_length=64, primary_key=True, help_text="sha256 of the code hash, loop and packages.")
    code_hash = models.CharField(max_length=64)
    files = models.JSONField()
    loop = models.JSONField()
    packages = models.JSONField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"bundle {self.key[:12]}"
