"""Real Chromium: each seat's page shows the per-seat content its scene's function wrote for that seat (and no other
seat's), during play and after it, for two humans over the relay, one human beside a random agent and one player
of a server-side game. The
group scene also has game hooks: both browsers store the relay referee's rows, hook fields included."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from experiments.definition import registry
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from netcode.models import Game, GameEvent, GameSeat
from netcode.replay import game_replay, scene_of, stored_rows
from testkit.browsers import guarded_context
from testkit.flowhelpers import logged_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_TIMEOUT_MS = 180_000
COLOURS = {"0": "red", "1": "blue"}  # testkit.hook_experiments.COLOURS
SHOWN = """(where) => [...document.querySelectorAll(`${where} [data-seat-body]`)]
  .filter((element) => !element.hidden).map((element) => [element.dataset.seatBody, element.textContent])"""


def _shown_in_game(page) -> list:
    try:
        page.wait_for_selector("#in-game:not([hidden]) [data-seat-body]:not([hidden])", timeout=LOAD_TIMEOUT_MS)
    except Exception as error:
        raise AssertionError(f"{page.url} never showed its seat's body: {page.mug_log[-30:]}") from error
    return page.evaluate(SHOWN, "#in-game")


def _shown_after(page) -> list:
    page.wait_for_selector("#after-game:not([hidden]), .scene-end", timeout=LOAD_TIMEOUT_MS)
    return page.evaluate(SHOWN, "#after-game")


def test_each_player_of_a_group_game_is_told_their_own_walker(playwright_instance, asgi_server_url):
    shown, after = {}, {}
    with ExitStack() as stack:
        pages = {}
        for pid in ("p0", "p1"):
            context = stack.enter_context(guarded_context(playwright_instance))
            pages[pid] = logged_page(context, f"{asgi_server_url}/x/seat-pair/?PROLIFIC_PID={pid}")
        for pid, page in pages.items():
            shown[pid] = _shown_in_game(page)
        for pid, page in pages.items():
            after[pid] = _shown_after(page)
            page.wait_for_selector(".scene-end", timeout=LOAD_TIMEOUT_MS)
    seats = dict(GameSeat.objects.values_list("participant__external_id", "agent"))
    assert sorted(seats.values()) == ["0", "1"]
    for pid, agent in seats.items():
        colour = COLOURS[agent]
        assert shown[pid] == [[agent, f"You are the {colour} walker (agent {agent}), {pid} from prolific."]]
        assert after[pid] in ([], [[agent, f"Thanks for playing the {colour} walker."]])  # may have moved on
    # The scene's game hooks ran in both browsers (rollbacks included) and in the relay's referee alike.
    game = Game.objects.get()
    canonical = game_replay(game=game, episode=0, scene=scene_of(game, registry.get_experiment("seat-pair")))
    assert all(row["infos"]["0"]["hook.frame"] == row["frame"] for row in canonical)
    assert canonical[-1]["infos"]["1"]["hook.ended"] == 20
    records = list(Episode.objects.filter(scene_key=game.scene_key))
    assert len(records) == 2 and all(stored_rows(record) == canonical for record in records)
    assert not GameEvent.objects.filter(game=game, kind="desync").exists()


def test_a_player_beside_an_ai_is_told_their_walker(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = logged_page(chromium_context, f"{server_url}/x/seat-solo/?PROLIFIC_PID=solo1")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_TIMEOUT_MS)
    page.click("#start-button")
    assert _shown_in_game(page) == [["1", "You are the blue walker (agent 1), solo1 from prolific."]]
    page.wait_for_selector(".scene-end", timeout=LOAD_TIMEOUT_MS)
    assert not Participant.objects.get(external_id="solo1").runtime_errors


def test_a_player_of_a_server_game_is_told_their_seat(asgi_server_url, chromium_context):
    page = logged_page(chromium_context, f"{asgi_server_url}/x/hook-server/?PROLIFIC_PID=srv1")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_TIMEOUT_MS)
    page.click("#start-button")
    assert _shown_in_game(page) == [["player_0", "You control player_0."]]
    page.wait_for_selector(".scene-end", timeout=LOAD_TIMEOUT_MS)
