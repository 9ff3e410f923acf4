"""Tag whose get_state forgets the chaser's position: snapshots look fine but replays diverge."""

from examples.tag.env import TagEnv


class LeakyTag(TagEnv):
    def get_state(self):
        return {"runner": self.positions["runner"].copy(), "agents": list(self.agents)}

    def set_state(self, state):
        self.positions["runner"] = state["runner"].copy()
        self.agents = list(state["agents"])


def make(**kwargs) -> LeakyTag:
    return LeakyTag(**kwargs)
