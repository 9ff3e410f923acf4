"""Human–AI Tag: chase a Python heuristic runner, then flee from an ONNX chaser (built by examples.tagai.model)."""

from examples.tag.experiment import TAG_SETTINGS
from examples.tagai.model import DEFAULT_PATH
from experiments.study import (
    ConsentScene,
    EndScene,
    Experiment,
    GymScene,
    InstructionsScene,
    OnnxPolicy,
    PythonPolicy,
    ScaleQuestion,
    SurveyScene,
)

CHASE = GymScene(
    scene_id="chase",
    header="Catch the green dot",
    body="<p>You are the red dot. The green dot runs away from you.</p>",
    agents={"chaser": "human", "runner": PythonPolicy("examples.tag.policies:flee")},
    num_episodes=1,
    max_steps=150,
    **TAG_SETTINGS,
)

# The chaser network is recurrent (h_in/h_out), takes a fixed "skill" that sharpens its choices, samples its
# move from the logits with the episode's seed and thinks every second frame.
CHASER_MODEL = OnnxPolicy(
    model=str(DEFAULT_PATH),
    input="obs",
    output="logits",
    state={"h_in": "h_out"},
    fixed={"skill": [[2.0]]},
    sample=True,
    frame_skip=2,
)

FLEE = GymScene(
    scene_id="flee",
    header="Run from the red dot",
    body="<p>You are the green dot now. A trained network chases you.</p>",
    agents={"chaser": CHASER_MODEL, "runner": "human"},
    num_episodes=2,
    max_steps=100,
    **TAG_SETTINGS,
)

experiment = Experiment(
    slug="tagai",
    title="Tag against AI",
    description="A human plays Tag against a Python heuristic and an ONNX network, both running in the browser.",
    stager=[
        ConsentScene(scene_id="consent", body="<p>You will play two short chasing games. We record the games.</p>"),
        InstructionsScene(scene_id="rules", body="<p>Use the arrow keys. Each game lasts at most 15 seconds.</p>"),
        CHASE,
        FLEE,
        SurveyScene(
            scene_id="feedback",
            questions=[ScaleQuestion(id="humanlike", label="How human did the chaser seem?", min=1, max=7)],
        ),
        EndScene(scene_id="end"),
    ],
)
