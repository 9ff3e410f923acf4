"""Per-seat page content: a GymScene's `in_game_body` or `after_body` given as "package.module:function".

The function is called as `function(agent, participant) -> str` on the server when the game page is served, once
for each human seat of the scene: `agent` is the seat's agent id as the env has it (an int for int-id envs),
`participant` a `SeatParticipant`. Its HTML is trusted as a plain `in_game_body` string is (shown unescaped), and is
in the page for every seat, hidden until the page learns its own seat (at once alone or with AI; when the relay or
the server game says so in a group): do not put there what one seat must not see of another's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from experiments.definition.errors import DefinitionError
from mug.adapters import EnvConfigError, load_callable

logger = logging.getLogger(__name__)

# A body that is exactly "package.module:function" (no spaces, no tags) names a callable; any other text is HTML.
CALLABLE_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
SEAT_FIELDS = ("in_game_body", "after_body")


@dataclass(frozen=True)
class SeatParticipant:
    """What a per-seat content function learns about the participant: read-only, and never their session token."""

    id: int  # the participant's number, as the admin and the exports show it
    source: str  # "prolific", "mturk" or "plain"
    external_id: str  # PROLIFIC_PID or workerId ("" for plain links)
    conditions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # the arm of each Conditions


# The participant the load-time check calls each function with.
CHECK_PARTICIPANT = SeatParticipant(id=0, source="plain", external_id="")


def is_callable_path(body: Any) -> bool:
    return isinstance(body, str) and bool(CALLABLE_PATH.match(body.strip()))


def seat_html(function, agent: Any, participant: SeatParticipant) -> str:
    """Call a scene's content function; anything but a str is the scene's bug, said plainly."""
    html = function(agent, participant)
    if not isinstance(html, str):
        raise TypeError(f"must return a str of HTML, got {type(html).__name__}")
    return html


def check_seat_content(scene, seats: dict[str, Any]) -> dict[str, Any]:
    """Import each content function of `scene` and call it once per seat (`seats`: agent key -> the env's id) with
    CHECK_PARTICIPANT; returns the functions by field. A failure is a DefinitionError naming the scene and the fix."""
    functions = {}
    for name in SEAT_FIELDS:
        body = getattr(scene, name)
        if not is_callable_path(body):
            continue
        try:
            function = load_callable(body.strip())
        except EnvConfigError as error:
            raise DefinitionError(
                f"gym scene {scene.scene_id!r}: {name} {body!r} names no function ({error}); give an importable "
                f"'package.module:function' taking (agent, participant) and returning HTML, or write the HTML "
                f"itself (text that is exactly 'word:word' is read as a function's path: wrap it in <p>)"
            ) from error
        for agent in seats.values():
            try:
                seat_html(function, agent, CHECK_PARTICIPANT)
            except Exception as error:  # noqa: BLE001 (any error of the researcher's function fails the load)
                raise DefinitionError(
                    f"gym scene {scene.scene_id!r}: {name} {body!r} failed for agent {agent!r} with the check "
                    f"participant {CHECK_PARTICIPANT}: {error!r}; it must return a str of HTML for every human "
                    f"seat and any participant"
                ) from error
        functions[name] = function
    return functions


def seat_bodies(scene, functions: dict[str, Any], seats: dict[str, Any], participant: SeatParticipant) -> dict:
    """{field: {agent key: html}} for the fields given as functions. A function that fails for a real participant
    (it passed the load check) is logged with the scene and the seat, and that seat is shown nothing."""
    bodies = {}
    for name, function in functions.items():
        bodies[name] = {}
        for key, agent in seats.items():
            try:
                bodies[name][key] = seat_html(function, agent, participant)
            except Exception:  # noqa: BLE001 (the researcher's code must not take the page down)
                logger.exception("gym scene %r: %s failed for agent %r", scene.scene_id, name, agent)
                bodies[name][key] = ""
    return bodies
