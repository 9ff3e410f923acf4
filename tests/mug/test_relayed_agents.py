"""ONNX agents in a multi-human rollback game: the first seat's browser runs the model and sends the actions as the
agent's inputs through the relay (mug.relayed); every peer plays them from the log, and so does the replay."""

from __future__ import annotations

import pytest

from experiments.definition.errors import DefinitionError
from experiments.study import GymScene, OnnxPolicy
from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession
from mug.rollback import shared_fields
from netcode.simulator import Conditions, simulate, straight_replay
from testkit.onnx_experiments import TRIO, onnx_trio
from testkit.onnx_native import native_inference

SEATS = ["runner_a", "runner_b"]


@pytest.fixture(scope="module")
def trio(tmp_path_factory):
    scene = onnx_trio.stager[0]
    scene.prepare(tmp_path_factory.mktemp("trio"))
    config = {**scene.loop_config(), "render_mode": None}
    return config, native_inference(config["agents"], scene.model_files())


def test_the_onnx_agent_is_relayed_and_its_actions_are_checked_at_load(trio):
    config, _ = trio
    assert config["relayed"] == ["chaser"] and config["agents"]["chaser"]["kind"] == "onnx"
    scene = onnx_trio.stager[0]
    assert scene._relayed_actions == {"chaser": [0, 1, 2, 3, 4]}  # what the relay accepts for it


def test_an_onnx_agent_with_continuous_actions_is_refused_in_a_group(tmp_path):
    agents = {"chaser": OnnxPolicy(model="m.onnx"), "runner_a": "human", "runner_b": "human"}
    box = {"env": "testkit.envs.tag_trio:make_box", "keys": {"ArrowUp": [0.0, -1.0]}, "default_action": [0.0, 0.0]}
    scene = GymScene(scene_id="box", **{**TRIO, "agents": agents, **box})
    with pytest.raises(DefinitionError, match="relay, which takes Discrete actions only"):
        scene.prepare(tmp_path)


@pytest.mark.parametrize("seed", [3, 6, 8])
def test_every_peer_agrees_and_the_log_replays_with_the_model_s_moves(trio, seed):
    config, infer = trio
    result = simulate(config, seed, Conditions(delay=4, jitter=2, loss=0.05, burst=2), infer=infer)
    assert result.agreed
    rows = next(iter(result.rows.values()))
    assert [shared_fields(row) for row in rows] == straight_replay(config, seed, result.relay)
    moves = [row["actions"]["chaser"] for row in rows if row["frame"] >= 2]  # frames 0-1: the input delay's default
    assert len(set(moves)) > 1 and moves == [result.relay.inputs["chaser"][f] for f in range(2, len(rows))]
    # only the first seat ran the model; the second never asked for it
    assert result.sessions["runner_b"].relayed.driving is False
    assert sum(result.sessions[s].session.stats["rollbacks"] for s in SEATS) > 0  # moves arrived late, as a human's


def test_the_next_seat_takes_over_after_reading_the_log_and_fills_what_nobody_wrote(trio):
    config, _ = trio
    session = NetSession(GameLoop(LoopConfig.from_dict(config)), SEATS, "runner_b")
    session.start(0, 4)
    first = session.tick({"held": []})
    assert first["ai_send"] == [] and first["queries"] == {} and not first["sync"]  # runner_a drives
    # runner_a dropped out at frame 4 (idle from then on); the relay holds its chaser moves up to frame 3
    out = session.tick({"held": [], "replaced": [["runner_a", 4, {"kind": "idle"}]]})
    assert out["sync"] and out["ai_send"] == [] and out["queries"] == {}  # nothing written before the log is read
    log = [["runner_a", 2, 0], ["runner_a", 3, 0], ["chaser", 2, 3], ["chaser", 3, 3]]
    out = session.tick({"held": [], "input_log": True, "inputs": log})
    assert not out["sync"] and out["queries"]  # now it runs the model on what it sees
    sent = {frame: action for _, frame, action in out["ai_send"]}
    assert min(sent) == 4 and all(action == 3 for action in sent.values())  # its guess (the last move) stands
    assert all(agent == "chaser" for agent, _, _ in out["ai_send"])
    frame = max(sent)
    out = session.tick({"held": [], "inference": {}, "ai_ack": {"chaser": frame}})
    assert [f for _, f, _ in out["ai_send"]] == [frame + 1]  # acknowledged ones are not sent again
