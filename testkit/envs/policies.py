"""Python policies for the pre-flight tests: one that raises, one that answers outside the action space."""


def broken(observation, rng, action_space):
    raise ZeroDivisionError("the researcher's bug")


def out_of_space(observation, rng, action_space):
    return 99


class Memory:
    """A stateful policy: built once per game (load weights here), reset per episode; repeats a seeded move."""

    def __init__(self, action_space):
        self.space = action_space
        self.move = None

    def reset(self, seed):
        self.move = seed % self.space.n

    def __call__(self, observation, rng, action_space):
        return self.move
