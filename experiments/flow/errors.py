"""Where an ApplicationError becomes a reply: an HTTP JSON answer with its status (the middleware, for every
view), or a socket's error message. Anything else that escapes is a bug: logged, and answered without detail."""

from __future__ import annotations

import logging

from django.http import JsonResponse

from experiments.definition.errors import ApplicationError

logger = logging.getLogger(__name__)
SERVER_FAULT = "the server could not handle this message"


def http_reply(error: ApplicationError) -> JsonResponse:
    return JsonResponse({"error": str(error)}, status=error.status)


def socket_reply(error: Exception) -> str:
    """The text of the socket's error message (the consumer sends it in its protocol's error shape)."""
    if isinstance(error, ApplicationError):
        return str(error)
    logger.error("a socket handler failed", exc_info=error)
    return SERVER_FAULT


class ApplicationErrorMiddleware:
    """Every view may raise an ApplicationError: the client gets its message and status as JSON."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):
            return http_reply(exception)
        return None
