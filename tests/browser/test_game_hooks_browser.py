"""Real Chromium plays a single-player scene with game hooks: the hooks ran in the browser's Pyodide, their fields
are stored in every row and in the reset, and the server's replay (which runs the same hooks) reproduces them."""

from __future__ import annotations

import pytest

from experiments.definition import registry
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from mug.hooks import hook_fields
from mug.loop import GameLoop, LoopConfig
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_TIMEOUT_MS = 180_000
HOLD = """(key) => {
  const press = () => { window.dispatchEvent(new KeyboardEvent("keydown", { key })); setTimeout(press, 100); };
  press();
}"""


def _server_rows(episode: Episode, actions: list[dict]) -> tuple[dict, list[dict]]:
    """The server's own run of the episode from its seed and the stored actions (what the replay check does)."""
    scene = registry.get_experiment("hook-solo").scene("walk")
    loop = GameLoop(LoopConfig.from_dict({**scene.loop_config(), "render_mode": None}))
    started = loop.start_episode(episode.index, episode.seed)
    rows = [loop.step_frame(loop.coerce_actions(frame_actions)) for frame_actions in actions]
    return started["reset"], rows


def test_a_single_player_games_hook_fields_are_stored_and_equal_the_servers_replay(
    server_url, chromium_context, settings
):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    log = []
    page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
    start_in_page(page, f"{server_url}/x/hook-solo/?PROLIFIC_PID=hooked")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_TIMEOUT_MS)
    page.evaluate(HOLD, "ArrowRight")
    page.click("#start-button")
    try:
        page.wait_for_selector(".scene-end", timeout=LOAD_TIMEOUT_MS)
    except Exception as error:
        raise AssertionError(f"never ended: {log[-30:]}") from error
    participant = Participant.objects.get(external_id="hooked")
    assert not participant.runtime_errors
    episodes = list(Episode.objects.filter(participant=participant, status="complete").order_by("index"))
    assert [episode.index for episode in episodes] == [0, 1]
    for episode in episodes:
        steps = list(Step.objects.filter(episode=episode).order_by("frame"))
        assert len(steps) == 25
        for agent in ("0", "1"):
            assert episode.reset_data["infos"][agent]["hook.start.seed"] == episode.seed
            for step in steps:
                info = step.infos[agent]
                assert info["hook.frame"] == step.frame and info["hook.episode"] == episode.index
                assert info["hook.ids"] == "0,1" and info["hook.reward_sum"] == sum(step.rewards.values())
        total = sum(sum(step.rewards.values()) for step in steps)
        assert steps[-1].infos["1"]["hook.ended"] == 25 and steps[-1].infos["1"]["hook.total"] == total
        assert total > 0  # the held key moved agent 1 right: the fields carry real game values
        reset, rows = _server_rows(episode, [step.actions for step in steps])
        assert hook_fields(reset["infos"]) == hook_fields(episode.reset_data["infos"])
        assert [hook_fields(row["infos"]) for row in rows] == [hook_fields(step.infos) for step in steps]
        assert episode_replay(episode=episode)["status"] == "match"
