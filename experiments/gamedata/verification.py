"""The verification queue: single-player browser episodes wait in the database (pending) until a worker claims one,
replays it on the server and stores the verdict; a mismatch is handled by the experiment's policy. The replay runs in
the participants' interpreter when it can (exact_verifier.py: Pyodide under Node.js, compared bit for bit); an
episode it cannot replay there is stored as not verifiable, with the reason, and the native replay decides.

The queue is the Episode table itself, so it survives restarts; a claim is a conditional update, so any number of
workers in any number of processes never check the same episode twice (a claim older than CLAIM_STALE_S belonged
to a worker that died and is taken over).
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from experiments.definition import registry
from experiments.definition.outcomes import EXCLUDED
from experiments.definition.stager import base_id
from experiments.flow.models import ACTIVE, Participant
from experiments.flow.services import participant_finish
from experiments.gamedata.episodes import MAX_ATTEMPTS_PER_EPISODE
from experiments.gamedata.exact_verifier import NotVerifiable, episode_verify_exact, runtime_available
from experiments.gamedata.models import COMPLETE, MISMATCH, PENDING, VERIFIED, VERIFY_ERROR, Episode, Exactness
from experiments.gamedata.replay import episode_replay

logger = logging.getLogger(__name__)
BATCH = 8  # episodes claimed at once by a worker
CLAIM_STALE_S = 120.0  # far above one episode's replay (CartPole, 500 steps: ~0.1 s); only dead workers' claims age


EXACT_VERDICTS = {"exact": (VERIFIED, "match"), "differs": (MISMATCH, "mismatch")}


def episode_check(*, episode: Episode) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    """The verifier, behind one function: (verification, its report, exactness, its report). In Pyodide under
    Node.js when the episode can be replayed there ('verified' only when every stored value is the same bit for bit),
    otherwise natively from its seed and actions (within the native replay's tolerance)."""
    try:
        verdict = episode_verify_exact(episode)
    except NotVerifiable as reason:
        status, report = _native_check(episode)
        return status, report, Exactness.NOT_VERIFIABLE, {"reason": str(reason)}
    except Exception as error:  # noqa: BLE001 (the verifier's own failure: the native replay still decides)
        logger.exception("exact verification of episode %s failed", episode.pk)
        status, report = _native_check(episode)
        return status, report, Exactness.NOT_VERIFIABLE, {"reason": f"the verifier failed: {error!r}"[:2000]}
    if verdict.status == "error":
        # The replay in Pyodide did not finish (a timeout on a loaded machine, a package it could not install, the env
        # raising): the native replay decides, as for an episode Pyodide cannot replay, so a failure of the verifier
        # alone never ends a participant.
        status, report = _native_check(episode)
        return status, report, Exactness.NOT_VERIFIABLE, {"reason": verdict.report["error"], **verdict.report}
    status, replay_status = EXACT_VERDICTS[verdict.status]
    report = {"status": replay_status, "mismatch": verdict.report.get("difference"), **verdict.report}
    exactness = Exactness.EXACT if verdict.status == "exact" else Exactness.DIFFERS
    return status, report, exactness, verdict.report


def _native_check(episode: Episode) -> tuple[str, dict[str, Any]]:
    try:
        report = episode_replay(episode=episode, whole=True, store=False)
    except Exception as error:  # noqa: BLE001 (an env that cannot replay the upload is reported, never crashes us)
        logger.warning("verification of episode %s failed: %r", episode.pk, error)
        return VERIFY_ERROR, {"error": f"{type(error).__name__}: {error}"[:2000]}
    return (VERIFIED if report["status"] == "match" else MISMATCH), report


def verification_claim(*, worker: str, limit: int = 1) -> tuple[str, list[Episode]]:
    """Claim up to `limit` of the oldest pending episodes for `worker`: (the claim's token, the episodes won)."""
    token = f"{worker[:60]}/{uuid.uuid4().hex[:8]}"
    stale = timezone.now() - timedelta(seconds=CLAIM_STALE_S)
    free = Q(verify_claimed_at__isnull=True) | Q(verify_claimed_at__lt=stale)
    waiting = Episode.objects.filter(free, verification=PENDING).order_by("verify_queued_at", "pk")
    pks = list(waiting.values_list("pk", flat=True)[:limit])
    if not pks:
        return token, []
    # One conditional update: a row another worker claimed meanwhile no longer matches `free` and is not taken.
    Episode.objects.filter(free, pk__in=pks, verification=PENDING).update(
        verify_claimed_by=token, verify_claimed_at=timezone.now(), verify_runs=F("verify_runs") + 1
    )
    won = Episode.objects.filter(verify_claimed_by=token, verification=PENDING).order_by("verify_queued_at", "pk")
    return token, list(won.select_related("participant__experiment"))


def verification_run_one(*, worker: str, batch: int = BATCH) -> list[Episode]:
    """Claim up to `batch` pending episodes, check them and store the verdicts; the episodes (empty: none waits).
    Claims and verdicts are one write each per batch: under load the database's write lock is the scarce thing."""
    token, episodes = verification_claim(worker=worker, limit=batch)
    verdicts = _checked(episodes)
    if verdicts:
        with transaction.atomic():
            for episode, status, report, exact, exact_report in verdicts:
                episode_verdict_store(
                    episode=episode, worker=token, status=status, report=report, exact=exact, exact_report=exact_report
                )
    return episodes + (group_run_one(worker=worker, batch=batch) if not episodes else [])


def group_claim(*, worker: str, limit: int = 1) -> tuple[str, list[Episode]]:
    """Claim group-game episodes the relay witnessed, whose seat uploaded every row, for their exact replay."""
    token = f"{worker[:60]}/{uuid.uuid4().hex[:8]}"
    stale = timezone.now() - timedelta(seconds=CLAIM_STALE_S)
    free = Q(verify_claimed_at__isnull=True) | Q(verify_claimed_at__lt=stale)
    due = Q(status=COMPLETE, verification=VERIFIED, exactness=Exactness.UNCHECKED, provenance__group=True)
    waiting = Episode.objects.filter(free, due).select_related("participant").order_by("ended_at", "pk")
    # Only once the participant has left the game scene: no Pyodide boots beside a group game still being played.
    pks = [e.pk for e in waiting[: limit * 4] if e.participant.is_finished or e.participant.current_key != e.scene_key]
    pks = pks[:limit]
    if not pks:
        return token, []
    Episode.objects.filter(free, due, pk__in=pks).update(verify_claimed_by=token, verify_claimed_at=timezone.now())
    won = Episode.objects.filter(due, verify_claimed_by=token).order_by("ended_at", "pk")
    return token, list(won.select_related("participant__experiment"))


def group_run_one(*, worker: str, batch: int = BATCH) -> list[Episode]:
    """Replay claimed group episodes in Pyodide from the relay's log and store how exact each seat's rows are. The
    relay's witness already made them count: a difference is reported (admin, exports), not a policy."""
    if isinstance(runtime_available(), str):
        return []  # nothing here can replay them exactly; they stay unchecked for a server that can
    token, episodes = group_claim(worker=worker, limit=batch)
    for episode in episodes:
        try:
            verdict = episode_verify_exact(episode)
        except NotVerifiable as reason:
            exactness, report = Exactness.NOT_VERIFIABLE, {"reason": str(reason)}
        else:
            exactness = {"exact": Exactness.EXACT, "differs": Exactness.DIFFERS}.get(
                verdict.status, Exactness.NOT_VERIFIABLE
            )
            report = verdict.report if verdict.status != "error" else {"reason": verdict.report["error"]}
        Episode.objects.filter(pk=episode.pk, verify_claimed_by=token, exactness=Exactness.UNCHECKED).update(
            exactness=exactness, exactness_report=report
        )
    return episodes


def _checked(episodes: list[Episode]) -> list[tuple]:
    """Each episode with its verdicts; spread over this process's Node workers when it has several."""
    nodes = getattr(settings, "MUG_VERIFIER_NODES", 1)
    if nodes <= 1 or len(episodes) <= 1:
        return [(episode, *episode_check(episode=episode)) for episode in episodes]

    def check(episode: Episode) -> tuple:
        try:
            return (episode, *episode_check(episode=episode))
        finally:
            connections.close_all()  # this thread's own database connection

    with ThreadPoolExecutor(max_workers=nodes) as threads:
        return list(threads.map(check, episodes))


def verification_drain(*, worker: str = "inline") -> int:
    """Check every pending episode in this process (tests and the management command's --once); how many."""
    count = 0
    while checked := verification_run_one(worker=worker):
        count += len(checked)
    return count


def episode_verdict_store(
    *,
    episode: Episode,
    worker: str,
    status: str,
    report: dict[str, Any],
    exact: str = Exactness.UNCHECKED,
    exact_report: dict[str, Any] | None = None,
) -> bool:
    """Store the verdict if the claim is still this worker's; a mismatch or failed check applies the policy."""
    with transaction.atomic():
        stored = Episode.objects.filter(pk=episode.pk, verification=PENDING, verify_claimed_by=worker).update(
            verification=status,
            verification_report={**report, "worker": worker},
            verified_at=timezone.now(),
            replay_status=report.get("status", "error"),
            replay_report=report,
            exactness=exact,
            exactness_report=exact_report or {},
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
