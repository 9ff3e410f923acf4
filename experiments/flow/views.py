"""Participant pages: entry from a recruitment link, then one flow URL that shows the current scene."""

from __future__ import annotations

from types import MappingProxyType

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from experiments.definition.errors import ApplicationError
from experiments.definition.gym_scene import GymScene
from experiments.definition.scenes import SubmissionError
from experiments.definition.seat_content import SeatParticipant
from experiments.definition.stager import base_id
from experiments.flow import hooks, participant_reads, selectors, services
from experiments.flow.entry import client_address, entry_start_count
from experiments.flow.identity import cookie_token, experiment_or_404, set_participant_cookie
from experiments.flow.models import Participant
from experiments.flow.platforms import entry_fields, parse_entry, return_instructions, return_path
from experiments.flow.screening import needs_screening

NO_SESSION_MESSAGE = "We could not find your session. Please open the study again from the link you were given."
PREVIEW_MESSAGE = "Accept the HIT to begin. The study starts as soon as you accept it."
LANDING_MESSAGE = "Press Start when you are ready to begin."
TOO_MANY_MESSAGE = "Too many studies were started from your network just now. Please try again in a few minutes."


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/pages/home.html")


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, slug: str) -> HttpResponse:
    """The stable entry link. A GET only shows a landing page (link previews and crawlers create nothing) or sends
    a browser already bound to this study to its flow; the page's Start (a POST, rate-limited per client address)
    binds this browser to a participant."""
    experiment, definition = experiment_or_404(slug)
    query = request.POST if request.method == "POST" else request.GET
    try:
        params = parse_entry(query, strict=settings.MUG_STRICT_RECRUITMENT_IDS)
    except ApplicationError as error:
        return _message(request, experiment, "This link does not work", str(error), status=400)
    if params.is_preview:
        return _message(request, experiment, experiment.title, PREVIEW_MESSAGE)
    token = cookie_token(request, slug)
    if request.method == "GET":
        own = selectors.participant_by_token(experiment=experiment, token=token)
        if own and (not params.external_id or params.external_id == own.external_id):
            return redirect("experiments:flow", slug=slug)
        context = {"experiment": experiment, "message": LANDING_MESSAGE, "fields": entry_fields(query)}
        return render(request, "frontend/pages/landing.html", context)
    wait_s = entry_start_count(address=client_address(request))
    if wait_s is not None:
        response = _message(request, experiment, "Please wait a moment", TOO_MANY_MESSAGE, status=429)
        response["Retry-After"] = str(wait_s)
        return response
    result = services.participant_enter(
        experiment=experiment,
        definition=definition,
        params=params,
        token=token,
        user_agent=request.headers.get("User-Agent", ""),
    )
    if result.refusal:
        return _message(request, experiment, "You cannot start this study", result.refusal, status=403)
    response = redirect("experiments:flow", slug=slug)
    if result.new_token:
        set_participant_cookie(response, slug, result.participant.token)
    return response


