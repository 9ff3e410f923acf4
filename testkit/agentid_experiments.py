"""Test studies of envs that name their agents with ints (CoGrid, the anchor's examples) and of the anchor's
single-agent per-agent dict convention."""

from __future__ import annotations

from experiments.study import EndScene, Experiment, GymScene, Netcode
from testkit.room_experiments import quick_room

INT_ENV = "testkit.envs.int_agents:make"
WALK_KEYS = {"ArrowLeft": 1, "ArrowRight": 2}
PACKAGES = ["gymnasium==1.4.0", "pettingzoo==1.25.0"]


def int_scene(scene_id: str, agents: dict, **options) -> GymScene:
    settings = dict(max_steps=40, seed=3, fps=20, countdown_seconds=1, packages=PACKAGES)
    return GymScene(scene_id=scene_id, env=INT_ENV, agents=agents, keys=WALK_KEYS, **{**settings, **options})


int_solo = Experiment(
    slug="int-solo",
    title="An int-id ParallelEnv: one human (agent 0) against a random agent 1",
    stager=[int_scene("walk", {0: "human", 1: "random"}, agent_labels={0: "the red dot"}), EndScene(scene_id="end")],
)

int_pair = Experiment(
    slug="int-pair",
    title="An int-id ParallelEnv for two humans over the rollback relay",
    stager=[
        int_scene(
            "walk2",
            {0: "human", 1: "human"},
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(input_delay=2, window=8, lagging_s=0.5, dropout_s=5.0),
        ),
        EndScene(scene_id="end"),
    ],
)


ANCHOR_ENV = "testkit.envs.anchor_dict_env:make"


def anchor_scene(scene_id: str, returns: str = "dicts", **options) -> GymScene:
    settings = dict(max_steps=30, seed=5, fps=20, countdown_seconds=1, width=300, height=200)
    return GymScene(
        scene_id=scene_id,
        env=ANCHOR_ENV,
        env_kwargs={"returns": returns},
        agents={"human": "human"},
        keys=WALK_KEYS,
        **{**settings, **options},
    )


anchor_solo = Experiment(
    slug="anchor-solo",
    title="A single-agent env written for the anchor: it steps with {'human': action} and returns per-agent dicts",
    stager=[anchor_scene("walk"), anchor_scene("plainwalk", returns="plain"), EndScene(scene_id="end")],
)
