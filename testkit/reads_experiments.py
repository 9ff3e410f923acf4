"""Experiments for tests/security/test_participant_reads.py: two arms with their own in-browser games (one with an ONNX
model), a server-side game and a branch, so a participant's plan holds some game scenes and not others."""

import dataclasses

from examples.tagai.experiment import FLEE
from experiments.study import Branch, Conditions, EndScene, Experiment, GymScene, StaticScene
from testkit.server_experiments import server_gather

POLE = GymScene(scene_id="pole", env="examples.cartpole.env:make", keys={"ArrowLeft": 0, "ArrowRight": 1}, max_steps=40)

arms = Experiment(
    slug="arms",
    title="Two arms: Tag against an ONNX chaser, or CartPole; then a server-side game and maybe a crash",
    stager=[
        StaticScene(scene_id="intro"),
        Conditions("game", {"tag": [dataclasses.replace(FLEE)], "pole": [dataclasses.replace(POLE)]}),
        dataclasses.replace(server_gather(episodes=1), scene_id="onserver"),
        Branch(
            "later",
            select=lambda answers: "none",
            branches={
                "none": [StaticScene(scene_id="nothing")],
                "crash": [GymScene(scene_id="crashy", env="testkit.envs.crash:make", keys={"a": 1}, max_steps=100)],
            },
            default="none",
        ),
        EndScene(scene_id="end"),
    ],
)


def broken(slug: str, env: str) -> Experiment:
    """Not in PATHS: a test configures it to see `manage.py check` refuse it."""
    stager = [dataclasses.replace(POLE, env=env), EndScene(scene_id="end")]
    return Experiment(slug=slug, title="Unshippable", stager=stager)


server_imports = broken("server-imports", "testkit.envs.serverside:make")
dangling_import = broken("dangling-import", "testkit.envs.dangling:make")
