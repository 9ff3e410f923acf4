"""Conformance: mpe2 1.1.1's simple spread (a PettingZoo ParallelEnv) from PyPI, unmodified, with three humans. Its
snapshots do not restore it exactly, so the rollback (browser) game is refused at load; as a server game three real
Chromium participants play it through consent, the waiting room, the game and the ending: all three hold identical
rows that replay on the server."""

from __future__ import annotations

from contextlib import ExitStack

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
from testkit.conformance_experiments import MPE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PLAYERS = ["spread-a", "spread-b", "spread-c"]


@pytest.mark.system  # runs manage.py
def test_the_rollback_game_is_refused_at_load():
    result = self_hosted_check("spread_browser")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "experiments.E001" in line]
    assert "'conf-spread-browser'" in line and "not ready for rollback" in line, line


def test_three_humans_play_it_on_the_server_in_chromium_with_identical_rows_that_replay(
    tmp_path, playwright_instance, settings
):
    settings.MUG = {**settings.MUG, "EXPERIMENTS": paths("spread")}
    keys = list(MPE["keys"])
    with conformance_server(tmp_path, ["spread"]) as url, ExitStack() as stack:
        pages = []
        for index, pid in enumerate(PLAYERS):
            context = stack.enter_context(guarded_context(playwright_instance))
            pages.append(consent_and_join(context, url, "conf-spread", pid, keys[index:] + keys[:index]))
        for page in pages:
            reach_end(page)
        for page in pages:
            assert page.evaluate("window.mugGame.frames") > 0  # each browser drew the env's rgb_array frames
    game = Game.objects.get()
    assert game.status == "finished" and game.runs_on == "server"
    assert sorted(GameSeat.objects.values_list("agent", flat=True)) == ["agent_0", "agent_1", "agent_2"]
    episodes = assert_stored_and_replayed(PLAYERS)
    actions = [row.actions for row in Step.objects.filter(episode=episodes[0]).order_by("frame")]
    for agent in ("agent_0", "agent_1", "agent_2"):  # every seat's keys reached the env
        assert {step[agent] for step in actions} - {0}, actions[:5]
