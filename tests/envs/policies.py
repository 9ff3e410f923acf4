"""Python policies for the pre-flight tests: one that raises, one that answers outside the action space."""


def broken(observation, rng, action_space):
    raise ZeroDivisionError("the researcher's bug")


def out_of_space(observation, rng, action_space):
    return 99
