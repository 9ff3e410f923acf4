"""Test studies of ONNX agents outside a lone browser: the demo's recurrent chaser in server-side games (as an
agent, and as the replacement of a partner who leaves)."""

from __future__ import annotations

from examples.tag.experiment import TAG_SETTINGS
from examples.tagai.experiment import CHASER_MODEL
from experiments.study import ContinueWithout, EndScene, Experiment, GymScene, Netcode, ReplaceWithAI
from testkit.room_experiments import quick_room

# The demo's ONNX chaser (recurrent state, a fixed input, sampled moves, a frame skip of 2) against a human runner,
# stepped on the server: onnxruntime runs the model in the game's own process.
onnx_server = Experiment(
    slug="onnx-server",
    title="Flee from the ONNX chaser, stepped on the server",
    stager=[
        GymScene(
            scene_id="play",
            agents={"chaser": CHASER_MODEL, "runner": "human"},
            num_episodes=3,
            max_steps=40,
            countdown_seconds=0,
            runs_on="server",
            **{**TAG_SETTINGS, "fps": 30},
        ),
        EndScene(scene_id="end"),
    ],
)


# Two humans on the server; a partner gone for 2 s is replaced by the ONNX chaser (the game runs it from then on).
onnx_server_pair = Experiment(
    slug="onnx-server-pair",
    title="Tag for two on the server; the ONNX chaser takes over a partner who leaves",
    stager=[
        GymScene(
            scene_id="play",
            agents={"chaser": "human", "runner": "human"},
            num_episodes=1,
            max_steps=900,
            countdown_seconds=0,
            runs_on="server",
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=ReplaceWithAI(CHASER_MODEL)),
            **{**TAG_SETTINGS, "fps": 30},
        ),
        EndScene(scene_id="end"),
    ],
)


# Two humans run from the demo's ONNX chaser in the browsers' rollback game: the first seat's browser runs the model
# and its moves travel through the relay as the chaser's inputs (mug.relayed).
TRIO = {
    **TAG_SETTINGS,
    "env": "testkit.envs.tag_trio:make",
    "agents": {"chaser": CHASER_MODEL, "runner_a": "human", "runner_b": "human"},
    "fps": 30,
}
onnx_trio = Experiment(
    slug="onnx-trio",
    title="Two humans flee from the ONNX chaser, in the browsers",
    stager=[
        GymScene(
            scene_id="play",
            num_episodes=2,
            max_steps=90,
            countdown_seconds=0,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(dropout_s=30.0),
            **TRIO,
        ),
        EndScene(scene_id="end"),
    ],
)


# The same, one episode; a runner gone for 2 s is played idle and the other seat drives the chaser from then on.
onnx_trio_continue = Experiment(
    slug="onnx-trio-continue",
    title="Two humans flee from the ONNX chaser; the one who stays drives it after the other leaves",
    stager=[
        GymScene(
            scene_id="play",
            num_episodes=1,
            max_steps=300,
            countdown_seconds=0,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=ContinueWithout()),
            **{**TRIO, "env_kwargs": {"endless": True}},
        ),
        EndScene(scene_id="end"),
    ],
)
TRIO_PATHS = [f"testkit.onnx_experiments:{name}" for name in ("onnx_trio", "onnx_trio_continue")]
