"""Fixture studies for the runtime's bad paths and its reuse across scenes (tests/browser/test_runtime_*_browser.py,
tests/gamedata/test_load_failures.py, bench/browser_second_scene.py)."""

from __future__ import annotations

import dataclasses

from examples.tagai.experiment import FLEE
from experiments.study import EndScene, Experiment, GymScene, StaticScene

# Short, so a test sees the ending, yet far above Pyodide's boot on a busy 2-core machine; the default is 180 s.
LOAD_TIMEOUT_S = 60
MODEL_LOAD_TIMEOUT_S = 120  # the model loads last: Python and the wheels first


def cartpole(scene_id: str = "play", **scene) -> GymScene:
    settings = {"max_steps": 40, "num_episodes": 1, "countdown_seconds": 1, **scene}
    return GymScene(
        scene_id=scene_id,
        env="examples.cartpole.env:make",
        keys={"ArrowLeft": 0, "ArrowRight": 1},
        **settings,
    )


def tag(scene_id: str, **scene) -> GymScene:
    settings = {"max_steps": 40, "num_episodes": 1, "countdown_seconds": 1, **scene}
    return GymScene(
        scene_id=scene_id,
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "random"},
        keys={"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        **settings,
    )


# One short game with the default load deadline.
one_game = Experiment(slug="one-game", title="One short game", stager=[cartpole(), EndScene(scene_id="end")])

# A game whose loading may not take longer than LOAD_TIMEOUT_S.
load_deadline = Experiment(
    slug="load-deadline",
    title="A game that must load within 60 s",
    stager=[cartpole(load_timeout_s=LOAD_TIMEOUT_S), EndScene(scene_id="end")],
)

# A game with an ONNX chaser, whose model must load within MODEL_LOAD_TIMEOUT_S.
model_deadline = Experiment(
    slug="model-deadline",
    title="A game with a model that must load within 120 s",
    stager=[
        dataclasses.replace(FLEE, scene_id="play", num_episodes=1, load_timeout_s=MODEL_LOAD_TIMEOUT_S),
        EndScene(scene_id="end"),
    ],
)

# An env whose reset() raises.
reset_crash = Experiment(
    slug="reset-crash",
    title="A game whose env raises in reset()",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.reset_crash_solo:make",
            keys={"a": 1},
            max_steps=100,
            ship=["testkit.envs"],
        ),
        EndScene(scene_id="end"),
    ],
)

# Two game scenes in one visit, a page between them; the second adds PettingZoo (one more wheel).
two_games = Experiment(
    slug="two-games",
    title="Two games in one visit",
    stager=[
        cartpole("first"),
        StaticScene(scene_id="between", body="<p>Now a second game.</p>"),
        tag("second"),
        EndScene(scene_id="end"),
    ],
)

PATHS = [
    f"testkit.runtime_experiments:{name}"
    for name in ("one_game", "load_deadline", "model_deadline", "reset_crash", "two_games")
]
