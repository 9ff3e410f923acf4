"""The demo's two-player flagship: CoGrid 0.2.1's Overcooked (cramped room), installed from PyPI and unmodified, for
two humans. It runs on the server: its drawing needs opencv-python (a full pot's timer), which browsers served by a
self-hosted Pyodide lack (docs/reference/conformance.md). Open the link in two browser profiles to try it alone."""

from experiments.study import (
    ConsentScene,
    EndScene,
    Experiment,
    GymScene,
    InstructionsScene,
    Netcode,
    ReplaceWithAI,
    WaitingRoom,
)

KITCHEN = GymScene(
    scene_id="kitchen",
    header="Cook onion soup together",
    body="<p>Arrow keys move your chef, <kbd>Space</kbd> picks up or puts down. Three onions in the pot cook a "
    "soup; bring it to the serving counter on a plate.</p>",
    env="cogrid.envs.registry:make",
    env_kwargs={"environment_id": "Overcooked-CrampedRoom-V0"},
    agents={0: "human", 1: "human"},  # CoGrid names its agents 0 and 1
    # CoGrid's cardinal actions: up, down, left, right, pick up or drop, toggle, no-op
    keys={"ArrowUp": 0, "ArrowDown": 1, "ArrowLeft": 2, "ArrowRight": 3, " ": 4},
    default_action=6,
    input_mode="press",  # one grid move per key press
    fps=10,
    max_steps=900,  # 90 s
    width=500,
    height=500,
    countdown_seconds=3,
    runs_on="server",
    waiting_room=WaitingRoom(timeout_s=300),
    # a partner away for 10 s is played by a random agent, so the one who stayed can finish
    netcode=Netcode(dropout_s=10.0, on_dropout=ReplaceWithAI("random")),
)

experiment = Experiment(
    slug="overcooked",
    title="Overcooked for two (CoGrid, server-side)",
    description="Two players cook in CoGrid's cramped kitchen, an env from PyPI played unmodified on the server.",
    stager=[
        ConsentScene(
            scene_id="consent",
            body="<p>You will cook with another participant for 90 seconds. We record your key presses and the "
            "game state.</p>",
        ),
        InstructionsScene(
            scene_id="instructions",
            header="How to play",
            body="<p>You are paired with another participant. Work together: each soup served scores for both.</p>",
        ),
        KITCHEN,
        EndScene(scene_id="end", header="Thank you"),
    ],
)
