"""Writes of monitoring during play: each report from the game page updates what the server knows (hidden since,
last input, since when the game socket's round trips have been too slow) and gets the verdict: nothing, a
warning, or the exclusion (which ends the session like a staff action: the seat in a group game drops with its
dropout policy). A sweep on the server's own clock (`monitor_sweep`, run by experiments/flow/sweeps.py) excludes a
participant whose tab stays hidden past the limit, from the last report it has: a tab that never comes back (closed,
frozen, offline) is decided too, and a partner does not wait for it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from experiments.definition import registry
from experiments.definition.errors import ApplicationError
from experiments.definition.gym_scene import GymScene
from experiments.definition.monitoring import EXCLUDE, WARN, seconds_since
from experiments.definition.outcomes import EXCLUDED
from experiments.definition.stager import base_id
from experiments.flow import hooks
from experiments.flow.models import ACTIVE, MonitorState, Participant
from experiments.flow.services import participant_end

EVENTS = ("start", "hidden", "visible", "input", "alive")
EVENTS_KEPT = 200


class MonitorRefused(ApplicationError):
    """A report that cannot be taken (no monitoring, not playing a game, unknown event); nothing is stored."""

    status = 409


def monitor_report(*, participant: Participant, definition, event: Any) -> dict[str, Any]:

    monitoring = definition.monitoring
    key = participant.current_key
    if participant.status == EXCLUDED and monitoring is not None:
        # Excluded meanwhile (the sweep, while the tab was away, or staff): the page goes to its ending.
        return _excluded(definition, getattr(_state_or_none(participant), "excluded_for", ""))
    if monitoring is None or participant.is_finished or key is None:
        raise MonitorRefused("nothing is monitored for this browser")
    if not isinstance(definition.scene(base_id(key)), GymScene):
        raise MonitorRefused("monitoring runs during games")
    if event not in EVENTS:
        raise MonitorRefused(f"event must be one of {EVENTS}")
    with transaction.atomic():  # reports arrive concurrently: each reads and writes the state alone
        level, reason = _judge(participant, monitoring, key, event)
    if level == EXCLUDE and participant_end(participant=participant, definition=definition, outcome=EXCLUDED):
        return _excluded(definition, reason)
    return {"warning": reason} if level == WARN else {"ok": True}


def monitor_sweep(*, now=None) -> list[int]:
    """Exclude every active participant whose tab has been hidden past their study's `hidden_exclude_s`, judged on
    the server's clock from the last report (the page may never report again). Returns whom it excluded. Safe to
    run in several processes at once: each state is judged under its row lock and a session ends once."""
    now = now or timezone.now()
    excluded = []
    candidates = MonitorState.objects.filter(hidden_since__isnull=False, excluded_for="", participant__status=ACTIVE)
    for state_id, slug in candidates.values_list("pk", "participant__experiment__slug"):
        definition = registry.get_experiment(slug)
        if definition is None or definition.monitoring is None or definition.monitoring.hidden_exclude_s is None:
            continue
        with transaction.atomic():
            reason = _sweep_one(state_id, definition.monitoring.hidden_exclude_s, now)
        if reason:
            participant = Participant.objects.get(monitor__pk=state_id)
            if participant_end(participant=participant, definition=definition, outcome=EXCLUDED):
                excluded.append(participant.pk)
    return excluded


def _sweep_one(state_id: int, exclude_s: float, now) -> str:
    """The exclusion's reason if this state (locked, read again) is still hidden past the limit, else ''."""
    state = MonitorState.objects.select_for_update().select_related("participant").filter(pk=state_id).first()
    if state is None or state.excluded_for or state.participant.status != ACTIVE:
        return ""
    hidden_for = seconds_since(state.hidden_since, now)
    if hidden_for is None or hidden_for < exclude_s or state.participant.current_key != state.scene_key:
        return ""
    state.excluded_for = f"the study's tab was hidden for {hidden_for:.0f} s"
    state.events = [*state.events[-(EVENTS_KEPT - 1) :], [now.isoformat(), "sweep", EXCLUDE]]
    state.save(update_fields=["excluded_for", "events"])
    return state.excluded_for


def _excluded(definition, reason: str) -> dict[str, Any]:
    return {"excluded": True, "reason": reason, "next": reverse("experiments:flow", kwargs={"slug": definition.slug})}


def _state_or_none(participant: Participant) -> MonitorState | None:
    return MonitorState.objects.filter(participant=participant).first()


def _judge(participant: Participant, monitoring, key: str, event: str) -> tuple[str, str]:
    now = timezone.now()
    state = _state(participant, key, now)
    hidden_for = seconds_since(state.hidden_since, now)
    if event == "hidden":
        state.hidden_since = state.hidden_since or now
    elif event in ("visible", "alive"):  # the page sends "alive" only while visible: a lost "visible" heals
        state.hidden_since = None
    elif event in ("input", "start"):
        state.last_input_at = now
    inactive_for = 0.0 if hidden_for is not None else seconds_since(state.last_input_at, now)
    rtt_ms = hooks.latency_now(participant, key, now)
    if rtt_ms is not None:  # no reading (no socket game, or none lately) leaves the slow clock as it was
        state.slow_since = (state.slow_since or now) if monitoring.is_slow(rtt_ms) else None
    level, reason = monitoring.verdict(
        hidden_for=hidden_for,
        inactive_for=inactive_for,
        state={
            "event": event,
            "hidden_for": hidden_for,
            "inactive_for": inactive_for,
            "warnings": state.warnings,
            "rtt_ms": rtt_ms,
            "slow_for": seconds_since(state.slow_since, now),
        },
    )
    state.warnings += level == WARN
    state.events = [*state.events[-(EVENTS_KEPT - 1) :], [now.isoformat(), event, level]]
    if level == EXCLUDE:
        state.excluded_for = reason
    state.save()
    return level, reason


def _state(participant: Participant, key: str, now) -> MonitorState:
    state, created = MonitorState.objects.select_for_update().get_or_create(
        participant=participant, defaults={"scene_key": key, "last_input_at": now}
    )
    if not created and state.scene_key != key:  # a new game scene: the clocks start again
        state.scene_key, state.hidden_since, state.last_input_at, state.slow_since = key, None, now, None
    return state
