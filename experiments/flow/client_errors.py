"""Errors participants' pages catch, stored for the live monitor: rate-limited per participant, bounded in size,
and never more than text (what a browser sends is data, shown escaped)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from experiments.definition.errors import ApplicationError
from experiments.flow.models import ClientError, Participant

KINDS = ("error", "rejection", "console")
PER_WINDOW = 20  # errors kept per participant per window; the rest are counted as dropped
WINDOW = timedelta(minutes=10)


class ClientErrorRefused(ApplicationError):
    """A report the page may not store (malformed, or no participant)."""


def client_error_record(*, participant: Participant, report: Any) -> bool:
    """Store one report; False when the participant already sent their share for now (nothing stored)."""
    if not isinstance(report, dict) or report.get("kind") not in KINDS or not isinstance(report.get("message"), str):
        raise ClientErrorRefused("send kind (error, rejection or console) and a message")
    recent = ClientError.objects.filter(participant=participant, at__gte=timezone.now() - WINDOW).count()
    if recent >= PER_WINDOW:
        return False
    ClientError.objects.create(
        participant=participant,
        kind=report["kind"],
        message=report["message"][:2000],
        scene_key=(participant.current_key or "")[:200],
    )
    return True
