"""The live monitor's view of verification (a read): per experiment, how many episodes differ from their replay and
how many still wait for one, and the latest differing episodes with their first difference and admin page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from experiments.gamedata.models import COMPLETE, MISMATCH, PENDING, VERIFIED, Episode, Exactness

LATEST = 20
VERIFICATION_COUNTS = ("differs", "mismatch", "pending", "group_unchecked")

# What each count means. A group episode counts at once (the relay witnessed it) and waits for its exact replay
# from the relay's log until its participant has left the game scene.
_DIFFERS = Q(exactness=Exactness.DIFFERS)
_MISMATCH = Q(verification=MISMATCH)
_PENDING = Q(verification=PENDING)
_GROUP_UNCHECKED = Q(status=COMPLETE, verification=VERIFIED, exactness=Exactness.UNCHECKED, provenance__group=True)
_SHOWN = _DIFFERS | _MISMATCH


def verification_counts() -> dict[str, dict[str, int]]:
    """{experiment slug: {"differs", "mismatch", "pending", "group_unchecked"}}, one aggregate query over the
    episodes that are in any of these states; experiments with none are absent."""
    rows = (
        Episode.objects.filter(_SHOWN | _PENDING | _GROUP_UNCHECKED)
        .values("participant__experiment__slug")
        .annotate(
            differs=Count("pk", filter=_DIFFERS),
            mismatch=Count("pk", filter=_MISMATCH),
            pending=Count("pk", filter=_PENDING),
            group_unchecked=Count("pk", filter=_GROUP_UNCHECKED),
        )
        .order_by()
    )
    return {row.pop("participant__experiment__slug"): row for row in rows}


def latest_mismatches(limit: int = LATEST) -> list[dict[str, Any]]:
    """The latest episodes that differ (bit for bit in Pyodide, or in the check that decides whether they count),
    newest ended first, each with its first difference: frame, agent, field."""
    episodes = (
        Episode.objects.filter(_SHOWN)
        .select_related("participant__experiment")
        .only(
            "participant__external_id",
            "participant__experiment__slug",
            "scene_key",
            "index",
            "ended_at",
            "verification",
            "verification_report",
            "exactness",
            "exactness_report",
        )
        .order_by("-ended_at", "-pk")[:limit]
    )
    return [_mismatch(episode) for episode in episodes]


def _mismatch(episode: Episode) -> dict[str, Any]:
    participant = episode.participant
    # The exact verifier names the first difference under "difference"; the check that decides under "mismatch".
    if episode.exactness == Exactness.DIFFERS:
        found, check = episode.exactness_report.get("difference"), "exact"
    else:
        found, check = episode.verification_report.get("mismatch"), "verification"
    found = found if isinstance(found, dict) else {}
    return {
        "experiment": participant.experiment.slug,
        "participant": participant.external_id or participant.pk,
        "scene_key": episode.scene_key,
        "episode": episode.index,
        "check": check,
        "exactness": episode.exactness,
        "verification": episode.verification,
        "frame": found.get("frame"),
        "agent": found.get("agent"),
        "field": found.get("field"),
        "ended_at": episode.ended_at.isoformat() if episode.ended_at else None,
        "admin_url": reverse("admin:experiments_episode_change", args=[episode.pk]),
    }
