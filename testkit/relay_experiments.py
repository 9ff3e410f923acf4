"""Test studies of group games over the rollback relay: two to four players, dropout policies, long and
reliability runs."""

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
    WaitingRoom,
)
from testkit.room_experiments import quick_room

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}  # Gather's keys

net_pair = Experiment(
    slug="net-pair",
    title="Tag for two over the relay: two short episodes; a partner gone for 3 s ends the game",
    stager=[
        GymScene(
            scene_id="pair",
            env="examples.tag.env:make",
            agents={"chaser": "human", "runner": "human"},
            keys=ARROWS,
            max_steps=75,
            num_episodes=2,
            countdown_seconds=1,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(input_delay=2, window=8, lagging_s=0.5, dropout_s=3.0, on_dropout=EndForAll()),
        ),
        EndScene(scene_id="end"),
    ],
)


def gather_game(players: int) -> GymScene:
    return GymScene(
        scene_id=f"gather{players}",
        env="examples.gather.env:make",
        env_kwargs={"players": players},
        agents={f"player_{i}": "human" for i in range(players)},
        keys=ARROWS,
        max_steps=90,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=quick_room(timeout_s=60),
        netcode=Netcode(input_delay=2, window=8, lagging_s=0.5, dropout_s=3.0, on_dropout=ReplaceWithAI("random")),
    )


net_trio = Experiment(slug="net-trio", title="Gather for three", stager=[gather_game(3), EndScene(scene_id="end")])


net_quad = Experiment(slug="net-quad", title="Gather for four", stager=[gather_game(4), EndScene(scene_id="end")])


net_patient = Experiment(
    slug="net-patient",
    title="Gather for two, one 15 s episode; a partner may be away for 10 minutes",
    stager=[
        GymScene(
            scene_id="pair",
            env="examples.gather.env:make",
            agents={"player_0": "human", "player_1": "human"},
            keys=ARROWS,
            max_steps=450,
            countdown_seconds=1,
            packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
            waiting_room=quick_room(timeout_s=60),
            netcode=Netcode(lagging_s=0.5, dropout_s=600.0),  # a reload on a busy machine can take a minute
        ),
        EndScene(scene_id="end"),
    ],
)


# The relay's consumer tests that are not about dropouts: a patient timeout, so a slow test machine drops no one.
net_relay = Experiment(
    slug="net-relay",
    title="Tag for two over the relay, patient",
    stager=[
        dataclasses.replace(net_pair.stager[0], netcode=Netcode(lagging_s=0.5, dropout_s=60.0)),
        EndScene(scene_id="end"),
    ],
)


# Reliability tests and benchmarks (tests/reliability/test_reliability*.py, bench/long_run.py,
# bench/load_participants.py).
def gather_pair(steps: int, episodes: int, dropout_s: float, players: int = 2) -> GymScene:
    """Gather for two (scene "pair"; or more, scene "group") over the relay, with a patient room (a busy machine
    must not dissolve a confirmed group)."""
    return GymScene(
        scene_id="pair" if players == 2 else "group",
        env="examples.gather.env:make",
        env_kwargs={"players": players},
        agents={f"player_{i}": "human" for i in range(players)},
        keys=ARROWS,
        max_steps=steps,
        num_episodes=episodes,
        countdown_seconds=1,
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        waiting_room=WaitingRoom(timeout_s=120),
        netcode=Netcode(lagging_s=0.5, dropout_s=dropout_s),
    )


net_reliable = Experiment(
    slug="net-reliable",
    title="Gather for two, two 8 s episodes; a partner may be away for 30 s (a server restart, a lost network)",
    stager=[gather_pair(steps=240, episodes=2, dropout_s=30.0), EndScene(scene_id="end")],
)


net_reliable_four = Experiment(
    slug="net-reliable-four",
    title="Gather for four, two 8 s episodes; a participant may be away for 30 s (the deployment test)",
    stager=[gather_pair(steps=240, episodes=2, dropout_s=30.0, players=4), EndScene(scene_id="end")],
)


net_marathon = Experiment(
    slug="net-marathon",
    title="Gather for two, one episode of an hour at 30 fps (bench/long_run.py)",
    stager=[gather_pair(steps=108_000, episodes=1, dropout_s=60.0), EndScene(scene_id="end")],
)


# A monitored game for two over the relay (tests/flow/test_hidden_tab_sweep.py): the sweep's exclusion drops the seat.
watched_pair = Experiment(
    slug="watched-pair",
    title="Tag for two, monitored for a hidden tab",
    monitoring=Monitoring(hidden_warn_s=1, hidden_exclude_s=3),
    stager=[
        dataclasses.replace(net_pair.stager[0], netcode=Netcode(lagging_s=0.5, dropout_s=60.0)),
        EndScene(scene_id="end"),
    ],
)
