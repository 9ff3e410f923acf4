"""The anchor MUG's single-agent convention: an env that steps with `{"human": action}` (returning per-agent dicts
or plain values) runs unmodified with `agents={"human": ...}`, found at load and stored like any env's data; a
mismatch between the env and the scene's agent id is refused at load with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from experiments.definition.errors import DefinitionError
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from experiments.study import GymScene
from mug.loop import GameLoop, LoopConfig
from testkit.agentid_experiments import ANCHOR_ENV, WALK_KEYS, anchor_scene
from testkit.flowhelpers import enter, submit
from testkit.gameclient import play_scene

RIGHT = 2


def _prepared(scene: GymScene) -> GymScene:
    scene.prepare(Path(__file__).parent)
    return scene


@pytest.mark.parametrize("returns", ["dicts", "plain"])
def test_the_convention_is_found_at_load_and_the_browser_loop_steps_with_dicts(returns):
    scene = _prepared(anchor_scene("walk", returns=returns))
    config = json.loads(json.dumps(scene.loop_config()))
    assert config["agent_dicts"] == "human"
    loop = GameLoop(LoopConfig.from_dict(config))
    started = loop.start_episode(0, 5)
    assert set(started["reset"]["obs"]) == {"human"} and isinstance(started["reset"]["obs"]["human"], list)
    row = loop.step_frame(loop.actions_for(["ArrowRight"], []))
    # the same row a plain env gives: one level per agent, no dict nested in a dict
    assert row["actions"] == {"human": RIGHT} and row["rewards"] == {"human": 1.0}
    assert row["terminated"] == {"human": False} and row["truncated"] == {"human": False}
    assert row["infos"]["human"] == {"position": row["obs"]["human"][0]}
    loop.adapter.close()


def test_a_plain_env_keeps_its_one_agent_called_agent():
    scene = _prepared(GymScene(scene_id="cp", env="examples.cartpole.env:make", keys={"ArrowLeft": 0}))
    assert scene.loop_config()["agent_dicts"] is None


def test_an_anchor_env_under_the_default_agent_id_is_refused_with_the_fix():
    scene = GymScene(scene_id="walk", env=ANCHOR_ENV, keys=WALK_KEYS)  # agents={"agent": "human"}
    with pytest.raises(DefinitionError, match=r"per-agent dicts keyed 'human'.*agents=\{'human': 'human'\}"):
        scene.prepare(Path(__file__).parent)


def test_a_plain_env_under_the_anchor_s_agent_id_is_refused_with_the_fix():
    scene = GymScene(scene_id="cp", env="examples.cartpole.env:make", agents={"human": "human"}, keys={"a": 0})
    with pytest.raises(DefinitionError, match=r"takes plain actions.*agents=\{'agent': 'human'\}"):
        scene.prepare(Path(__file__).parent)


@pytest.mark.django_db
def test_episodes_are_stored_verified_and_replayed_like_a_plain_env_s():
    client = Client()
    enter(client, "anchor-solo")
    play_scene(client, "anchor-solo", keys=lambda frame: ["ArrowRight"])
    submit(client, "anchor-solo", "walk")
    play_scene(client, "anchor-solo", keys=lambda frame: ["ArrowRight"])
    for episode in Episode.objects.all():
        assert episode.policies == {"human": "human"}
        assert episode.status == "complete" and episode.verification == "verified", episode.replay_report
        assert episode_replay(episode=episode)["status"] == "match"
        steps = list(Step.objects.filter(episode=episode).order_by("frame"))
        assert steps[-1].terminated == {"human": True}  # reached the goal: the env's own end, read from its dict
        assert all(step.actions == {"human": RIGHT} and step.rewards == {"human": 1.0} for step in steps)
