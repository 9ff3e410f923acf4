"""Experiments for the browser rollback benchmark: Gather for two at 30 fps, with its own step cost and with an
extra 0.5 ms of work per step."""

from __future__ import annotations

from experiments.study import EndScene, Experiment, GymScene, WaitingRoom

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}


def gather_pair(slug: str, step_cost_ms: float) -> Experiment:
    scene = GymScene(
        scene_id="pair",
        env="examples.gather.env:make",
        env_kwargs={"players": 2, "step_cost_ms": step_cost_ms},
        agents={"player_0": "human", "player_1": "human"},
        keys=ARROWS,
        max_steps=600,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=WaitingRoom(timeout_s=120),
    )
    return Experiment(
        slug=slug, title=f"Gather for two ({step_cost_ms} ms extra per step)", stager=[scene, EndScene(scene_id="end")]
    )


gather_fast = gather_pair("bench-gather", 0.0)
gather_slow = gather_pair("bench-gather-slow", 0.5)
EXPERIMENTS = "bench.netgames:gather_fast,bench.netgames:gather_slow"
