"""Writes of the entry screening: server-measured round trips, then the verdict on what the page measured."""

from __future__ import annotations

import time
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from experiments.definition.errors import ApplicationError
from experiments.definition.outcomes import SCREENED_OUT
from experiments.definition.screening import browser_of, device_of
from experiments.flow import selectors
from experiments.flow.models import Participant, ScreeningResult
from experiments.flow.services import participant_finish

PING_SALT = "mug.screening.ping"
MAX_SAMPLES = 20
PING_MAX_AGE_S = 10  # a timestamp older than this is not a round trip worth counting
clock_ns = time.monotonic_ns  # times the round trips (a test injects its own)
STUDY_FULL_REASON = "the study filled up while you were being screened"


class ScreeningRefused(ApplicationError):
    """A malformed or out-of-place screening request; nothing is stored."""

    status = 409


def needs_screening(participant: Participant, definition) -> bool:
    """True until the participant has passed the experiment's screening (if it has one)."""
    if definition.screening is None or participant.is_finished:
        return False
    return not ScreeningResult.objects.filter(participant=participant, passed=True).exists()


def screening_ping(*, participant: Participant, nonce: Any) -> str:
    """One server-measured round trip: the time since this server signed `nonce` (None for the first ping);
    returns the next nonce to send back."""
    result, _ = ScreeningResult.objects.get_or_create(participant=participant)
    if result.passed is not None:
        raise ScreeningRefused("this participant's screening is over")
    if nonce is not None:
        if not isinstance(nonce, str):
            raise ScreeningRefused("not a round trip this server started")
        try:
            sent_ns = signing.loads(nonce, salt=f"{PING_SALT}:{participant.pk}", max_age=PING_MAX_AGE_S)
        except signing.BadSignature as error:
            raise ScreeningRefused("not a round trip this server started") from error
        rtt_ms = (clock_ns() - sent_ns) / 1e6
        if rtt_ms >= 0 and len(result.rtt_ms) < MAX_SAMPLES:
            ScreeningResult.objects.filter(pk=result.pk).update(rtt_ms=[*result.rtt_ms, round(rtt_ms, 2)])
    return signing.dumps(clock_ns(), salt=f"{PING_SALT}:{participant.pk}")


def screening_submit(*, participant: Participant, definition, reported: Any, user_agent: str) -> ScreeningResult:
    """Judge the page's measurements with the server's own (device and browser from the request's User-Agent,
    the round trips it timed); a failure ends the flow with the `screened_out` ending."""

    if not isinstance(reported, dict):
        raise ScreeningRefused("measurements must be an object")
    result, _ = ScreeningResult.objects.get_or_create(participant=participant)
    if result.passed is not None:
        return result
    measurements = {
        "user_agent": user_agent[:300],
        "device": device_of(user_agent, reported.get("touch_points")),
        "browser": browser_of(user_agent),
        "width": _number(reported.get("width")),
        "height": _number(reported.get("height")),
        "webassembly": reported.get("webassembly") is True,
        "touch_points": _number(reported.get("touch_points")),
        "rtt_ms": result.rtt_ms,
        "runtime": _runtime_report(reported.get("runtime")),
    }
    reasons = definition.screening.evaluate(measurements)
    with transaction.atomic():
        # Passing the screening takes a quota slot (experiments/definition/quotas.py), under the experiment's row lock
        # as at entry and consent, so simultaneous passes never overfill the study.
        if not reasons and not selectors.quota_slot_free(participant=participant, definition=definition):
            reasons = [STUDY_FULL_REASON]
        updated = ScreeningResult.objects.filter(pk=result.pk, passed__isnull=True).update(
            passed=not reasons, reasons=reasons, measurements=measurements, finished_at=timezone.now()
        )
    result.refresh_from_db()
    if updated and reasons:
        participant_finish(participant=participant, definition=definition, outcome=SCREENED_OUT)
    return result


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 100_000:
        return None
    return value


def _runtime_report(runtime: Any) -> dict[str, Any] | None:
    """The pre-flight's report, reduced to checked numbers (frame times as percentiles)."""
    if not isinstance(runtime, dict):
        return None
    times = runtime.get("step_ms")
    times = sorted(t for t in times[:1000] if _number(t) is not None) if isinstance(times, list) else []
    if runtime.get("loaded") is not True or not times:
        return {"loaded": False, "error": str(runtime.get("error") or "no frames were stepped")[:300]}
    return {
        "loaded": True,
        "frames": len(times),
        "step_ms_p50": round(times[len(times) // 2], 3),
        "step_ms_p95": round(times[int(0.95 * (len(times) - 1))], 3),
    }
