"""Two people gather coins on one grid: a waiting room pairs them, each browser runs the game, the relay keeps
their inputs in step. To try it alone, open the link in two browser profiles (or a normal and a private window)."""

from experiments.study import EndScene, Experiment, GymScene, Netcode, ReplaceWithAI, StaticScene, WaitingRoom

experiment = Experiment(
    slug="pair",
    title="Gather for two",
    description="A two-player game: a waiting room, then both players in one game over the relay.",
    stager=[
        StaticScene(
            scene_id="welcome",
            header="A game for two",
            body="<p>You will be paired with another participant. Collect the yellow coins with the arrow keys; "
            "your partner plays on the same grid.</p>",
        ),
        GymScene(
            scene_id="gather",
            header="Collect the coins",
            body="<p>Use the arrow keys. Each coin you pick up is a point.</p>",
            env="examples.gather.env:make",
            env_kwargs={"players": 2},
            agents={"player_0": "human", "player_1": "human"},
            keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
            default_action=0,
            max_steps=600,
            countdown_seconds=3,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
            waiting_room=WaitingRoom(timeout_s=300),
            # a partner away for 10 s is played by a random agent, so the one who stayed can finish
            netcode=Netcode(dropout_s=10.0, on_dropout=ReplaceWithAI("random")),
        ),
        EndScene(scene_id="end", header="Thank you"),
    ],
)
