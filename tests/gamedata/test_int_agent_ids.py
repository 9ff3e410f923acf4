"""Envs that name their agents with ints (CoGrid, the anchor's examples): keys reach the env as its own ids, rows
and policies are stored under those ids, replays match and exports hold the ids; ids that cannot round-trip are
refused at load."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from experiments.control.document_export import experiment_document
from experiments.control.step_exports import step_rows
from experiments.definition.errors import DefinitionError
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from experiments.study import GymScene
from mug.loop import GameLoop, LoopConfig
from testkit.agentid_experiments import INT_ENV, WALK_KEYS, int_scene
from testkit.flowhelpers import enter
from testkit.gameclient import play_scene

RIGHT = 2  # WALK_KEYS["ArrowRight"]


def _browser_loop(scene) -> GameLoop:
    """The loop as a browser builds it: from the scene's config after a JSON round trip."""
    return GameLoop(LoopConfig.from_dict(json.loads(json.dumps(scene.loop_config()))))


def _prepared(scene: GymScene) -> GymScene:
    scene.prepare(Path(__file__).parent)
    return scene


def test_keys_drive_the_human_int_agent_after_the_config_crosses_json():
    scene = _prepared(int_scene("walk", {0: "human", 1: "random"}))
    loop = _browser_loop(scene)
    assert loop.humans == ["0"] and set(loop.policies) == {"1"}
    loop.start_episode(0, 3)
    row = loop.step_frame(loop.actions_for(["ArrowRight"], []))
    assert row["actions"]["0"] == RIGHT
    # the env itself saw its own int ids (it raises on any other key) and says so in its infos
    assert row["infos"]["0"] == {"id_type": "int"} and row["infos"]["1"] == {"id_type": "int"}
    loop.adapter.close()


def test_two_int_humans_are_both_seats_of_the_browser_config():
    scene = _prepared(int_scene("walk2", {0: "human", 1: "human"}))
    assert scene.human_agents() == ["0", "1"]
    loop = _browser_loop(scene)
    assert loop.humans == ["0", "1"] and loop.policies == {}
    loop.start_episode(0, 3)
    row = loop.step_frame({"0": RIGHT, "1": 1})
    assert row["actions"] == {"0": RIGHT, "1": 1} and row["rewards"]["0"] == 1.0
    loop.adapter.close()


def test_a_hud_callable_and_labels_see_the_env_s_own_ids():
    scene = _prepared(int_scene("walk", {0: "human", 1: "random"}, agent_labels={0: "the red dot"}))
    assert scene.loop_config()["agent_labels"] == {"0": "the red dot"}


@pytest.mark.parametrize(
    ("ids", "message"),
    [("collide", "not distinct as text"), ("tuple", "must be str or int")],
)
def test_ids_that_cannot_round_trip_are_refused_at_load(ids, message):
    scene = GymScene(scene_id="odd", env=INT_ENV, env_kwargs={"ids": ids}, agents={0: "human"}, keys=WALK_KEYS)
    with pytest.raises(DefinitionError, match=message):
        scene.prepare(Path(__file__).parent)


def test_scene_agent_ids_that_collide_as_text_are_refused():
    scene = GymScene(scene_id="odd", env=INT_ENV, agents={0: "human", "0": "random"}, keys=WALK_KEYS)
    with pytest.raises(DefinitionError, match="not distinct as text"):
        scene.prepare(Path(__file__).parent)


@pytest.mark.django_db
def test_an_int_id_game_is_stored_with_its_policies_replays_and_exports():
    client = Client()
    enter(client, "int-solo")
    play_scene(client, "int-solo", keys=lambda frame: ["ArrowRight"])
    episode = Episode.objects.get()
    assert episode.policies == {"0": "human", "1": {"kind": "random"}}
    actions = list(Step.objects.filter(episode=episode).order_by("frame").values_list("actions", flat=True))
    assert len(actions) == 40 and all(action["0"] == RIGHT for action in actions)
    assert {action["1"] for action in actions} != {RIGHT}  # the random agent really drew
    assert episode_replay(episode=episode)["status"] == "match"
    out = io.StringIO()
    call_command("replay_episodes", "int-solo", stdout=out)
    assert "match" in out.getvalue() and "mismatch" not in out.getvalue()
    participants = Participant.objects.filter(experiment__slug="int-solo")
    _, rows = step_rows(participants)
    exported = [(row["agent"], row["policy"], row["action"]) for row in rows if row["frame"] == 5]
    assert sorted(exported, key=lambda r: r[0])[0] == ("0", "human", RIGHT)
    assert sorted(exported)[1][:2] == ("1", "random")
    document = json.loads("".join(experiment_document(participants[0].experiment)))
    stored = document["participants"][0]["episodes"][0]
    assert stored["policies"] == {"0": "human", "1": {"kind": "random"}} and stored["steps"][0]["actions"]["0"] == RIGHT
