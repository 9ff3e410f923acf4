"""Gather whose third step never returns (within an hour): a game process stuck inside its env."""

import time

from examples.gather.env import GatherEnv


class StuckGather(GatherEnv):
    def step(self, actions):
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps == 3:
            time.sleep(3600)
        return super().step(actions)


def make(**kwargs) -> StuckGather:
    return StuckGather(**kwargs)
