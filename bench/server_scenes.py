"""The benchmark's server-side game: Gather alone, 30 s at 30 fps, no countdown."""

from experiments.study import EndScene, Experiment, GymScene

experiment = Experiment(
    slug="sg-bench",
    title="Server-side game benchmark",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.gather.env:make",
            env_kwargs={"players": 1},
            agents={"player_0": "human"},
            keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
            max_steps=900,
            countdown_seconds=0,
            runs_on="server",
        ),
        EndScene(scene_id="end"),
    ],
)
