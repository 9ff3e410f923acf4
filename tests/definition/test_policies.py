"""AI policies: pre-flight checks at load time, frame skip and recurrent state, seeded sampling, replay and export."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from examples.tagai.model import export, train
from experiments.definition.model_runtime import ServerModels
from experiments.definition.registry import get_experiment
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from experiments.study import DefinitionError, EndScene, Experiment, GymScene, OnnxPolicy, PythonPolicy
from mug.loop import GameLoop, LoopConfig
from testkit.flowhelpers import enter, submit
from testkit.gameclient import play_scene

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}


@pytest.fixture(scope="module")
def weights():
    return train(steps=200)


def tag_scene(chaser) -> Experiment:
    scene = GymScene(
        scene_id="versus", env="examples.tag.env:make", agents={"chaser": chaser, "runner": "human"}, keys=ARROWS
    )
    return Experiment(slug="versus", title="Versus", stager=[scene, EndScene(scene_id="end")])


def onnx(path, **options) -> OnnxPolicy:
    return OnnxPolicy(**{"model": str(path), "state": {"h_in": "h_out"}, "fixed": {"skill": [[1.0]]}, **options})


def broken_model(tmp_path, weights, problem: str):
    path = tmp_path / f"{problem}.onnx"
    if problem == "corrupt":
        path.write_bytes(b"this is not a model")
    elif problem != "missing":
        export(
            weights,
            path,
            **{"nan": {"nan": True}, "renamed": {"obs_name": "observation"}, "shape": {"obs_size": 6}}.get(problem, {}),
        )
    return path


@pytest.mark.parametrize(
    ("problem", "options", "message"),
    [
        ("missing", {}, r"model .*missing.onnx.*: file .* not found"),
        ("corrupt", {}, "onnxruntime cannot load it"),
        ("renamed", {}, r"no input named \['obs'\]; it has \['h_in', 'observation', 'skill'\]"),
        ("fine", {"output": "action"}, r"no output named \['action'\]"),
        ("fine", {"state": {}}, r"inputs \['h_in'\] are not fed"),
        ("shape", {}, r"input 'obs' has shape \[1, 6\] but 'chaser''s observation has 4 values"),
        ("fine", {"fixed": {"skill": [[1.0, 2.0]]}}, r"fixed input 'skill' needs shape \[1, 1\]"),
        ("nan", {}, r"output 'logits' is not finite \(NaN or infinity\)"),
        ("fine", {"frame_skip": 0}, "frame_skip must be an integer >= 1"),
    ],
)
def test_a_bad_model_fails_when_the_experiment_loads(tmp_path, weights, problem, options, message):
    path = broken_model(tmp_path, weights, problem)
    with pytest.raises(DefinitionError, match=message):
        tag_scene(onnx(path, **options)).prepare(tmp_path)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("testkit.envs.policies:broken", r"failed on a reset observation: ZeroDivisionError"),
        ("testkit.envs.policies:out_of_space", r"returned 99, not in Discrete\(5\)"),
        ("testkit.envs.policies:nothing", r"is not callable"),
    ],
)
def test_a_bad_python_policy_fails_when_the_experiment_loads(tmp_path, path, message):
    with pytest.raises(DefinitionError, match=message):
        tag_scene(PythonPolicy(path)).prepare(tmp_path)


def flee_loop(**changes) -> tuple[GameLoop, ServerModels]:
    scene = get_experiment("tagai").scene("flee")
    config = LoopConfig.from_dict({**scene.loop_config(), "render_mode": None})
    config.agents["chaser"].update(changes)
    return GameLoop(config), ServerModels(scene.model_files())


def play(loop: GameLoop, models: ServerModels, seed: int, frames: int = 30) -> tuple[list, list]:
    """The chaser's actions and the frames it was queried on, with the human runner standing still."""
    loop.start_episode(0, seed)
    actions, queried = [], []
    while not loop.over and loop.frame < frames:
        if loop.queries:
            queried.append((loop.frame, loop.queries["chaser"]["h_in"]["data"]))
        row = loop.step_frame(loop.actions_for([], [], models.run(loop.queries, loop.config.agents)))
        actions.append(row["actions"]["chaser"])
    return actions, queried


@pytest.mark.django_db
def test_frame_skip_holds_the_action_and_the_recurrent_state_is_carried():
    actions, queried = play(*flee_loop(), seed=3)
    frames = [frame for frame, _ in queried]
    assert frames == list(range(0, len(actions), 2))  # queried every second frame only
    assert all(actions[i] == actions[i + 1] for i in range(0, len(actions) - 1, 2))  # held in between
    assert not any(queried[0][1]) and any(queried[1][1])  # zero state at reset, then the model's h_out


@pytest.mark.django_db
def test_sampled_actions_come_from_the_episode_seed():
    first, _ = play(*flee_loop(frame_skip=1), seed=5, frames=14)
    again, _ = play(*flee_loop(frame_skip=1), seed=5, frames=14)
    assert first == again
    others = [play(*flee_loop(frame_skip=1), seed=seed, frames=14)[0] for seed in (6, 7, 8)]
    assert any(other[: len(first)] != first for other in others)


