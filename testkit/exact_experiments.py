"""Studies for the exact verifier's tests (tests/**/test_exact_verif*.py) and bench/verifier.py."""

from examples.tag.experiment import TAG_SETTINGS
from examples.tagai.experiment import CHASER_MODEL
from experiments.study import EndScene, Experiment, GymScene, PythonPolicy

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

# Human–AI: the runner is a Python heuristic drawing from the episode seed (examples.tag.policies:flee).
chase = Experiment(
    slug="chase",
    title="Chase a Python runner, verified bit for bit",
    stager=[
        GymScene(
            scene_id="play",
            agents={"chaser": "human", "runner": PythonPolicy("examples.tag.policies:flee")},
            num_episodes=1,
            max_steps=60,
            seed=[3],
            **{**TAG_SETTINGS, "fps": 30},
        ),
        EndScene(scene_id="end"),
    ],
)

# Human–AI with the demo's ONNX chaser (examples.tagai): recurrent, a fixed input, sampling from the episode seed and
# thinking every second frame; run by onnxruntime-web in the browser and in the verifier.
flee = Experiment(
    slug="flee",
    title="Run from an ONNX chaser, verified bit for bit",
    stager=[
        GymScene(
            scene_id="play",
            agents={"chaser": CHASER_MODEL, "runner": "human"},
            num_episodes=1,
            max_steps=60,
            seed=[6],
            **{**TAG_SETTINGS, "fps": 30},
        ),
        EndScene(scene_id="end"),
    ],
)

PATHS = [
    "testkit.exact_experiments:libm",
    "testkit.exact_experiments:chase",
    "testkit.exact_experiments:flee",
    "testkit.fixture_experiments:game",
    "testkit.fixture_experiments:cartpole_long",
]
