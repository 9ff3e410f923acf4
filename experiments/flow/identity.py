"""Who a browser is: the participant cookie (signed, per experiment), and the experiment and participant a request or
socket belongs to."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from experiments.definition import registry
from experiments.flow import selectors, services
from experiments.flow.models import Experiment
from experiments.flow.queries import one_or_none

COOKIE_SALT = "mug.participant"


def experiment_or_404(slug: str):
    """The experiment's row and its definition; a definition never synced is synced now."""
    definition = registry.get_experiment(slug)
    if definition is None:
        raise Http404("No such study.")
    experiment = one_or_none(Experiment.objects.filter(slug=slug))
    if experiment is None or not experiment.in_code:
        experiment = services.experiment_sync(definition=definition)
    return experiment, definition


def cookie_name(slug: str) -> str:
    return f"mug_{slug}"


def cookie_token(request: HttpRequest, slug: str) -> str | None:
    return request.get_signed_cookie(
        cookie_name(slug), default=None, salt=COOKIE_SALT, max_age=settings.MUG["PARTICIPANT_COOKIE_MAX_AGE"]
    )


def set_participant_cookie(response: HttpResponse, slug: str, token: str) -> None:
    response.set_signed_cookie(
        cookie_name(slug),
        token,
        salt=COOKIE_SALT,
        max_age=settings.MUG["PARTICIPANT_COOKIE_MAX_AGE"],
        path=reverse("experiments:enter", kwargs={"slug": slug}),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def token_from_cookies(cookies: dict[str, str], slug: str) -> str | None:
    """The participant token in a WebSocket handshake's cookies, verified like `get_signed_cookie` does."""
    request = HttpRequest()  # Django's own signed-cookie check, whatever its salt scheme
    request.COOKIES = cookies
    return cookie_token(request, slug)


def participant_for(request: HttpRequest, slug: str):
    """(experiment, definition, participant or None) for this browser."""
    experiment, definition = experiment_or_404(slug)
    participant = selectors.participant_by_token(experiment=experiment, token=cookie_token(request, slug))
    return experiment, definition, participant
