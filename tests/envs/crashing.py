"""Tag that raises on its 10th step (a crashing env for the server-side game tests)."""

from examples.tag.env import TagEnv


class CrashingTag(TagEnv):
    def step(self, actions):
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps == 10:
            raise RuntimeError("the simulator fell over")
        return super().step(actions)


def make(**kwargs) -> CrashingTag:
    return CrashingTag(**kwargs)
