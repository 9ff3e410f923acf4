"""Writes and reads for gym scenes: runtime state for the client, chunk ingest, completion and runtime errors."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from experiments.definition.gym_scene import SKIP, GymScene
from experiments.definition.outcomes import DROPPED_OUT, PARTNER_DROPPED, RUNTIME_ERROR
from experiments.definition.runtime_bundle import scene_bundle
from experiments.definition.stager import base_id
from experiments.flow import hooks
from experiments.flow.models import Participant
from experiments.flow.queries import lock_rows, one_or_none
from experiments.flow.services import participant_finish
from experiments.gamedata.ingest import Chunk, ChunkError
from experiments.gamedata.models import COMPLETE, INTERRUPTED, OPEN, PENDING, VERIFIED, Episode, StepChunk
from experiments.gamedata.provenance import scene_provenance
from experiments.gamedata.stepinsert import steps_insert
from experiments.gamedata.verification_rows import row_spec, rows_check
from matchmaking.models import TIMED_OUT
from matchmaking.selectors import participant_entry

logger = logging.getLogger(__name__)
MAX_ATTEMPTS_PER_EPISODE = 5
GAME_ENDINGS = (PARTNER_DROPPED, DROPPED_OUT)  # flows ended by a group game, whose rows may still be uploading


WITNESSED_ONLY = (
    "episodes of group and server-side games are created and ended by the server (the relay or the game host), "
    "not through this endpoint"
)


def gym_scene_complete(*, participant: Participant, scene_key: str, scene: GymScene) -> bool:
    """True once every episode of the scene has arrived whole and the server saw it happen: the relay stamped its
    end, the server game host stepped it, or a worker verified the single-player browser episode by replay. With
    reload_policy "skip", a round cut short by a reload counts as played."""
    verified = _episodes_verified(participant, scene_key)
    if scene.reload_policy == SKIP and not witnessed_only(scene):
        verified += Episode.objects.filter(participant=participant, scene_key=scene_key, status=INTERRUPTED).count()
    return verified >= scene.num_episodes


def _episodes_verified(participant: Participant, scene_key: str) -> int:
    episodes = Episode.objects.filter(participant=participant, scene_key=scene_key, status=COMPLETE)
    return episodes.filter(verification=VERIFIED).count()


def _episodes_done(participant: Participant, scene_key: str) -> int:
    """Episodes that count or may still count (whole, and verified or waiting for the check)."""
    episodes = Episode.objects.filter(participant=participant, scene_key=scene_key, status=COMPLETE)
    return episodes.filter(verification__in=[PENDING, VERIFIED]).count()


def episodes_progress(*, participant: Participant, scene_key: str) -> dict[str, int]:
    """How many of the scene's episodes are verified and how many wait for the check (the page waits for them)."""
    episodes = Episode.objects.filter(participant=participant, scene_key=scene_key, status=COMPLETE)
    verified = episodes.filter(verification=VERIFIED).count()
    return {"verified": verified, "checking": episodes.filter(verification=PENDING).count()}


def witnessed_only(scene: GymScene) -> bool:
    """Group (rollback) and server-side games: only the server itself creates and ends their episodes."""
    return scene.netcode is not None or scene.on_server


def episode_open(
    *,
    participant_id: int,
    scene: GymScene,
    scene_key: str,
    index: int,
    seed: int,
    runtime: dict | None = None,
    reset_data: dict | None = None,
) -> Episode:
    """A new record of an episode now starting, with what the scene ships (code hash, agents). Every episode is
    created here: by a browser's begin, for each seat of a group game, by a server game's host."""
    return Episode.objects.create(
        participant_id=participant_id,
        scene_key=scene_key,
        index=index,
        seed=seed,
        env=scene.env,
        code_hash=scene_bundle(scene).code_hash,
        policies=scene.agent_descriptions(),
        runtime=runtime or {},
        reset_data=reset_data or {},
        provenance=scene_provenance(scene),
    )


def episodes_interrupt(*, participant_ids: list[int], scene_key: str, index: int | None = None) -> int:
    """The open episodes of these participants in this scene will not end (a reload, a dropout, a crash, a game
    ended early): they become interrupted, their rows up to now kept (rows still on their way are accepted)."""
    episodes = Episode.objects.filter(participant_id__in=participant_ids, scene_key=scene_key, status=OPEN)
    if index is not None:
        episodes = episodes.filter(index=index)
    return episodes.update(status=INTERRUPTED, ended_at=timezone.now())


