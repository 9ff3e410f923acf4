"""Real Chromium plays an env whose agents are the ints 0 and 1 (as CoGrid and the anchor's examples name them):
alone against a random agent 1, and two humans over the relay. Each seat's keys drive its own agent (the env
refuses any id but its own), rows and policies are stored under the ids, and the server's replays agree."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from experiments.definition import registry
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from netcode.models import Game, GameEvent, GameSeat
from netcode.replay import game_replay, scene_of, stored_rows
from testkit.browsers import guarded_context
from testkit.flowhelpers import logged_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_TIMEOUT_MS = 180_000
LEFT, RIGHT = 1, 2  # testkit.agentid_experiments.WALK_KEYS
# Holds one key for the whole game: keydown again every 100 ms (a page that lost focus forgets held keys).
HOLD = """(key) => {
  const press = () => { window.dispatchEvent(new KeyboardEvent("keydown", { key })); setTimeout(press, 100); };
  press();
}"""


def _reach_end(page) -> None:
    try:
        page.wait_for_selector(".scene-end", timeout=180_000)
    except Exception as error:
        state = page.evaluate("JSON.stringify({game: window.mugGame, room: window.mugRoom})")
        raise AssertionError(f"{page.url} never ended: {state[:2000]} {page.mug_log[-30:]}") from error


def _mostly(actions: list, value) -> bool:
    """The held key's action on nearly every frame (the first frames may pass before the first keydown)."""
    return actions.count(value) >= len(actions) - 5 and len(actions) == 40


def test_one_human_plays_int_agent_0_against_a_random_agent_1(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = logged_page(chromium_context, f"{server_url}/x/int-solo/?PROLIFIC_PID=solo0")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_TIMEOUT_MS)
    page.evaluate(HOLD, "ArrowRight")
    page.click("#start-button")
    _reach_end(page)
    participant = Participant.objects.get(external_id="solo0")
    assert not participant.runtime_errors
    episode = Episode.objects.get(participant=participant)
    assert episode.status == "complete" and episode.policies == {"0": "human", "1": {"kind": "random"}}
    steps = list(Step.objects.filter(episode=episode).order_by("frame"))
    assert _mostly([step.actions["0"] for step in steps], RIGHT)
    assert len({step.actions["1"] for step in steps}) > 1  # agent 1 is the random policy, not a copy of the keys
    assert all(step.infos["0"] == {"id_type": "int"} for step in steps)  # the env saw its own int ids
    assert episode_replay(episode=episode)["status"] == "match"


def test_two_humans_play_int_agents_over_the_relay(playwright_instance, asgi_server_url):
    with ExitStack() as stack:
        pages = []
        for index, key in enumerate(("ArrowRight", "ArrowLeft")):
            context = stack.enter_context(guarded_context(playwright_instance))
            page = logged_page(context, f"{asgi_server_url}/x/int-pair/?PROLIFIC_PID=p{index}")
            page.wait_for_selector("#waiting-room:not([hidden])", timeout=LOAD_TIMEOUT_MS)
            page.evaluate(HOLD, key)
            pages.append(page)
        for page in pages:
            _reach_end(page)
    game = Game.objects.get()
    seats = dict(GameSeat.objects.values_list("participant__external_id", "agent"))
    assert sorted(seats.values()) == ["0", "1"]
    held = {seats["p0"]: RIGHT, seats["p1"]: LEFT}
    canonical = game_replay(game=game, episode=0, scene=scene_of(game, registry.get_experiment("int-pair")))
    records = list(Episode.objects.filter(scene_key=game.scene_key))
    assert len(records) == 2
    for record in records:
        assert record.status == "complete" and record.policies == {"0": "human", "1": "human"}
        assert stored_rows(record) == canonical
    for agent, action in held.items():
        assert _mostly([row["actions"][agent] for row in canonical], action), (agent, canonical[:5])
    assert not GameEvent.objects.filter(game=game, kind="desync").exists()
