"""Experiments for the matchmaking benchmark: rooms of 2 and of 4 people around a trivial N-agent env."""

from __future__ import annotations

from experiments.study import EndScene, Experiment, GymScene, WaitingRoom


def crowd(size: int) -> Experiment:
    room = WaitingRoom(timeout_s=600, show_count=False)
    scene = GymScene(
        scene_id="game",
        env="bench.crowd_env:CrowdEnv",  # its own module: what ships to browsers holds no server code
        env_kwargs={"n": size},
        agents={f"p{i}": "human" for i in range(size)},
        keys={" ": 1},
        waiting_room=room,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
    )
    return Experiment(slug=f"crowd{size}", title=f"Groups of {size}", stager=[scene, EndScene(scene_id="end")])


pairs = crowd(2)
quads = crowd(4)
