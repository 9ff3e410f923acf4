"""The relay's one HTTP endpoint: a group-game page says it is unloading (sent with keepalive from its pagehide, when
its game socket, which lives in the worker, can no longer be relied on to carry a last message)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from experiments.flow.identity import cookie_token
from experiments.flow.jsonbody import BadJson, parse_json
from netcode import handlers
from netcode.services import GameRefused

MAX_BODY = 1024


@require_POST
def game_unloading(request: HttpRequest, slug: str) -> JsonResponse:
    if len(request.body) > MAX_BODY:
        raise GameRefused("request too large", 400)
    try:
        body = parse_json(request.body or b"{}")
    except BadJson as error:
        raise GameRefused(f"the body must be JSON: {error}", 400) from None
    scene_key = body.get("scene_key") if isinstance(body, dict) else None
    if not isinstance(scene_key, str):
        raise GameRefused("unloading needs the game's scene_key", 400)
    return JsonResponse(handlers.relay_unloading(slug=slug, token=cookie_token(request, slug), scene_key=scene_key))