@require_http_methods(["GET", "POST"])
def flow(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the participant's current scene (GET) or take its submission (POST, then redirect)."""
    experiment, definition = experiment_or_404(slug)
    participant = selectors.participant_by_token(experiment=experiment, token=cookie_token(request, slug))
    if participant is None:
        return _message(request, experiment, "Session not found", NO_SESSION_MESSAGE, status=403)
    services.participant_enforce_time_limit(participant=participant, definition=definition)
    if participant.is_finished:
        return _finished(request, experiment, definition, participant)
    if needs_screening(participant, definition):  # before anything else, a forged scene post included
        return _screening(request, experiment, definition, participant)
    if request.method == "POST":
        return _submit(request, experiment, definition, participant)
    key, scene = services.participant_current_scene(participant=participant, definition=definition)
    if participant.is_finished:  # the scene was the EndScene
        return _finished(request, experiment, definition, participant)
    return _render_scene(request, experiment, definition, participant, key, scene)


def _submit(request, experiment, definition, participant) -> HttpResponse:
    key = request.POST.get("scene_key", "")
    data = {name: request.POST.getlist(name) for name in request.POST}
    try:
        services.participant_submit(participant=participant, definition=definition, scene_key=key, data=data)
    except SubmissionError as error:
        scene = definition.scene(base_id(key))
        return _render_scene(
            request, experiment, definition, participant, key, scene, errors=error.errors, values=data, status=400
        )
    return redirect("experiments:flow", slug=experiment.slug)


def _render_scene(request, experiment, definition, participant, key, scene, errors=None, values=None, status=200):
    is_game = isinstance(scene, GymScene)
    if is_game:
        scene = hooks.game_scenes().as_played(participant, key, scene)
    preload = {} if is_game else hooks.game_scenes().preload(request, experiment, definition, participant)
    context = {
        "runtime": hooks.game_scenes().page_config(request, experiment, participant, key, scene) if is_game else None,
        "seat_bodies": scene.seat_bodies(_seat_participant(participant)) if is_game else {},
        **preload,
        "experiment": experiment,
        "scene": scene,
        "scene_key": key,
        "progress": _progress(participant),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, scene.template_name, context, status=status)


def _seat_participant(participant: Participant) -> SeatParticipant:
    """The read-only view of a participant that a scene's per-seat content function gets (no token)."""
    conditions = MappingProxyType({str(name): str(arm) for name, arm in (participant.conditions or {}).items()})
    return SeatParticipant(
        id=participant.pk, source=participant.source, external_id=participant.external_id, conditions=conditions
    )


def _screening(request, experiment, definition, participant) -> HttpResponse:
    config = {
        **definition.screening.client(),
        "ping_url": reverse("experiments:screening-ping", kwargs={"slug": experiment.slug}),
        "submit_url": reverse("experiments:screening-submit", kwargs={"slug": experiment.slug}),
        "runtime": _preflight_config(request, experiment, definition, participant),
    }
    context = {"experiment": experiment, "screening": config, "progress": 0}
    return render(request, "frontend/scenes/screening.html", context)


def _preflight_config(request, experiment, definition, participant) -> dict | None:
    """The runtime pre-flight: the study's first in-browser game, loaded and stepped on the screening page."""
    screening = definition.screening
    # the participant's own first in-browser game: its code is theirs to load (participant_reads)
    game = next(iter(participant_reads.browser_games(participant, definition)), None)
    if not screening.runtime_check or game is None:
        return None
    config = hooks.game_scenes().page_config(request, experiment, participant, game.scene_id, game)
    return {"game": config, "frames": screening.runtime_frames, "timeout_s": screening.runtime_timeout_s}


def _finished(request, experiment, definition, participant: Participant) -> HttpResponse:
    code = getattr(participant, "completion_code", None)
    code_text = code.code if code else ""
    outcome = definition.outcome(participant.status)
    end_scene = definition.stager[-1] if participant.status == "completed" else None
    context = {
        "experiment": experiment,
        "scene": end_scene,
        "outcome": participant.status,
        "message": outcome.message,
        "code": code_text,
        "return_path": _return_path(participant, code_text, outcome.redirect, end_scene),
        # an ending without a code has nothing to submit: the participant returns the study on their platform
        "instructions": "" if code_text or end_scene else return_instructions(participant.source),
    }
    return render(request, "frontend/scenes/end.html", context)


def _return_path(participant, code, allowed, end_scene):
    if not allowed:
        return None
    return return_path(
        source=participant.source,
        code=code,
        assignment_id=participant.assignment_id,
        turk_submit_to=participant.turk_submit_to,
        custom_url=getattr(end_scene, "redirect_url", None),
    )


def _progress(participant: Participant) -> int:
    return round(100 * participant.position / max(1, len(participant.plan) - 1))


def _message(request, experiment, title: str, message: str, status: int = 200) -> HttpResponse:
    context = {"experiment": experiment, "title": title, "message": message}
    return render(request, "frontend/pages/message.html", context, status=status)
