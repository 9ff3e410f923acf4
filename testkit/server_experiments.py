"""Test studies of server-side games: solo and pairs, slow, stuck, long and crashing envs, dropout policies."""

from __future__ import annotations

import dataclasses

from experiments.study import (
    EndForAll,
    EndScene,
    Experiment,
    GymScene,
    Monitoring,
    Netcode,
    ReplaceWithAI,
    WaitForReturn,
)
from testkit.relay_experiments import ARROWS
from testkit.room_experiments import quick_room


# Server-side games (issue 7): the env steps on the server; browsers draw and send keys.
def server_gather(players: int = 1, steps: int = 45, episodes: int = 2, **scene) -> GymScene:
    return GymScene(
        scene_id="play",
        env="examples.gather.env:make",
        env_kwargs={"players": players, **scene.pop("env_kwargs", {})},
        agents={f"player_{i}": "human" for i in range(players)},
        keys=ARROWS,
        max_steps=steps,
        num_episodes=episodes,
        countdown_seconds=0,
        runs_on="server",
        **scene,
    )


server_solo = Experiment(
    slug="server-solo", title="Gather alone, stepped on the server", stager=[server_gather(), EndScene(scene_id="end")]
)


server_slow = Experiment(
    slug="server-slow",
    title="A server-side game whose env takes 60 ms a step",
    stager=[server_gather(steps=90, episodes=1, env_kwargs={"step_cost_ms": 60}), EndScene(scene_id="end")],
)


server_stuck = Experiment(
    slug="server-stuck",
    title="A server-side game whose env never returns from its third step",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.stuck:make",
            env_kwargs={"players": 1},
            agents={"player_0": "human"},
            keys=ARROWS,
            max_steps=90,
            countdown_seconds=0,
            runs_on="server",
            ship=["testkit.envs"],
        ),
        EndScene(scene_id="end"),
    ],
)


server_long = Experiment(
    slug="server-long",
    title="A 3 s server-side game",
    stager=[server_gather(steps=90, episodes=1), EndScene(scene_id="end")],
)


server_crash = Experiment(
    slug="server-crash",
    title="A server-side game whose env raises on its 10th step",
    stager=[
        GymScene(
            scene_id="play",
            env="testkit.envs.crashing:make",
            agents={"chaser": "human", "runner": "random"},
            keys=ARROWS,
            max_steps=100,
            countdown_seconds=0,
            runs_on="server",
        ),
        EndScene(scene_id="end"),
    ],
)


server_pair = Experiment(
    slug="server-pair",
    title="Gather for two on the server; a partner gone for 2 s ends the game",
    stager=[
        server_gather(
            players=2,
            steps=60,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)


server_pair_ai = Experiment(
    slug="server-pair-ai",
    title="Gather for two on the server; a partner gone for 2 s is replaced by a random agent",
    stager=[
        server_gather(
            players=2,
            steps=150,
            episodes=1,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=ReplaceWithAI("random")),
        ),
        EndScene(scene_id="end"),
    ],
)


server_pair_wait = Experiment(
    slug="server-pair-wait",
    title="Gather for two on the server; the game waits for a partner who is away",
    stager=[
        server_gather(
            players=2,
            steps=90,
            episodes=1,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=2.0, on_dropout=WaitForReturn()),
        ),
        EndScene(scene_id="end"),
    ],
)


watched_far = Experiment(
    slug="watched-far",
    title="A server-side game that excludes a connection slow for 3 s",
    monitoring=Monitoring(
        hidden_warn_s=None, hidden_exclude_s=None, latency_warn_ms=100, latency_exclude_ms=150, latency_for_s=3
    ),
    stager=[server_gather(steps=900, episodes=1), EndScene(scene_id="end")],
)


# A server-side game whose env draws a registered image (issue 18: the first frame a player sees has every asset).
server_sprites = Experiment(
    slug="server-sprites",
    title="Gather with a sprite, stepped on the server",
    stager=[dataclasses.replace(server_gather(), env="testkit.envs.sprites:make"), EndScene(scene_id="end")],
)


TAG_LABELS = {"chaser": "the red dot", "runner": "the green dot"}
server_tag_pair = Experiment(
    slug="server-tag-pair",
    title="Tag for two on the server (the runner's score is never the chaser's): each seat sees its own",
    stager=[
        GymScene(
            scene_id="play",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "human"},
            keys=ARROWS,
            num_episodes=1,
            max_steps=1800,
            countdown_seconds=0,
            runs_on="server",
            agent_labels=TAG_LABELS,
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=30.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)
