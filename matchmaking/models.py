"""The waiting queue and the matches, in the database so that every server process sees the same state."""

from __future__ import annotations

from django.db import models


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PROPOSED = "proposed", "Asked to confirm"
    MATCHED = "matched", "Matched"
    LEFT = "left", "Left"
    TIMED_OUT = "timed_out", "Timed out"


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", "Awaiting confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


WAITING, PROPOSED, MATCHED = EntryStatus.WAITING, EntryStatus.PROPOSED, EntryStatus.MATCHED
LEFT, TIMED_OUT = EntryStatus.LEFT, EntryStatus.TIMED_OUT
CONFIRMED, CANCELLED = MatchStatus.CONFIRMED, MatchStatus.CANCELLED


class Room(models.Model):
    """One waiting room: a game scene key of an experiment. `swept_at` lets one process at a time sweep it."""

    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="rooms")
    scene_key = models.CharField(max_length=200)
    swept_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "scene_key"], name="one_room_per_scene")]
        permissions = [("release_room", "Can release waiting rooms (end every wait now)")]

    def __str__(self) -> str:
        return f"{self.experiment.slug}/{self.scene_key}"


class Match(models.Model):
    """A group: proposed, then confirmed once every member acknowledged (or cancelled)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="matches")
    status = models.CharField(max_length=16, choices=MatchStatus.choices, default=MatchStatus.PROPOSED, db_index=True)
    matcher = models.JSONField(default=dict, help_text="The matcher and its settings.")
    seed = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ack_deadline = models.DateTimeField()
    host = models.CharField(
        max_length=32, blank=True, help_text="The server process (worker) that hosts the game's sockets, if routed."
    )

    class Meta:
        verbose_name_plural = "matches"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"match {self.pk} in {self.room}"


class MatchMember(models.Model):
    """One participant's seat in a match, with what was measured when the match formed."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="members")
    participant = models.ForeignKey("experiments.Participant", on_delete=models.CASCADE, related_name="matches")
    agent = models.CharField(max_length=100, help_text="The env agent this participant plays.")
    waited_s = models.FloatField()
    rtt_ms = models.FloatField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["match", "agent"]
        constraints = [
            models.UniqueConstraint(fields=["match", "participant"], name="one_seat_per_member"),
            models.UniqueConstraint(fields=["match", "agent"], name="one_member_per_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} as {self.agent}"


class WaitingEntry(models.Model):
    """A participant in a room. One per participant and room: a reload or a second tab finds the same entry,
    so the place in the queue (`joined_at`) is kept."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="entries")
    participant = models.ForeignKey("experiments.Participant", on_delete=models.CASCADE, related_name="waiting")
    status = models.CharField(max_length=16, choices=EntryStatus.choices, default=WAITING, db_index=True)
    joined_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    connected = models.BooleanField(default=True)
    channel_name = models.CharField(max_length=200, blank=True, help_text="The socket currently serving it.")
    rtt_ms = models.FloatField(null=True, blank=True)
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "waiting entries"
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["room", "participant"], name="one_entry_per_room")]

    def __str__(self) -> str:
        return f"{self.participant} in {self.room}"
