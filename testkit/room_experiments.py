"""Test studies with waiting rooms: pairs with short presence and confirmation limits, and each timeout outcome."""

from __future__ import annotations

from experiments.study import (
    ContinueTo,
    EndScene,
    Experiment,
    GroupReunion,
    GymScene,
    PlayWithAI,
    StaticScene,
    WaitingRoom,
)


def pair_game(scene_id: str, waiting_room: WaitingRoom) -> GymScene:
    """Tag for two people: the waiting room settings are short so that tests run in seconds."""
    return GymScene(
        scene_id=scene_id,
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "human"},
        keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
        max_steps=60,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=waiting_room,
    )


def quick_room(**settings) -> WaitingRoom:
    return WaitingRoom(**{"ping_interval_s": 0.2, "presence_timeout_s": 1.5, "ack_timeout_s": 1.0, **settings})


duo = Experiment(
    slug="duo",
    title="Pairs, with short presence and confirmation limits",
    stager=[
        StaticScene(scene_id="hello"),
        pair_game("pair", quick_room(timeout_s=60)),
        pair_game("again", quick_room(timeout_s=30, matcher=GroupReunion(source_scene="pair", fallback_after_s=2))),
        EndScene(scene_id="end"),
    ],
)


duo_ai = Experiment(
    slug="duo-ai",
    title="Pairs, or a random partner after 1.5 s",
    stager=[
        pair_game("pair", quick_room(timeout_s=1.5, on_timeout=PlayWithAI({"runner": "random"}))),
        StaticScene(scene_id="thanks", header="Thanks"),
        EndScene(scene_id="end"),
    ],
)


duo_end = Experiment(
    slug="duo-end",
    title="Pairs or the no-partner code",
    stager=[pair_game("pair", quick_room(timeout_s=1.5)), EndScene(scene_id="end")],
)


duo_skip = Experiment(
    slug="duo-skip",
    title="Pairs or a solo scene",
    stager=[
        pair_game("pair", quick_room(timeout_s=1.5, on_timeout=ContinueTo("solo"))),
        StaticScene(scene_id="between"),
        StaticScene(scene_id="solo", header="On your own"),
        EndScene(scene_id="end"),
    ],
)


pairs = Experiment(
    slug="pairs",
    title="Pairs with a patient room",
    stager=[pair_game("pair", WaitingRoom(timeout_s=120, ping_interval_s=0.5)), EndScene(scene_id="end")],
)
