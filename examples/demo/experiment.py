"""The demo experiment: every scene type, randomized between-subjects assignment, a repeat and a branch."""

from experiments.study import (
    DECLINED_CONSENT,
    Branch,
    ChoiceQuestion,
    ConsentScene,
    EndScene,
    Experiment,
    GymScene,
    InstructionsScene,
    Outcome,
    RandomizeOrder,
    Repeat,
    ScaleQuestion,
    StaticScene,
    SurveyScene,
    TextQuestion,
)


def pick_followup(answers) -> str:
    """Players who found the game hard get an extra question; the rest go straight on."""
    rating = answers.get("post-game", {}).get("difficulty")
    return "hard" if rating is not None and rating >= 4 else "easy"


experiment = Experiment(
    slug="demo",
    title="MUG demo study",
    description="Walks through every scene type MUG offers.",
    time_limit_minutes=60,
    outcomes={DECLINED_CONSENT: Outcome(message="You chose not to take part. No data beyond this choice is kept.")},
    stager=[
        StaticScene(
            scene_id="welcome",
            header="Welcome",
            body="<p>Thank you for your interest. This demo shows each kind of page a MUG study can have.</p>",
        ),
        ConsentScene(scene_id="consent", body_file="consent.html"),
        InstructionsScene(
            scene_id="instructions",
            header="How to play",
            body="<p>Use the <kbd>arrow keys</kbd> to move. Collect as many points as you can.</p>",
        ),
        # Between-subjects: each participant plays one of the two conditions, drawn once and stored.
        RandomizeOrder(
            [
                GymScene(
                    scene_id="game-cartpole",
                    header="Balance the pole",
                    body="<p>Press <kbd>←</kbd> and <kbd>→</kbd> to keep the pole upright.</p>",
                    env="examples.cartpole.env:make",
                    keys={"ArrowLeft": 0, "ArrowRight": 1},
                    max_steps=300,
                ),
                GymScene(
                    scene_id="game-tag",
                    header="Catch the green dot",
                    body="<p>Use the arrow keys to reach the green dot.</p>",
                    env="examples.tag.env:make",
                    agents={"chaser": "human", "runner": "random"},
                    keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
                    fps=10,
                    max_steps=150,
                    width=350,
                    height=350,
                    packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
                ),
            ],
            keep_n=1,
        ),
        SurveyScene(
            scene_id="post-game",
            header="About the game",
            questions=[
                ScaleQuestion(
                    id="difficulty",
                    label="How difficult was the game?",
                    min=1,
                    max=5,
                    labels=["Very easy", "Easy", "Neither", "Hard", "Very hard"],
                ),
                ScaleQuestion(
                    id="enjoyment",
                    label="How much did you enjoy it?",
                    min=0,
                    max=100,
                    slider=True,
                    labels=["Not at all", "Very much"],
                ),
                ChoiceQuestion(
                    id="strategy",
                    label="Which strategies did you use?",
                    options=["Went for the nearest point", "Planned a route", "Moved at random"],
                    multiple=True,
                ),
                ChoiceQuestion(id="device", label="What did you play on?", options=["Laptop", "Desktop", "Other"]),
                ChoiceQuestion(
                    id="mood",
                    label="Pick the box that fits your mood best.",
                    options=["Calm", "Excited", "Bored"],
                    boxes=True,
                ),
                TextQuestion(id="comments", label="Anything else you want to tell us?", required=False),
            ],
        ),
        Branch(
            "difficulty-followup",
            select=pick_followup,
            branches={
                "hard": [
                    SurveyScene(
                        scene_id="hard-followup",
                        header="You found it hard",
                        questions=[TextQuestion(id="what-was-hard", label="What made it hard?", multiline=False)],
                    )
                ],
                "easy": [],
            },
            default="easy",
        ),
        Repeat(
            [
                SurveyScene(
                    scene_id="attention",
                    header="Quick check",
                    questions=[ScaleQuestion(id="alertness", label="How alert do you feel right now?", min=1, max=7)],
                )
            ],
            times=2,
        ),
        EndScene(scene_id="end", header="Thank you!", body="<p>You have finished the demo study.</p>"),
    ],
)
