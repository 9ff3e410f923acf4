"""Tag that raises on its 10th step (a crashing env for the server-side game tests)."""

from examples.tag.env import TagEnv


class CrashingTag(TagEnv):
    def step(self, actions):
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps == 10:
            raise RuntimeError("the simulator fell over")
        agents = list(self.agents)
        observations, rewards, terminations, truncations, infos = super().step(actions)
        # No catch ends the episode before the crash (the random runner could be caught within 9 steps).
        self.agents = agents
        return observations, rewards, dict.fromkeys(terminations, False), truncations, infos


def make(**kwargs) -> CrashingTag:
    return CrashingTag(**kwargs)
