"""The verification queue: single-player browser episodes wait in the database (pending) until a worker claims one,
replays it on the server and stores the verdict; a mismatch is handled by the experiment's policy.

The queue is the Episode table itself, so it survives restarts; a claim is a conditional update, so any number of
workers in any number of processes never check the same episode twice (a claim older than CLAIM_STALE_S belonged
to a worker that died and is taken over).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from experiments import registry
from experiments.gameplay import MAX_ATTEMPTS_PER_EPISODE
from experiments.gameplay_models import MISMATCH, PENDING, VERIFIED, VERIFY_ERROR, Episode
from experiments.models import ACTIVE, Participant
from experiments.outcomes import EXCLUDED
from experiments.replay import episode_replay
from experiments.services import participant_finish
from experiments.stager import base_id

logger = logging.getLogger(__name__)
CLAIM_STALE_S = 120.0  # far above one episode's replay (CartPole, 500 steps: ~0.1 s); only dead workers' claims age


def episode_check(*, episode: Episode) -> tuple[str, dict[str, Any]]:
    """The verifier, behind one function (a later verifier runs Pyodide under Node.js): replay the episode from its
    seed and actions; 'verified', 'mismatch' (the report names the first difference) or 'error'."""
    try:
        report = episode_replay(episode=episode, whole=True)
    except Exception as error:  # noqa: BLE001 (an env that cannot replay the upload is reported, never crashes us)
        logger.warning("verification of episode %s failed: %r", episode.pk, error)
        return VERIFY_ERROR, {"error": f"{type(error).__name__}: {error}"[:2000]}
    return (VERIFIED if report["status"] == "match" else MISMATCH), report


def verification_claim(*, worker: str) -> Episode | None:
    """Claim the oldest pending episode for `worker`, or None when nothing waits."""
    stale = timezone.now() - timedelta(seconds=CLAIM_STALE_S)
    free = Q(verify_claimed_at__isnull=True) | Q(verify_claimed_at__lt=stale)
    waiting = Episode.objects.filter(free, verification=PENDING).order_by("verify_queued_at", "pk")
    for pk in waiting.values_list("pk", flat=True)[:5]:
        claimed = Episode.objects.filter(free, pk=pk, verification=PENDING).update(
            verify_claimed_by=worker[:80], verify_claimed_at=timezone.now(), verify_runs=F("verify_runs") + 1
        )
        if claimed:  # won: no other worker's update matched the row after this one
            return Episode.objects.select_related("participant__experiment").get(pk=pk)
    return None


def verification_run_one(*, worker: str) -> Episode | None:
    """Claim one pending episode, check it and store the verdict; the episode, or None when the queue is empty."""
    episode = verification_claim(worker=worker)
    if episode is None:
        return None
    status, report = episode_check(episode=episode)
    episode_verdict_store(episode=episode, worker=worker, status=status, report=report)
    return episode


def verification_drain(*, worker: str = "inline") -> int:
    """Check every pending episode in this process (tests and the management command's --once); how many."""
    count = 0
    while verification_run_one(worker=worker) is not None:
        count += 1
    return count


def episode_verdict_store(*, episode: Episode, worker: str, status: str, report: dict[str, Any]) -> bool:
    """Store the verdict if the claim is still this worker's; a mismatch or failed check applies the policy."""
    with transaction.atomic():
        stored = Episode.objects.filter(pk=episode.pk, verification=PENDING, verify_claimed_by=worker[:80]).update(
            verification=status, verification_report={**report, "worker": worker}, verified_at=timezone.now()
        )
        if stored and status != VERIFIED:
            _mismatch_policy(episode)
    return bool(stored)


def _mismatch_policy(episode: Episode) -> None:
    """`exclude`: the flow ends as excluded. `replay`: the round is played again (episode_begin gives the same seed
    to the next attempt), unless the participant has used up the attempts, which excludes them too."""
    participant = Participant.objects.get(pk=episode.participant_id)
    definition = registry.get_experiment(participant.experiment.slug)
    if definition is None or participant.status != ACTIVE or participant.current_key != episode.scene_key:
        return
    scene = definition.scene(base_id(episode.scene_key))
    attempts = Episode.objects.filter(participant=participant, scene_key=episode.scene_key).count()
    if definition.verification == "replay" and attempts < scene.num_episodes * MAX_ATTEMPTS_PER_EPISODE:
        return
    logger.warning("participant %s excluded: episode %s did not verify", participant.pk, episode.pk)
    participant_finish(participant=participant, definition=definition, outcome=EXCLUDED)
