"""Where the layers above the flow plug in: what a session's end sets off (waits end, game seats drop), whether a
game scene's own work is done, what a game scene's page needs, and the latency a game's socket measured.

Each app registers its part once at startup (its `AppConfig.ready`), so the flow never imports the layers above
it: how a session ends is answered here, and they react."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_session_ended: list[Callable[..., None]] = []
_latency_readers: list[Callable[..., float | None]] = []


@dataclass(frozen=True)
class GameScenes:
    """What the flow needs from the game-data layer to show and finish a game scene."""

    done: Callable[..., bool]  # (participant, scene_key, scene) -> every episode of the scene counted
    as_played: Callable[..., Any]  # (participant, scene_key, scene) -> the scene as this participant plays it
    page_config: Callable[..., dict]  # (request, experiment, participant, key, scene) -> the page's runtime config
    preload: Callable[..., dict]  # (request, experiment, definition, participant) -> what to preload before a game


_game_scenes: list[GameScenes] = []


def on_session_end(hook: Callable[..., None]) -> None:
    """`hook(participant=, definition=, outcome=)` runs after staff or a rule ended a session early."""
    if hook not in _session_ended:
        _session_ended.append(hook)


def session_ended(*, participant, definition, outcome: str) -> None:
    for hook in _session_ended:
        hook(participant=participant, definition=definition, outcome=outcome)


def on_latency_reading(reader: Callable[..., float | None]) -> None:
    """`reader(participant, scene_key, now)` returns the round trip the server timed lately on the participant's
    game socket in that scene, or None."""
    if reader not in _latency_readers:
        _latency_readers.append(reader)


def latency_now(participant, scene_key: str, now) -> float | None:
    for reader in _latency_readers:
        reading = reader(participant, scene_key, now)
        if reading is not None:
            return reading
    return None


def provide_game_scenes(scenes: GameScenes) -> None:
    _game_scenes[:] = [scenes]


def game_scenes() -> GameScenes:
    if not _game_scenes:
        raise ImproperlyConfigured("the game-data layer registered no GameScenes (experiments.apps.ready)")
    return _game_scenes[0]


_group_logs: list[Callable[..., dict | None]] = []


def on_group_log(reader: Callable[..., dict | None]) -> None:
    """`reader(episode)` returns the relay's log of a group game's episode, for its exact replay: {"inputs": {agent:
    {frame: action}}, "replaced": [[agent, first frame, policy]], "delay": input delay}, or None."""
    if reader not in _group_logs:
        _group_logs.append(reader)


def group_log(episode) -> dict | None:
    for reader in _group_logs:
        log = reader(episode)
        if log is not None:
            return log
    return None


_group_actions: list[Callable[..., dict]] = []


def on_group_actions(reader: Callable[..., dict]) -> None:
    """`reader(episode, first, last)` returns the actions the relay logged for a group game's frames first..last:
    {agent: {frame: action}}, only the frames it has logged and the seats' own (not an AI's for a replaced seat)."""
    if reader not in _group_actions:
        _group_actions.append(reader)


def group_actions(episode, first: int, last: int) -> dict:
    for reader in _group_actions:
        logged = reader(episode, first, last)
        if logged:
            return logged
    return {}
