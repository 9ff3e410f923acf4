"""Land on the pad: Gymnasium's LunarLander (Box2D) stepped on the server, played in the browser."""

from experiments.study import (
    ConsentScene,
    EndScene,
    Experiment,
    GymScene,
    InstructionsScene,
    ScaleQuestion,
    SurveyScene,
)

LANDER = GymScene(
    scene_id="lander",
    header="Land between the flags",
    body="<p><kbd>↑</kbd> fires the main engine, <kbd>←</kbd> and <kbd>→</kbd> the side engines.</p>",
    env="examples.lander.env:make",
    agents={"agent": "human"},
    keys={"ArrowLeft": 1, "ArrowUp": 2, "ArrowRight": 3},
    default_action=0,
    fps=30,
    num_episodes=2,
    max_steps=600,
    width=600,
    height=400,
    background="#0b1026",
    countdown_seconds=2,
    runs_on="server",  # Box2D is a compiled extension that Pyodide does not have
)

experiment = Experiment(
    slug="lander",
    title="Lunar lander (server-side)",
    description="One player lands a Box2D lunar lander, stepped on the server, for two rounds of up to 20 s.",
    stager=[
        ConsentScene(
            scene_id="consent",
            body="<p>You will play a short landing game. We record your key presses and the game state.</p>",
        ),
        InstructionsScene(
            scene_id="instructions",
            header="How to play",
            body="<p>Two rounds. Touch down gently between the yellow flags.</p>",
        ),
        LANDER,
        SurveyScene(
            scene_id="feedback",
            header="About the game",
            questions=[ScaleQuestion(id="hard", label="How hard was landing?", min=1, max=5, labels=["Easy", "Hard"])],
        ),
        EndScene(scene_id="end"),
    ],
)
