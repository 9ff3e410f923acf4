"""A multi-human game in the database: its seats, the authoritative input log, and what happened when."""

from __future__ import annotations

from django.db import models

from experiments.definition.netplay import BROWSER, SERVER


class GameStatus(models.TextChoices):
    PLAYING = "playing", "Playing"
    FINISHED = "finished", "Finished"
    ENDED = "ended", "Ended early"


class RunsOn(models.TextChoices):
    BROWSER = BROWSER, "Browsers (rollback)"
    SERVER = SERVER, "Server"


class SeatStatus(models.TextChoices):
    ACTIVE = "active", "Playing"
    DROPPED = "dropped", "Dropped out"


PLAYING, FINISHED, ENDED = GameStatus.PLAYING, GameStatus.FINISHED, GameStatus.ENDED
ACTIVE, DROPPED = SeatStatus.ACTIVE, SeatStatus.DROPPED


class Game(models.Model):
    """A game with seats: a confirmed match's rollback game (the episode counter moves only when every seat confirmed
    its end), or a server-side game (one human or a match) stepped by a process of the server."""

    match = models.OneToOneField(
        "matchmaking.Match", on_delete=models.CASCADE, related_name="game", null=True, blank=True
    )
    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE, related_name="games", null=True)
    scene_key = models.CharField(max_length=200)
    runs_on = models.CharField(max_length=16, choices=RunsOn.choices, default=RunsOn.BROWSER)
    status = models.CharField(max_length=16, choices=GameStatus.choices, default=PLAYING, db_index=True)
    episode = models.PositiveIntegerField(default=0, help_text="The episode being played, from 0.")
    seeds = models.JSONField(help_text="The seed of every episode, decided by the server.")
    netcode = models.JSONField(default=dict, help_text="Input delay, window, prediction and dropout policy.")
    host = models.CharField(max_length=200, blank=True, help_text="Server games: the channel of the stepping host.")
    host_seen = models.DateTimeField(null=True, blank=True)
    frame = models.IntegerField(default=0, help_text="Server games: the last frame stored.")
    stats = models.JSONField(default=dict, blank=True, help_text="Server games: achieved frame rate and lateness.")
    error = models.TextField(blank=True, help_text="Server games: why the env stopped, if it crashed.")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"game {self.pk} ({self.scene_key})"


class GameSeat(models.Model):
    """One participant's place in a game, with how far the relay has their inputs and whether they are here."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="seats")
    participant = models.ForeignKey("experiments.Participant", on_delete=models.CASCADE, related_name="seats")
    agent = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=SeatStatus.choices, default=ACTIVE)
    acked = models.IntegerField(default=-1, help_text="Highest frame of this episode received with no gap.")
    local_frame = models.IntegerField(default=0, help_text="The frame the browser reported running.")
    connected = models.BooleanField(default=False)
    channel_name = models.CharField(max_length=200, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    hidden_since = models.DateTimeField(null=True, blank=True)
    absent_since = models.DateTimeField(null=True, blank=True, help_text="Hidden or disconnected since.")
    unloading_since = models.DateTimeField(
        null=True, blank=True, help_text="The page said it was unloading (a reload, a closed tab): held unload_grace_s."
    )
    replaced_from = models.IntegerField(null=True, blank=True, help_text="First frame played by the replacement.")
    ready_episode = models.IntegerField(
        default=-1, help_text="Last episode this seat's browser has reset for: each first frame waits for every seat."
    )
    done_episode = models.IntegerField(default=-1, help_text="Last episode whose confirmed end this seat reported.")
    done_frames = models.IntegerField(default=0)
    done_checksum = models.CharField(max_length=32, blank=True)
    checks = models.JSONField(default=dict, help_text="Recent checksums of confirmed frames: {frame: hex}.")
    rtt_ms = models.FloatField(null=True, blank=True, help_text="Round trip timed by the server (recent median).")
    rtt_at = models.DateTimeField(null=True, blank=True, help_text="When the round trip was last timed.")
    client_stats = models.JSONField(default=dict, blank=True, help_text="What the browser reports: fps, rollbacks.")
    ai_acked = models.JSONField(
        default=dict,
        blank=True,
        help_text="The seat that drives relayed AI agents: {agent: highest frame received with no gap} this episode.",
    )

    class Meta:
        ordering = ["game", "id"]
        constraints = [
            models.UniqueConstraint(fields=["game", "agent"], name="one_player_per_agent"),
            models.UniqueConstraint(fields=["game", "participant"], name="one_seat_per_participant"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} in {self.game}"


class GameInput(models.Model):
    """One player's input for one frame: the first one received is the one everybody plays (first write wins)."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="inputs")
    episode = models.PositiveIntegerField()
    frame = models.PositiveIntegerField()
    agent = models.CharField(max_length=100)
    action = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["game", "episode", "frame", "agent"]
        constraints = [models.UniqueConstraint(fields=["game", "episode", "frame", "agent"], name="first_input_wins")]

    def __str__(self) -> str:
        return f"{self.agent}@{self.frame}"


class GameEvent(models.Model):
    """Something that happened in a game, stamped with the episode and frame (dropouts, ends, desyncs, rejoins)."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="events")
    episode = models.PositiveIntegerField()
    frame = models.IntegerField()
    kind = models.CharField(max_length=32)
    agent = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["game", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.episode}:{self.frame}"
