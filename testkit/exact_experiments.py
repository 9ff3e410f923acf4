"""Studies for the exact verifier's tests (tests/**/test_exact_verif*.py) and bench/verifier.py."""

from experiments.study import EndScene, Experiment, GymScene

libm = Experiment(
    slug="libm",
    title="A walker through libm, verified bit for bit",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.libm_walk:make",
            keys={"ArrowLeft": 0, "ArrowRight": 1},
            num_episodes=1,
            max_steps=200,
            seed=[5],
        ),
        EndScene(scene_id="end"),
    ],
)

PATHS = [
    "testkit.exact_experiments:libm",
    "testkit.fixture_experiments:game",
    "testkit.fixture_experiments:cartpole_long",
]
