"""Env state as plain JSON data and back, exactly (arrays by their bytes, floats by their hex): a checkpoint
the server can send to a browser. Never pickle: unpickling data from elsewhere would run code."""

from __future__ import annotations

import base64
from typing import Any


class StateNotPortable(ValueError):
    """The state holds something that is not plain data (only envs with get_state() can be resynced)."""


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"i": str(value)}  # any size, exactly
    if isinstance(value, float):
        return {"f": value.hex()}
    if isinstance(value, (list, tuple)):
        return {"l" if isinstance(value, list) else "t": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"d": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode()}
    if hasattr(value, "dtype") and hasattr(value, "tobytes"):
        import numpy as np

        array = np.ascontiguousarray(value)
        kind = "a" if isinstance(value, np.ndarray) else "s"  # an array or a NumPy scalar
        return {kind: [array.dtype.str, list(array.shape), base64.b64encode(array.tobytes()).decode()]}
    raise StateNotPortable(f"cannot send a {type(value).__name__} as state data")


def decode(data: Any) -> Any:
    if data is None or isinstance(data, (bool, str)):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise StateNotPortable(f"not encoded state: {data!r:.80}")
    ((kind, body),) = data.items()
    if kind == "i":
        return int(body)
    if kind == "f":
        return float.fromhex(body)
    if kind in ("l", "t"):
        items = [decode(item) for item in body]
        return items if kind == "l" else tuple(items)
    if kind == "d":
        return {decode(k): decode(v) for k, v in body}
    if kind == "b":
        return base64.b64decode(body)
    if kind in ("a", "s"):
        import numpy as np

        dtype, shape, raw = body
        array = np.frombuffer(base64.b64decode(raw), dtype=np.dtype(dtype)).reshape(shape).copy()
        return array if kind == "a" else array[()]
    raise StateNotPortable(f"unknown state tag {kind!r}")
