"""Conformance: CoGrid 0.2.1's Overcooked (cramped room) from PyPI, unmodified, with two humans (agents 0 and 1, as
CoGrid names them). Its drawing needs opencv-python (the timer on a full pot), which the self-hosted Pyodide lacks,
so the browser (rollback) game is refused at load by the pre-flight in Pyodide; the same env as a server game is
played by two real Chromium participants through consent, the waiting room, the game and the ending: both hold
identical rows that replay on the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils.html import escape

from experiments.definition import registry
from experiments.gamedata.models import Step
from netcode.models import Game, GameSeat
from testkit.browsers import guarded_context
from testkit.conformance import (
    assert_stored_and_replayed,
    conformance_server,
    consent_and_join,
    installed_wheel,
    paths,
    reach_end,
    self_hosted_check,
)
from testkit.conformance_experiments import COGRID, COGRID_KEYS
from testkit.wheels import wheelhouse_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.system  # runs manage.py and Node.js
def test_the_self_hosted_pyodide_refuses_the_browser_game_at_load_naming_opencv(tmp_path, settings):
    """With CoGrid in the wheelhouse (its installed files, as fetch_wheels would fetch them; browsers get it through
    the automatic pin), the pre-flight in Pyodide plays until a pot fills and CoGrid's drawing asks for cv2."""
    wheelhouse = wheelhouse_with(tmp_path / "wheelhouse", Path(settings.MUG_RUNTIME["WHEELHOUSE_DIR"]), [])
    installed_wheel("cogrid", wheelhouse)
    result = self_hosted_check("overcooked_browser", MUG_WHEELHOUSE_DIR=str(wheelhouse))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "'conf-overcooked-browser'" in line]
    assert "experiments.E193" in line and "in Pyodide" in line and "step 209 failed" in line, line
    assert "Must have cv2 installed" in line and "opencv-python" in line, line


def test_two_humans_play_it_on_the_server_in_chromium_with_identical_rows_that_replay(
    tmp_path, playwright_instance, chromium_context, settings, researcher_client
):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": paths("overcooked")}
    with conformance_server(tmp_path, ["overcooked"]) as url, guarded_context(playwright_instance) as second:
        keys = list(COGRID_KEYS)
        pages = [
            consent_and_join(chromium_context, url, "conf-overcooked", "chef-a", keys),
            consent_and_join(second, url, "conf-overcooked", "chef-b", keys[::-1]),
        ]
        for page in pages:
            reach_end(page)
        for page in pages:
            assert page.evaluate("window.mugGame.frames") > 0  # each browser drew the env's rgb_array frames
    game = Game.objects.get()
    assert game.status == "finished" and game.runs_on == "server"
    assert sorted(GameSeat.objects.values_list("agent", flat=True)) == ["0", "1"]
    episodes = assert_stored_and_replayed(["chef-a", "chef-b"])
    actions = [row.actions for row in Step.objects.filter(episode=episodes[0]).order_by("frame")]
    for agent in ("0", "1"):  # both seats' keys reached the env (stored under the env's agent ids)
        assert {step.get(agent, step.get(int(agent))) for step in actions} - {6}, actions[:5]
    # Staff see both seats' episodes, each replayed on the server
    page = researcher_client.get("/admin/experiments/episode/?q=chef").content.decode()
    assert all(escape(str(episode)) in page for episode in episodes), page[-3000:]
    assert page.count(">Matches<") >= 2  # the replay column of both rows


def test_the_demo_flagship_is_this_env_for_two_humans_on_the_server(settings):
    """examples/overcooked (in bin/demo's studies) loads, every load check passed, and is the env this file plays,
    unmodified, with two human seats on the server."""
    settings.MUG = {**settings.MUG, "EXPERIMENTS": ["examples.overcooked.experiment:experiment"]}
    kitchen = registry.get_experiment("overcooked").scene("kitchen")
    assert (kitchen.env, kitchen.env_kwargs, kitchen.runs_on) == (COGRID["env"], COGRID["env_kwargs"], "server")
    assert kitchen.human_agents() == ["0", "1"] and kitchen.loop_config()["render_mode"] == "rgb_array"