@pytest.fixture
def versus_ai(db):
    client = Client()
    enter(client, "tagai", PROLIFIC_PID="versus")
    # A fixed seed: with a random one the chaser can catch the runner on the very first step.
    Participant.objects.filter(external_id="versus").update(seed=1234)
    submit(client, "tagai", "consent", consent="yes", decision="agree")
    submit(client, "tagai", "rules")
    play_scene(client, "tagai", keys=lambda frame: ["ArrowLeft"])
    submit(client, "tagai", "chase")
    play_scene(client, "tagai", keys=lambda frame: [["ArrowUp"], ["ArrowRight"], []][frame % 3])
    submit(client, "tagai", "flee")
    return client


def test_ai_episodes_replay_and_a_forged_ai_action_is_caught(versus_ai):
    episodes = list(Episode.objects.order_by("scene_key", "index"))
    assert [e.scene_key for e in episodes] == ["chase", "flee", "flee"]
    for episode in episodes:
        assert episode_replay(episode=episode)["status"] == "match"
    step = Step.objects.filter(episode=episodes[1]).order_by("frame")[1]
    step.actions = {**step.actions, "chaser": (step.actions["chaser"] + 1) % 5}
    step.save()
    report = episode_replay(episode=episodes[1])
    assert report["status"] == "mismatch" and report["mismatch"]["field"] == "ai_actions"
    assert report["mismatch"]["frame"] == 1


def test_the_step_export_names_each_agents_policy_and_model(versus_ai, researcher_client):
    flee = Episode.objects.filter(scene_key="flee").first()
    response = researcher_client.post(
        "/admin/experiments/participant/",
        {"action": "export_steps_csv", "_selected_action": [flee.participant_id]},
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_agent = {(row["scene_key"], row["agent"]): row for row in rows}
    sha = flee.policies["chaser"]["sha256"]
    assert by_agent["flee", "chaser"]["policy"] == "onnx:tag_chaser.onnx"
    assert by_agent["flee", "chaser"]["model_sha256"] == sha and len(sha) == 64
    assert by_agent["flee", "runner"]["policy"] == "human" and by_agent["flee", "runner"]["model_sha256"] == ""
    assert by_agent["chase", "runner"]["policy"] == "python:examples.tag.policies:flee"


def test_models_are_served_by_hash_only(versus_ai):
    sha = Episode.objects.filter(scene_key="flee").first().policies["chaser"]["sha256"]
    response = versus_ai.get(f"/x/tagai/models/{sha}.onnx")  # the participant's own game's model
    assert response.status_code == 200 and "immutable" in response["Cache-Control"]
    assert versus_ai.get(f"/x/tagai/models/{'0' * 64}.onnx").status_code == 404
    assert Client().get(f"/x/tagai/models/{sha}.onnx").status_code == 403  # no participant: nothing to read
    enter(versus_ai, "tag", PROLIFIC_PID="versus")
    assert versus_ai.get(f"/x/tag/models/{sha}.onnx").status_code == 404  # another experiment's model


def test_the_admin_lists_which_ai_played_each_episode(versus_ai, researcher_client):
    page = researcher_client.get("/admin/experiments/episode/").content.decode()
    sha = Episode.objects.filter(scene_key="flee").first().policies["chaser"]["sha256"]
    assert f"chaser: onnx tag_chaser.onnx ({sha[:8]})" in page
    assert "runner: python examples.tag.policies:flee" in page


def test_a_policy_class_is_built_once_and_reset_each_episode(tmp_path):
    experiment = tag_scene(PythonPolicy("testkit.envs.policies:Memory"))
    experiment.prepare(tmp_path)
    config = LoopConfig.from_dict({**experiment.scene("versus").loop_config(), "render_mode": None})
    loop = GameLoop(config)
    memory = loop.policies["chaser"].function
    for seed in (7, 8):
        loop.start_episode(0, seed)
        assert loop.step_frame(loop.actions_for([], []))["actions"]["chaser"] == seed % 5
    assert loop.policies["chaser"].function is memory


def test_model_outputs_become_actions():
    import numpy as np
    from gymnasium import spaces

    from mug.policies import action_from_output

    rng = np.random.default_rng(0)
    assert action_from_output(spaces.Discrete(3), [0.1, 2.0, -1.0], False, rng) == 1
    draws = [action_from_output(spaces.Discrete(3), [0.0, np.log(3.0), -50.0], True, rng) for _ in range(4000)]
    assert abs(draws.count(1) / len(draws) - 0.75) < 0.03 and 2 not in draws  # softmax = [0.25, 0.75, ~0]
    box = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
    assert action_from_output(box, [0.5, 3.0], False, rng).tolist() == [0.5, 1.0]  # clipped to the space
    with pytest.raises(ValueError, match="not finite"):
        action_from_output(spaces.Discrete(2), [float("nan"), 0.0], False, rng)


def test_the_solo_games_model_is_served_too(tmp_path, weights):
    from experiments.study import PlayWithAI, WaitingRoom

    path = export(weights, tmp_path / "fallback.onnx")
    scene = GymScene(
        scene_id="pair",
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "human"},
        keys=ARROWS,
        waiting_room=WaitingRoom(on_timeout=PlayWithAI({"runner": onnx(path)})),
    )
    Experiment(slug="pairs-ai", title="Pairs or a model", stager=[scene, EndScene(scene_id="end")]).prepare(tmp_path)
    assert list(scene.model_files().values()) == [path]
