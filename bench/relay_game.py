"""The experiment of the relay load benchmark: Gather for two, a game long enough for any run, rollback netcode."""

from __future__ import annotations

from experiments.study import EndScene, Experiment, GymScene, Netcode, WaitingRoom

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}
SLUG = "relay-bench"

experiment = Experiment(
    slug=SLUG,
    title="Relay load benchmark",
    stager=[
        GymScene(
            scene_id="pair",
            env="examples.gather.env:make",
            env_kwargs={"players": 2},
            agents={"player_0": "human", "player_1": "human"},
            keys=ARROWS,
            max_steps=100_000,
            countdown_seconds=0,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
            waiting_room=WaitingRoom(timeout_s=300),
            netcode=Netcode(input_delay=2, window=8, dropout_s=300.0),
        ),
        EndScene(scene_id="end"),
    ],
)
