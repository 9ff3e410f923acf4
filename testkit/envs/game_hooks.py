"""Game hooks for the tests (GymScene.hooks): fields derived only from their arguments, and broken variants."""

from __future__ import annotations

import time


class WalkHooks:
    """Deterministic fields: where each episode began, each frame's reward sum and the ids the hooks saw."""

    def on_episode_start(self, env, episode, seed):
        return {"start": {"episode": episode, "seed": seed}}

    def on_tick(self, env, step):
        ids = ",".join(sorted(repr(agent) for agent in step.actions))  # the env's own ids: ints for int envs
        return {"frame": step.frame, "episode": step.episode, "reward_sum": sum(step.rewards.values()), "ids": ids}

    def on_episode_end(self, env, episode, frames, scores):
        return {"ended": frames, "total": sum(scores.values())}


class TickOnly:
    def on_tick(self, env, step):
        return None if step.frame % 2 else {"even": True}


class Misspelt:
    def on_step(self, env, step):
        return {}


class NoHooks:
    pass


class NotADict:
    def on_tick(self, env, step):
        return [step.frame]


class Clocked:
    """Reads the clock: two runs of the same game differ, which the load check refuses."""

    def on_tick(self, env, step):
        return {"now": time.perf_counter_ns()}


class Raises:
    def on_episode_start(self, env, episode, seed):
        raise RuntimeError("no episode for you")


class Counting:
    """Keeps a counter on itself: fine straight through, but rollback re-simulation re-runs frames it counted."""

    def __init__(self) -> None:
        self.calls = 0

    def on_tick(self, env, step):
        self.calls += 1
        return {"calls": self.calls}


class PerEpisodeCounting(Counting):
    """Starts its counter again each episode: replays agree, but rollback re-simulation re-runs frames it counted."""

    def on_episode_start(self, env, episode, seed):
        self.calls = 0
