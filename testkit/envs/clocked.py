"""Tag that keeps the wall clock in its state: two replays from one snapshot never agree."""

import time

from examples.tag.env import TagEnv


class ClockedTag(TagEnv):
    def step(self, actions):
        self.moved = time.perf_counter()
        return super().step(actions)


def make(**kwargs) -> ClockedTag:
    return ClockedTag(**kwargs)
