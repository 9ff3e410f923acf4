"""Real-Chromium helpers for the group-game tests of tests/browser/: a participant's page in a group game, waits that
say what the page and the relay were doing when they time out, the partner's banners, and the rows check."""

from __future__ import annotations

import os

from experiments.definition import registry
from experiments.gamedata.models import Episode
from netcode.models import Game, GameEvent, GameSeat
from netcode.replay import game_replay, scene_of, stored_rows
from testkit.flowhelpers import start_in_page
from testkit.netproxy import RANDOM_KEYS
from testkit.servers import DaphneProcess, database_env

# Records every text the game's banner shows, as it changes (read with seen_banners).
BANNER_LOG = """() => { const seen = window.mugSeen = window.mugSeen || [];
  const watch = () => { const b = document.getElementById('net-status');
    if (b && !b.hidden && seen[seen.length - 1] !== b.textContent) seen.push(b.textContent); };
  if (!window.mugWatching) { window.mugWatching = setInterval(watch, 50); } }"""


def daphne_with(tmp_path, paths: list[str]) -> DaphneProcess:
    """Daphne (DEBUG on: static files served) with these studies, on the test database."""
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join(paths)}
    env.update({**database_env(), "MUG_PYODIDE_URL": "/static/pyodide/"})
    return DaphneProcess(env, tmp_path)


def join(context, url: str, slug: str, pid: str, seed: int, keys: bool = True):
    """A participant's page, from the study link to the waiting room; random arrow keys from then on."""
    page = context.new_page()
    page.mug_log = []
    page.on("console", lambda message: page.mug_log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.mug_log.append(f"uncaught: {error}"))
    start_in_page(page, f"{url}/x/{slug}/?PROLIFIC_PID={pid}")
    page.wait_for_selector("#waiting-room:not([hidden])")
    if keys:
        page.evaluate(RANDOM_KEYS, seed)
    return page


def waited(page, condition: str, timeout: float = 180_000):
    """The truthy value of `condition` once it holds; on failure, what the page and the relay were doing."""
    try:
        return page.wait_for_function(condition, timeout=timeout).json_value()
    except Exception as error:
        raise AssertionError(what_happened(page)) from error


def what_happened(page) -> str:
    try:
        state = page.evaluate("() => JSON.stringify({game: window.mugGame, seen: window.mugSeen})")[:2500]
    except Exception as error:  # the page is navigating
        state = f"(no state: {error})"
    events = list(GameEvent.objects.values_list("episode", "frame", "kind", "agent", "detail"))
    seats = list(GameSeat.objects.values("agent", "status", "connected", "absent_since", "last_seen"))
    return f"{page.url}: {state} {page.mug_log[-25:]} {events} {seats}"


def playing(page, frames: int, timeout: float = 180_000) -> None:
    waited(page, f"() => window.mugGame?.net?.frames > {frames}", timeout)


def ending(page, timeout: float = 240_000) -> str:
    """The text of the participant's ending page."""
    try:
        page.wait_for_selector(".scene-end", timeout=timeout)
    except Exception as error:
        raise AssertionError(f"never ended: {what_happened(page)}") from error
    return page.inner_text(".scene-end")


def seen_banners(page) -> list[str]:
    return page.evaluate("() => window.mugSeen || []")


def assert_rows_replayed(slug: str, players: int, episodes: int) -> Game:
    """Every seat stored every episode complete, and its rows equal the server's replay of the input log."""
    game = Game.objects.get()
    scene = scene_of(game, registry.get_experiment(slug))
    for index in range(episodes):
        canonical = game_replay(game=game, episode=index, scene=scene)
        records = Episode.objects.filter(index=index, scene_key=game.scene_key)
        assert len(records) == players, list(records)
        for record in records:
            assert record.status == "complete", record
            assert stored_rows(record) == canonical, f"{record.participant} episode {index} differs from the replay"
    return game
