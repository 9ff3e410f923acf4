"""Conformance: slimevb 0.1.1 (Slime Volleyball) from PyPI, unmodified, with two humans. It is a Gymnasium env that
steps both sides with one dict and flags the end with RLlib's "__all__" (mug.adapters.DictAgentsAdapter). It draws
with opencv-python, which the self-hosted Pyodide lacks: `manage.py check` refuses the browser game at load naming
opencv-python (E019); the same env as a server game is played by two real Chromium participants through consent,
the waiting room, the game and the ending: both hold identical rows that replay on the server."""

from __future__ import annotations

import pytest

from experiments.gamedata.models import Step
from netcode.models import Game, GameSeat
from testkit.browsers import guarded_context
from testkit.conformance import (
    assert_stored_and_replayed,
    conformance_server,
    consent_and_join,
    paths,
    reach_end,
    self_hosted_check,
)
from testkit.conformance_experiments import SLIME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIDES = ["agent_left", "agent_right"]


@pytest.mark.system  # runs manage.py and Node.js
def test_the_self_hosted_pyodide_refuses_the_browser_game_at_load_naming_opencv():
    result = self_hosted_check("slime_browser")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "experiments.E019" in line]
    assert "'conf-slime-browser'" in line and "slimevb==0.1.1 needs opencv-python" in line, line
    assert "lacks opencv-python" in line and "runs_on='server'" in line  # what is missing, and the fixes


def test_two_humans_play_it_on_the_server_in_chromium_with_identical_rows_that_replay(
    tmp_path, playwright_instance, chromium_context, settings
):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": paths("slime")}
    with conformance_server(tmp_path, ["slime"]) as url, guarded_context(playwright_instance) as second:
        keys = list(SLIME["keys"])
        pages = [
            consent_and_join(chromium_context, url, "conf-slime", "left-player", keys),
            consent_and_join(second, url, "conf-slime", "right-player", keys[::-1]),
        ]
        for page in pages:
            reach_end(page)
        for page in pages:
            assert page.evaluate("window.mugGame.frames") > 0  # each browser drew the env's own picture
    game = Game.objects.get()
    assert game.status == "finished" and game.runs_on == "server"
    assert sorted(GameSeat.objects.values_list("agent", flat=True)) == SIDES
    episodes = assert_stored_and_replayed(["left-player", "right-player"])
    rows = list(Step.objects.filter(episode=episodes[0]).order_by("frame"))
    for side in SIDES:  # both seats' keys reached the env, and each side has its own observation and reward
        assert {row.actions[side] for row in rows} - {0}, [row.actions for row in rows[:5]]
        assert all(len(row.observations[side]["obs"]) == 12 and side in row.rewards for row in rows)
