"""One human chases a randomly moving runner in our own two-agent PettingZoo ParallelEnv."""

from experiments.study import ChoiceQuestion, ConsentScene, EndScene, Experiment, GymScene, SurveyScene

# What every Tag scene of the demos shares: the env, arrow keys, pace and canvas.
TAG_SETTINGS = dict(
    env="examples.tag.env:make",
    keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
    default_action=0,
    fps=10,
    width=350,
    height=350,
    packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
)

TAG = GymScene(
    scene_id="tag",
    header="Catch the green dot",
    body="<p>You are the red dot. Use the arrow keys to reach the green dot.</p>",
    agents={"chaser": "human", "runner": "random"},
    num_episodes=2,
    max_steps=150,
    **TAG_SETTINGS,
)

experiment = Experiment(
    slug="tag",
    title="Tag",
    description="A human chaser and a random runner.",
    stager=[
        ConsentScene(scene_id="consent", body="<p>You will play a short chasing game. We record the game.</p>"),
        TAG,
        SurveyScene(
            scene_id="feedback",
            questions=[ChoiceQuestion(id="caught", label="Did you catch it?", options=["Yes", "No", "Not sure"])],
        ),
        EndScene(scene_id="end"),
    ],
)
