"""Single-player CartPole in the browser, from consent to completion code."""

from experiments.study import (
    ConsentScene,
    EndScene,
    Experiment,
    GymScene,
    InstructionsScene,
    ScaleQuestion,
    SurveyScene,
    TextQuestion,
)

CARTPOLE = GymScene(
    scene_id="cartpole",
    header="Balance the pole",
    body="<p>Press <kbd>←</kbd> and <kbd>→</kbd> to push the cart. Keep the pole upright as long as you can.</p>",
    env="examples.cartpole.env:make",
    agents={"agent": "human"},
    keys={"ArrowLeft": 0, "ArrowRight": 1},
    default_action=0,
    fps=30,
    num_episodes=2,
    max_steps=300,
    width=600,
    height=400,
    background="#f4f6fb",
)

experiment = Experiment(
    slug="cartpole",
    title="CartPole",
    description="One player balances a pole for two short rounds.",
    stager=[
        ConsentScene(
            scene_id="consent",
            body="<p>You will play a short balancing game. We record your key presses and the game state.</p>",
        ),
        InstructionsScene(
            scene_id="instructions", header="How to play", body="<p>Two rounds of up to ten seconds.</p>"
        ),
        CARTPOLE,
        SurveyScene(
            scene_id="feedback",
            header="About the game",
            questions=[
                ScaleQuestion(id="difficulty", label="How hard was it?", min=1, max=5, labels=["Easy", "Hard"]),
                TextQuestion(id="comments", label="Comments", required=False),
            ],
        ),
        EndScene(scene_id="end"),
    ],
)
