"""Conformance: Gymnasium 1.4.0's classic-control envs, unmodified, drawn by their own rgb_array rendering. Their
drawing needs pygame, which the self-hosted Pyodide lacks: `manage.py check` refuses the browser game at load,
naming pygame; the same env as a server game is played in real Chromium through consent, the game and the ending,
and its episode is stored and replays on the server."""

from __future__ import annotations

import pytest

from experiments.gamedata.models import Step
from testkit.conformance import (
    assert_stored_and_replayed,
    conformance_server,
    consent_and_join,
    paths,
    reach_end,
    self_hosted_check,
)
from testkit.conformance_experiments import CLASSIC

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = sorted(CLASSIC)


@pytest.fixture
def conformance_registry(settings):
    """This process reads the same studies the server serves (the replay looks the scene up)."""
    settings.MUG = {**settings.MUG, "EXPERIMENTS": paths(*NAMES)}


@pytest.mark.system  # runs manage.py and Node.js
def test_the_self_hosted_pyodide_refuses_each_browser_game_at_load_naming_pygame():
    result = self_hosted_check(*(f"{name}_browser" for name in NAMES))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    for name in NAMES:
        [line] = [line for line in result.stderr.splitlines() if f"'cc-{name}-browser'" in line]
        assert "experiments.E193" in line and "pygame is not installed" in line, line


@pytest.mark.parametrize("name", NAMES)
def test_each_env_is_played_on_the_server_in_chromium_stored_and_replayed(
    name, tmp_path, playwright_instance, chromium_context, conformance_registry
):
    _, keys, default = CLASSIC[name]
    with conformance_server(tmp_path, NAMES) as url:
        page = consent_and_join(chromium_context, url, f"cc-{name}", f"cc-{name}", list(keys))
        page.wait_for_selector("#start-button:enabled", timeout=60_000)
        page.click("#start-button")
        page.wait_for_selector("#game-canvas canvas", state="attached", timeout=60_000)
        reach_end(page)
        fetched = " ".join(chromium_context.mug_requests)
        assert "pyodide" not in fetched  # the server stepped the env
        assert page.evaluate("window.mugGame.frames") > 0  # the browser drew the env's own rgb_array frames
    [episode] = assert_stored_and_replayed([f"cc-{name}"])
    actions = [row.actions["agent"] for row in Step.objects.filter(episode=episode).order_by("frame")]
    assert set(map(repr, actions)) & set(map(repr, keys.values())), actions  # the browser's keys reached the env
    assert episode.n_steps == 60 or Step.objects.get(episode=episode, frame=episode.n_steps - 1).terminated
