"""Test studies of ONNX agents outside a lone browser: the demo's recurrent chaser in a server-side game."""

from __future__ import annotations

from examples.tag.experiment import TAG_SETTINGS
from examples.tagai.experiment import CHASER_MODEL
from experiments.study import EndScene, Experiment, GymScene

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
