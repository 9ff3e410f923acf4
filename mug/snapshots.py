"""Saving and restoring a running env for rollback, a canonical checksum of its state, and the load-time self-test.

Tier 1: the env's own `get_state()`/`set_state(state)` (compact, fast). Tier 2 (fallback): a deep copy of the
whole env stack, which carries the wrappers' counters and the env's RNG with it, plus the global `random` and
legacy NumPy RNGs. Snapshots stay inside Python; they are never serialised for JS or the network.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import random
import struct
from typing import Any


class RollbackUnsupported(RuntimeError):
    """The env cannot be saved and restored faithfully; multiplayer must not start with it."""


class Snapshotter:
    """save/load/checksum for one adapter (`mug.adapters`), with the method chosen once."""

    def __init__(self, adapter) -> None:
        self.adapter = adapter
        self.explicit = _has_explicit_state(adapter.env)

    def save(self) -> Any:
        # An env with get_state() declares its whole state; copying the global RNGs as well would cost 20x the
        # env's own state (the self-test catches an env that draws from them without saying so).
        position = (self.adapter.seed, self.adapter.steps)  # where unseeded draws come from (mug.entropy)
        if self.explicit:
            return ("explicit", _unwrapped(self.adapter.env).get_state(), None, position)
        return ("copy", copy.deepcopy(self.adapter.env, self._keep_surface()), _global_rngs(), position)

    def load(self, snapshot: Any) -> None:
        kind, state, rngs, (self.adapter.seed, self.adapter.steps) = snapshot
        if kind == "explicit":
            _unwrapped(self.adapter.env).set_state(state)
        else:
            self.adapter.env = copy.deepcopy(state, self._keep_surface())  # the snapshot stays reusable
            _restore_global_rngs(rngs)

    def _keep_surface(self) -> dict:
        """A deepcopy memo that shares the drawing surface: it records what the participant's screen already
        shows (to send only changes), which a rollback must not rewind; it is not game state."""
        surface = getattr(_unwrapped(self.adapter.env), "surface", None)
        return {} if surface is None else {id(surface): surface}

    def checksum(self) -> str:
        """A 64-bit digest of the canonical encoding of the state (floats by their exact bytes)."""
        env = _unwrapped(self.adapter.env)
        state = env.get_state() if self.explicit else _public_state(env)
        digest = hashlib.blake2b(digest_size=8)
        _feed(digest, state)
        if not self.explicit:
            _feed(digest, _global_rngs())
        return digest.hexdigest()


def self_test(snapshotter: Snapshotter, actions_for, steps: int = 5) -> None:
    """load(save()) keeps the checksum, and two replays from one snapshot agree; raises RollbackUnsupported."""
    before = snapshotter.checksum()
    snapshot = snapshotter.save()
    snapshotter.load(snapshot)
    if snapshotter.checksum() != before:
        raise RollbackUnsupported("restoring a snapshot changes the env's state checksum")
    runs = []
    for _ in range(2):
        snapshotter.load(snapshot)
        for frame in range(steps):
            snapshotter.adapter.step(actions_for(frame))
        runs.append(snapshotter.checksum())
    if runs[0] != runs[1]:
        raise RollbackUnsupported("two replays from the same snapshot with the same inputs differ: not deterministic")
    snapshotter.load(snapshot)


def _unwrapped(env):
    return getattr(env, "unwrapped", env)


def _has_explicit_state(env) -> bool:
    inner = _unwrapped(env)
    return callable(getattr(inner, "get_state", None)) and callable(getattr(inner, "set_state", None))


def _global_rngs() -> tuple:
    import numpy as np

    return (random.getstate(), np.random.get_state(legacy=False))


def _restore_global_rngs(rngs: tuple) -> None:
    import numpy as np

    random.setstate(rngs[0])
    np.random.set_state(rngs[1])


def _public_state(env) -> dict:
    """The env's attributes that hold data (not the drawing surface or spaces), for the fallback checksum."""
    skip = {"surface", "observation_spaces", "action_spaces", "metadata", "spec", "render_mode"}
    state = {}
    for name, value in sorted(vars(env).items()):
        if name in skip or name.startswith("__") or callable(value):
            continue
        if hasattr(value, "bit_generator"):
            state[name] = value.bit_generator.state
        elif _is_data(value):
            state[name] = value
    return state


def _is_data(value: Any) -> bool:
    if isinstance(value, (bool, int, float, str, bytes, type(None))) or hasattr(value, "tobytes"):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_data(item) for item in value)
    if isinstance(value, dict):
        return all(_is_data(item) for item in value.values())
    return False


def _feed(digest, value: Any) -> None:
    """Canonical bytes: type tags, sorted dict keys, exact float bytes, arrays with dtype and shape."""
    if isinstance(value, dict):
        digest.update(b"d")
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(b"l" + struct.pack("<q", len(value)))
        for item in value:
            _feed(digest, item)
    elif isinstance(value, bool) or value is None:
        digest.update(repr(value).encode())
    elif isinstance(value, int):
        digest.update(b"i" + str(value).encode() + b";")
    elif isinstance(value, float):
        digest.update(b"f" + struct.pack("<d", value))
    elif isinstance(value, (str, bytes)):
        data = value.encode() if isinstance(value, str) else value
        digest.update(b"s" + struct.pack("<q", len(data)) + data)
    elif hasattr(value, "tobytes") and hasattr(value, "dtype"):
        import numpy as np

        array = np.ascontiguousarray(value)
        digest.update(b"a" + str(array.dtype).encode() + repr(array.shape).encode() + array.tobytes())
    else:
        digest.update(b"p" + pickle.dumps(value, protocol=5))
