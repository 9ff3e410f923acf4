"""Unseeded NumPy generators inside the env, drawn from the episode's seed and step instead of the OS.

An env that calls `np.random.default_rng()` (or `SeedSequence()`) without a seed asks the operating system for
entropy, so two browsers, a replay and a rollback re-simulation each draw something else. While the env resets or
steps, that entropy comes from (episode seed, step, draw number) instead: the same in every interpreter, and the
same when a rollback re-runs a step. Outside those calls NumPy draws from the OS as usual. Python's own
`random.Random()` without a seed is not covered (the load-time determinism check refuses such an env).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator

import numpy.random.bit_generator as bit_generator

_lock = threading.Lock()  # one env call at a time swaps NumPy's entropy source (the check runs in a web process)


class _Stream:
    """The entropy of one env call: a hash of (seed, step, draw number), `bits` bits a draw."""

    def __init__(self, seed: int, step: int) -> None:
        self.prefix = f"mug-entropy:{seed}:{step}:".encode()
        self.draws = 0

    def randbits(self, bits: int) -> int:
        size = max(16, (bits + 7) // 8)
        digest = hashlib.blake2b(self.prefix + str(self.draws).encode(), digest_size=min(size, 64)).digest()
        self.draws += 1
        return int.from_bytes(digest, "little") & ((1 << bits) - 1)


@contextlib.contextmanager
def drawn_from(seed: int, step: int) -> Iterator[None]:
    """Within the block, NumPy's unseeded generators draw from (seed, step); restored after, even on error."""
    with _lock:
        original = bit_generator.randbits
        bit_generator.randbits = _Stream(seed, step).randbits
        try:
            yield
        finally:
            bit_generator.randbits = original