def episodes_witness(*, participant_ids: list[int], scene_key: str, index: int, report: dict) -> int:
    """The server witnessed these episodes end (the relay from its log, a server game's host by stepping them):
    they count. Only this, never a browser's word, makes a group or server episode count."""
    return Episode.objects.filter(participant_id__in=participant_ids, scene_key=scene_key, index=index).update(
        verification=VERIFIED, verification_report=report, verified_at=timezone.now()
    )


def episodes_add_rows(*, episode_ids: list[int], rows: int, final_by: str | None) -> int:
    """Rows the server stored itself (a server game's host): counted; `final_by` names the witness of the episode's
    end, which then counts at once (the server stepped every frame)."""
    changes: dict[str, Any] = {"n_steps": F("n_steps") + rows}
    if final_by is not None:
        now = timezone.now()
        changes.update(
            status=COMPLETE, ended_at=now, verification=VERIFIED, verified_at=now, verification_report={"by": final_by}
        )
    return Episode.objects.filter(pk__in=episode_ids, status=OPEN).update(**changes)


SUPERSEDED = "this study is open in another tab or window; please continue there"


class Superseded(ChunkError):
    """A begin from a page that another tab (or browser) of the same participant has taken over."""

    status = 409


def episode_begin(
    *, participant: Participant, definition, scene_key: str, tab: str | None = None
) -> tuple[Episode, int] | None:
    """Start the next episode attempt with the server's index, round and seed; None once every round is played.

    The round (from 1, never past `num_episodes`) is the server's: the scene's `reload_policy` says whether a round
    cut short by a reload is played again ("replay", same seed) or counts as played ("skip"). An attempt still open
    (a reload, or another tab taking over) becomes interrupted; its rows stay, and rows still on their way to it are
    accepted. `tab` names the page load: a tab that began an earlier attempt of this scene after which another tab
    began one has been taken over, and is refused (Superseded) instead of taking the game back.
    """
    scene = _current_gym_scene(participant, definition, scene_key)
    if witnessed_only(scene):
        raise ChunkError(WITNESSED_ONLY, status=409)
    with transaction.atomic():
        lock_rows(Participant.objects.filter(pk=participant.pk))  # one begin at a time
        episodes = Episode.objects.filter(participant=participant, scene_key=scene_key)
        if tab and _taken_over(episodes, tab):
            raise Superseded(SUPERSEDED)
        # The attempt still open is over: this begin comes from a reload or another tab. Interrupted first, so that
        # "skip" counts its round as used.
        episodes_interrupt(participant_ids=[participant.pk], scene_key=scene_key)
        used = _rounds_used(participant, scene_key, scene)
        attempts = episodes.count()
        if used >= scene.num_episodes or attempts >= scene.num_episodes * MAX_ATTEMPTS_PER_EPISODE:
            return None
        episode = episode_open(
            participant_id=participant.pk,
            scene=scene,
            scene_key=scene_key,
            index=attempts,
            seed=scene.seeds(participant.seed)[used],
            runtime={"tab": tab[:64]} if tab else None,
        )
        return episode, used + 1


def _taken_over(episodes, tab: str) -> bool:
    """This tab began an attempt before, and the latest attempt is another tab's."""
    latest = episodes.order_by("-index").values_list("runtime", flat=True).first()
    if latest is None or not isinstance(latest, dict) or latest.get("tab") in (None, tab[:64]):
        return False
    return any(
        isinstance(runtime, dict) and runtime.get("tab") == tab[:64]
        for runtime in episodes.values_list("runtime", flat=True)
    )


def _rounds_used(participant: Participant, scene_key: str, scene: GymScene) -> int:
    """Rounds played or being checked; with reload_policy "skip", rounds cut short too."""
    used = _episodes_done(participant, scene_key)
    if scene.reload_policy == SKIP:
        used += Episode.objects.filter(participant=participant, scene_key=scene_key, status=INTERRUPTED).count()
    return used


