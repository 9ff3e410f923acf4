"""Unseeded NumPy generators inside env calls draw from (seed, step); outside them NumPy draws from the OS."""

from __future__ import annotations

import numpy as np
import pytest

from mug.entropy import drawn_from


def draws() -> list[int]:
    return np.random.default_rng().integers(0, 2**31, 4).tolist()


def test_the_same_seed_and_step_give_the_same_draws_and_another_step_or_seed_others():
    with drawn_from(7, 3):
        first, second = draws(), draws()
    with drawn_from(7, 3):
        again = draws()
    with drawn_from(7, 4):
        next_step = draws()
    with drawn_from(8, 3):
        other_seed = draws()
    assert first == again
    assert len({tuple(first), tuple(second), tuple(next_step), tuple(other_seed)}) == 4


def test_seed_sequences_without_entropy_are_covered_and_explicit_seeds_are_untouched():
    with drawn_from(1, 1):
        inside = np.random.SeedSequence().entropy
        seeded = np.random.default_rng(5).integers(0, 2**31, 4).tolist()
    with drawn_from(1, 1):
        assert np.random.SeedSequence().entropy == inside
    assert seeded == np.random.default_rng(5).integers(0, 2**31, 4).tolist()


def test_outside_an_env_call_numpy_draws_from_the_os_again_even_after_an_error():
    with drawn_from(1, 1):
        first_inside = draws()
    with pytest.raises(RuntimeError), drawn_from(1, 1):
        raise RuntimeError("the env raised before drawing")
    # A source left in place would give the block's first draw again (2**124 to one against by chance).
    assert draws() != first_inside
