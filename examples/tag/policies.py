"""Heuristic policies for the Tag env, plain Python + numpy, run next to the env in the browser."""

from __future__ import annotations

import numpy as np

from examples.tag.env import MOVES

GRID = 7  # the demo's grid (TagEnv's default size)


def flee(observation, rng, action_space) -> int:
    """The runner steps to the free cell farthest from the chaser; ties are broken by the seeded generator."""
    chaser, runner = np.asarray(observation[:2]), np.asarray(observation[2:])
    size = GRID  # moves off the grid are clipped by the env
    best, best_distance = [], -1
    for action, (dx, dy) in MOVES.items():
        cell = np.clip(runner + (dx, dy), 0, size - 1)
        distance = int(np.abs(cell - chaser).sum())
        if distance > best_distance:
            best, best_distance = [action], distance
        elif distance == best_distance:
            best.append(action)
    if rng.random() < 0.2:  # a little noise so the human can corner it
        return int(rng.integers(action_space.n))
    return int(best[int(rng.integers(len(best)))])