def chunk_ingest(*, participant: Participant, definition, chunk: Chunk) -> dict[str, Any]:
    """Store a chunk once; a re-sent chunk is acknowledged again; anything inconsistent raises ChunkError.

    A group game that ended early for this participant still takes the confirmed rows on their way.
    """
    scene = _current_gym_scene(participant, definition, chunk.scene_key, ended_game_ok=True)
    if scene.on_server:  # the host stores every frame it stepped; a browser has nothing to add
        raise ChunkError(WITNESSED_ONLY, status=409)
    sizes = rows_check(row_spec(scene), chunk.rows, chunk.first_frame)
    with transaction.atomic():
        # Serialise a participant's uploads (PostgreSQL row lock); SQLite serialises writers anyway.
        lock_rows(Participant.objects.filter(pk=participant.pk))
        episodes = Episode.objects.filter(participant=participant, scene_key=chunk.scene_key)
        episode = one_or_none(episodes.filter(index=chunk.episode))
        if episode is None:
            raise ChunkError(f"episode {chunk.episode} was never begun", status=409)
        existing = one_or_none(StepChunk.objects.filter(episode=episode, number=chunk.number))
        if existing:
            if existing.digest != chunk.digest:
                raise ChunkError(f"chunk {chunk.number} of episode {chunk.episode} was stored with other content", 409)
            return _ack(participant, chunk, episode, duplicate=True)
        if episode.status == COMPLETE:
            raise ChunkError(f"episode {chunk.episode} is complete; it takes no more rows", status=409)
        if chunk.first_frame != episode.n_steps:
            expected = episode.n_steps
            raise ChunkError(f"chunk {chunk.number} starts at frame {chunk.first_frame}; expected {expected}", 409)
        if scene.netcode is not None:
            _logged_actions_check(episode, chunk.rows)
        if chunk.final and not _episode_over(_last_row(episode, chunk), scene):
            raise ChunkError(
                f"chunk {chunk.number} is marked final, but its last row does not end episode "
                f"{chunk.episode} (every agent terminated or truncated, or the last step)"
            )
        size = sum(sizes) + (len(json.dumps(chunk.meta)) if chunk.number == 0 else 0)
        _check_quota(participant, size)
        # Never more episodes waiting or verified than the scene has (an old attempt finished late is kept, unchecked).
        verify = (
            chunk.final
            and episode.status == OPEN
            and not witnessed_only(scene)
            and _episodes_done(participant, chunk.scene_key) < scene.num_episodes
        )
        _store(episode, chunk, size, verify=verify)
    return _ack(participant, chunk, episode, duplicate=False)


def _logged_actions_check(episode: Episode, rows: list[dict[str, Any]]) -> None:
    """A group game's rows carry the actions the relay logged: it witnessed them. A frame it has not logged (yet) is
    left to the exact replay from its log, as are rewards and observations, which only a replay can tell."""
    if not rows:
        return
    logged = hooks.group_actions(episode, rows[0]["frame"], rows[-1]["frame"])
    for row in rows:
        frame, actions = row["frame"], row["actions"]
        for agent, frames in logged.items():
            if frame in frames and agent in actions and actions[agent] != frames[frame]:
                raise ChunkError(f"frame {frame}: the action of {agent!r} is not the one the relay logged", 409)


def _check_quota(participant: Participant, size: int) -> None:
    """One participant's step rows stay under MUG_MAX_PARTICIPANT_BYTES (checked under the participant's lock)."""
    stored = Episode.objects.filter(participant=participant).aggregate(total=Sum("n_bytes"))["total"] or 0
    limit = settings.MUG_MAX_PARTICIPANT_BYTES
    if stored + size > limit:
        raise ChunkError(f"this participant has stored {stored} bytes of game data; the limit is {limit}", 413)


def _last_row(episode: Episode, chunk: Chunk) -> dict[str, Any] | None:
    if chunk.rows:
        return chunk.rows[-1]
    return episode.steps.order_by("-frame").values("frame", "terminated", "truncated").first()


def _episode_over(row: dict[str, Any] | None, scene: GymScene) -> bool:
    """Whether the episode ends with this row, as the game loop decides (mug.loop): every agent terminated or
    truncated, or the scene's last step. A final chunk that leaves the episode running is forged or broken."""
    if row is None:
        return False
    if scene.max_steps and row["frame"] + 1 >= scene.max_steps:
        return True
    terminated, truncated = row["terminated"], row["truncated"]
    agents = set(terminated) | set(truncated)
    return bool(agents) and all(terminated.get(agent) or truncated.get(agent) for agent in agents)


