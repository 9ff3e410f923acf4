"""Writes and reads for gym scenes: runtime state for the client, chunk ingest, completion and runtime errors."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from experiments.gameplay_models import COMPLETE, INTERRUPTED, OPEN, Episode, Step, StepChunk
from experiments.gym_scene import GymScene
from experiments.ingest import Chunk, ChunkError
from experiments.models import Participant
from experiments.outcomes import RUNTIME_ERROR
from experiments.runtime_bundle import scene_bundle
from experiments.stager import base_id

logger = logging.getLogger(__name__)
MAX_ATTEMPTS_PER_EPISODE = 5


def gym_scene_state(*, participant: Participant, scene_key: str, scene: GymScene) -> dict[str, Any]:
    """Where the participant stands in this scene: episodes done, the next attempt, the next chunk seq, seeds."""
    episodes = Episode.objects.filter(participant=participant, scene_key=scene_key)
    last_index = episodes.aggregate(last=Max("index"))["last"]
    last_seq = StepChunk.objects.filter(participant=participant, scene_key=scene_key).aggregate(last=Max("seq"))["last"]
    return {
        "episodes_done": episodes.filter(status=COMPLETE).count(),
        "next_episode": 0 if last_index is None else last_index + 1,
        "next_seq": 0 if last_seq is None else last_seq + 1,
        "seeds": scene.seeds(participant.seed),
    }


def gym_scene_complete(*, participant: Participant, scene_key: str, scene: GymScene) -> bool:
    """True once every episode of the scene has arrived whole on the server."""
    done = Episode.objects.filter(participant=participant, scene_key=scene_key, status=COMPLETE).count()
    return done >= scene.num_episodes


def chunk_ingest(*, participant: Participant, definition, chunk: Chunk) -> dict[str, Any]:
    """Store a chunk once; a re-sent chunk is acknowledged again; anything inconsistent raises ChunkError."""
    scene = _current_gym_scene(participant, definition, chunk.scene_key)
    with transaction.atomic():
        # Serialise a participant's uploads (PostgreSQL row lock); SQLite serialises writers anyway.
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        existing = StepChunk.objects.filter(participant=participant, scene_key=chunk.scene_key, seq=chunk.seq).first()
        if existing:
            if existing.digest != chunk.digest:
                raise ChunkError(f"chunk {chunk.seq} was already stored with different content", status=409)
            return _ack(participant, chunk, existing.episode, duplicate=True)
        episode = _episode_for(participant, scene, chunk)
        if chunk.first_frame != episode.n_steps:
            raise ChunkError(f"chunk {chunk.seq} starts at frame {chunk.first_frame}; expected {episode.n_steps}", 409)
        _store(episode, chunk)
    return _ack(participant, chunk, episode, duplicate=False)


def _current_gym_scene(participant: Participant, definition, scene_key: str) -> GymScene:
    if participant.is_finished or participant.current_key != scene_key:
        raise ChunkError(f"the participant is not at scene {scene_key!r}", status=409)
    scene = definition.scene(base_id(scene_key))
    if not isinstance(scene, GymScene):
        raise ChunkError(f"scene {scene_key!r} is not a game", status=409)
    return scene


def _episode_for(participant: Participant, scene: GymScene, chunk: Chunk) -> Episode:
    episode = Episode.objects.filter(participant=participant, scene_key=chunk.scene_key, index=chunk.episode).first()
    if episode is None:
        return _episode_start(participant, scene, chunk)
    if episode.status != OPEN:
        raise ChunkError(f"episode {chunk.episode} is {episode.status}; it takes no more rows", status=409)
    return episode


def _episode_start(participant: Participant, scene: GymScene, chunk: Chunk) -> Episode:
    state = gym_scene_state(participant=participant, scene_key=chunk.scene_key, scene=scene)
    if chunk.episode != state["next_episode"]:
        raise ChunkError(f"episode {chunk.episode} is out of order; expected {state['next_episode']}", status=409)
    done = state["episodes_done"]
    if done >= scene.num_episodes or chunk.episode >= scene.num_episodes * MAX_ATTEMPTS_PER_EPISODE:
        raise ChunkError("this scene takes no more episodes", status=409)
    seed = state["seeds"][done]
    if chunk.meta.get("seed") != seed:
        raise ChunkError(f"episode {chunk.episode} must be played with the server's seed {seed}", status=400)
    # A new attempt means the previous one was cut short (a reload): keep its rows, mark it interrupted.
    Episode.objects.filter(participant=participant, scene_key=chunk.scene_key, status=OPEN).update(
        status=INTERRUPTED, ended_at=timezone.now()
    )
    bundle = scene_bundle(scene)
    return Episode.objects.create(
        participant=participant,
        scene_key=chunk.scene_key,
        index=chunk.episode,
        seed=seed,
        env=scene.env,
        code_hash=bundle.code_hash,
        runtime=_small(chunk.meta.get("runtime")),
        reset_data=_small(chunk.meta.get("reset")),
    )


def _small(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _store(episode: Episode, chunk: Chunk) -> None:
    Step.objects.bulk_create(
        [
            Step(
                episode=episode,
                frame=row["frame"],
                client_time=row.get("t", 0),
                focused=row.get("focused", True),
                late_ms=row.get("late_ms", 0),
                actions=row["actions"],
                rewards=row["rewards"],
                terminated=row["terminated"],
                truncated=row["truncated"],
                infos=row["infos"],
                observations=row.get("obs"),
            )
            for row in chunk.rows
        ]
    )
    episode.n_steps += len(chunk.rows)
    if chunk.final:
        episode.status, episode.ended_at = COMPLETE, timezone.now()
    episode.save(update_fields=["n_steps", "status", "ended_at"])
    StepChunk.objects.create(
        participant=episode.participant,
        scene_key=chunk.scene_key,
        seq=chunk.seq,
        episode=episode,
        first_frame=chunk.first_frame,
        n_rows=len(chunk.rows),
        final=chunk.final,
        digest=chunk.digest,
    )


def _ack(participant: Participant, chunk: Chunk, episode: Episode, duplicate: bool) -> dict[str, Any]:
    episodes_done = Episode.objects.filter(participant=participant, scene_key=chunk.scene_key, status=COMPLETE).count()
    return {"ack": chunk.seq, "duplicate": duplicate, "episode_status": episode.status, "episodes_done": episodes_done}


def runtime_error_record(*, participant: Participant, definition, scene_key: str, stage: str, message: str) -> bool:
    """The game could not load or crashed in the browser: log it and end the flow with the error outcome.

    Returns False (nothing recorded) unless the participant is playing that game scene now.
    """
    from experiments.services import participant_finish

    try:
        _current_gym_scene(participant, definition, scene_key)
    except ChunkError:
        return False
    logger.warning("runtime error for participant %s at %s (%s): %s", participant.pk, scene_key, stage, message[:500])
    participant.runtime_errors = [*participant.runtime_errors, {"scene": scene_key, "stage": stage[:40],
                                                                 "message": message[:2000]}]  # fmt: skip
    Participant.objects.filter(pk=participant.pk).update(runtime_errors=participant.runtime_errors)
    participant_finish(participant=participant, definition=definition, outcome=RUNTIME_ERROR)
    return True
