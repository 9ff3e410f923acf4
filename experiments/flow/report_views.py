"""Small JSON endpoints of participant pages: the screening (a server-timed ping, the measurements for the
verdict), monitoring reports during play, a game page's loading milestones, and errors the pages caught. Refusals
are ApplicationErrors, answered by experiments/flow/errors.py."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from experiments.flow.client_errors import ClientErrorRefused, client_error_record
from experiments.flow.identity import participant_for
from experiments.flow.jsonbody import BadJson, parse_json
from experiments.flow.monitoring import MonitorRefused, monitor_report
from experiments.flow.screening import ScreeningRefused, needs_screening, screening_ping, screening_submit
from experiments.flow.services import MilestoneRefused, scene_visit_milestone

MAX_BODY = 4096


def _screened_participant(request: HttpRequest, slug: str):
    _, definition, participant = participant_for(request, slug)
    if participant is None or not needs_screening(participant, definition):
        raise ScreeningRefused("no screening is due for this browser")
    if len(request.body) > MAX_BODY:
        raise ScreeningRefused("request too large")
    try:
        body = parse_json(request.body or b"{}")
    except BadJson as error:
        raise ScreeningRefused(f"the body must be JSON: {error}") from error
    if not isinstance(body, dict):
        raise ScreeningRefused("the body must be a JSON object")
    return definition, participant, body


@require_POST
def ping(request: HttpRequest, slug: str) -> JsonResponse:
    _, participant, body = _screened_participant(request, slug)
    return JsonResponse({"nonce": screening_ping(participant=participant, nonce=body.get("nonce"))})


@require_POST
def submit(request: HttpRequest, slug: str) -> JsonResponse:
    definition, participant, body = _screened_participant(request, slug)
    result = screening_submit(
        participant=participant, definition=definition, reported=body, user_agent=request.headers.get("User-Agent", "")
    )
    return JsonResponse({"passed": result.passed, "next": reverse("experiments:flow", kwargs={"slug": slug})})


@require_POST
def monitor(request: HttpRequest, slug: str) -> JsonResponse:
    _, definition, participant = participant_for(request, slug)
    if participant is None or len(request.body) > MAX_BODY:
        raise MonitorRefused("no monitoring for this browser")
    try:
        body = parse_json(request.body or b"{}")
    except BadJson as error:
        raise MonitorRefused(str(error)) from None
    event = body.get("event") if isinstance(body, dict) else None
    return JsonResponse(monitor_report(participant=participant, definition=definition, event=event))


@require_POST
def client_error(request: HttpRequest, slug: str) -> JsonResponse:
    """An error the page caught; stored (up to a share per participant) for the live monitor."""
    _, _, participant = participant_for(request, slug)
    if participant is None or len(request.body) > MAX_BODY:
        raise ClientErrorRefused("no participant, or too large")
    stored = client_error_record(participant=participant, report=parse_json(request.body or b"{}"))
    return JsonResponse({"stored": stored}, status=200 if stored else 429)


@require_POST
def milestone(request: HttpRequest, slug: str) -> JsonResponse:
    """A game page reached a loading milestone ({"scene_key", "milestone": "ready" | "start"}), stored on the server's
    clock for the live monitor and the server's load deadline. A participant whose session has ended meanwhile (the
    load deadline, staff) gets 409 with `next`: the page shows the ending."""
    _, definition, participant = participant_for(request, slug)
    if participant is None:
        raise MilestoneRefused("no participant session", status=403)
    if len(request.body) > MAX_BODY:
        raise MilestoneRefused("request too large", status=400)
    body = parse_json(request.body or b"{}")
    if not isinstance(body, dict):
        raise MilestoneRefused("the body must be a JSON object", status=400)
    if participant.is_finished:
        flow = reverse("experiments:flow", kwargs={"slug": slug})
        return JsonResponse({"error": "this study has ended for you", "next": flow}, status=409)
    scene_visit_milestone(
        participant=participant, definition=definition, scene_key=body.get("scene_key"), milestone=body.get("milestone")
    )
    return JsonResponse({"ok": True})