def _current_gym_scene(participant: Participant, definition, scene_key: str, ended_game_ok: bool = False) -> GymScene:
    finished = participant.is_finished and not (ended_game_ok and participant.status in GAME_ENDINGS)
    if finished or participant.current_key != scene_key:
        raise ChunkError(f"the participant is not at scene {scene_key!r}", status=409)
    scene = definition.scene(base_id(scene_key))
    if not isinstance(scene, GymScene):
        raise ChunkError(f"scene {scene_key!r} is not a game", status=409)
    return scene_as_played(participant, scene_key, scene)


def scene_as_played(participant: Participant, scene_key: str, scene: GymScene) -> GymScene:
    """The scene, or its solo variant once the participant's wait ended in PlayWithAI."""
    solo = scene.solo_variant()
    if solo is None:
        return scene
    entry = participant_entry(participant=participant, scene_key=scene_key)
    return solo if entry is not None and entry.status == TIMED_OUT else scene


def _store(episode: Episode, chunk: Chunk, size: int, verify: bool) -> None:
    steps_insert(episode.pk, chunk.rows)
    fields = ["n_steps", "n_bytes"]
    episode.n_steps += len(chunk.rows)
    episode.n_bytes += size
    if chunk.number == 0:  # what the browser reports about itself and reset(), sent with the first chunk
        tab = {"tab": episode.runtime["tab"]} if "tab" in episode.runtime else {}  # the page load that began it
        episode.runtime, episode.reset_data = (
            {**_small(chunk.meta.get("runtime")), **tab},
            _small(chunk.meta.get("reset")),
        )
        fields += ["runtime", "reset_data"]
    if chunk.final and episode.status == OPEN:
        # An interrupted attempt stays interrupted even if its end arrives (a tab taken over played on, or a reload
        # right at the end whose begin came first): a newer attempt holds its round, and no two overlap.
        episode.status, episode.ended_at = COMPLETE, timezone.now()
        fields += ["status", "ended_at"]
    if (
        verify
    ):  # a single-player browser episode counts once a worker has replayed it (experiments/gamedata/verification.py)
        episode.verification, episode.verify_queued_at = PENDING, episode.ended_at
        fields += ["verification", "verify_queued_at"]
    episode.save(update_fields=fields)
    StepChunk.objects.create(
        episode=episode,
        number=chunk.number,
        first_frame=chunk.first_frame,
        n_rows=len(chunk.rows),
        final=chunk.final,
        digest=chunk.digest,
    )


def _small(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _ack(participant: Participant, chunk: Chunk, episode: Episode, duplicate: bool) -> dict[str, Any]:
    return {
        "episode": chunk.episode,
        "ack": chunk.number,
        "duplicate": duplicate,
        "episode_status": episode.status,
        "episodes_done": _episodes_done(participant, chunk.scene_key),
        "verification": episode.verification,
    }


def runtime_error_record(*, participant: Participant, definition, scene_key: str, stage: str, message: str) -> bool:
    """The game could not load or crashed in the browser: log it and end the flow with the error outcome.

    Returns False (nothing recorded) unless the participant is playing that game scene now.
    """

    try:
        _current_gym_scene(participant, definition, scene_key)
    except ChunkError:
        return False
    participant_runtime_error(
        participant=participant, definition=definition, scene_key=scene_key, stage=stage, message=message
    )
    if participant.status == RUNTIME_ERROR:  # the session ended early: a group game ends for every seat (netcode)
        hooks.session_ended(participant=participant, definition=definition, outcome=RUNTIME_ERROR)
    return True


def participant_runtime_error(
    *, participant: Participant, definition, scene_key: str, stage: str, message: str, witnessed: bool = False
):
    """Keep the error with the participant and end their flow with the error outcome. Only an error the server
    witnessed (`witnessed=True`: a server game's env raising) may carry a unique code; a browser's report never."""

    logger.warning("runtime error for participant %s at %s (%s): %s", participant.pk, scene_key, stage, message[-800:])
    participant.runtime_errors = [
        *participant.runtime_errors,
        {"scene": scene_key, "stage": stage[:40], "message": message[-2000:]},
    ]
    Participant.objects.filter(pk=participant.pk).update(runtime_errors=participant.runtime_errors)
    participant_finish(participant=participant, definition=definition, outcome=RUNTIME_ERROR, witnessed=witnessed)
