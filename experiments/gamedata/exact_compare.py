"""Bit-for-bit comparison of an episode's stored rows with the rows recomputed in the participants' interpreter:
floats by the bytes of their IEEE 754 doubles (so -0.0 is not 0.0 and every NaN payload is its own value), no
tolerance; the first difference is named by frame, agent and field, with both values."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

FIELDS = ("actions", "rewards", "terminated", "truncated", "infos", "obs")  # a row's fields, compared in this order
_MISSING = object()


def float_bits(value: float) -> str:
    """The double's 8 bytes as hex (big-endian), what a difference in the last bit shows in."""
    return struct.pack(">d", value).hex()


def first_difference(browser: Any, server: Any, path: tuple = ()) -> tuple[tuple, Any, Any] | None:
    """(path, browser's value, server's value) of the first place the two JSON values differ, or None."""
    if isinstance(browser, dict) and isinstance(server, dict):
        for key in [*server, *(k for k in browser if k not in server)]:
            found = first_difference(browser.get(key, _MISSING), server.get(key, _MISSING), (*path, key))
            if found:
                return found
        return None
    if isinstance(browser, list) and isinstance(server, list):
        if len(browser) != len(server):
            return (*path, "length"), len(browser), len(server)
        for number, (a, b) in enumerate(zip(browser, server, strict=True)):
            found = first_difference(a, b, (*path, number))
            if found:
                return found
        return None
    return None if _same_scalar(browser, server) else (path, browser, server)


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        # Every number crossed JavaScript as a double (1.0 arrives as 1): compare the doubles' bytes.
        try:
            return float_bits(float(a)) == float_bits(float(b))
        except OverflowError:
            return False
    return type(a) is type(b) and a == b


def describe(value: Any) -> Any:
    """A value for the report: missing as None, floats with their bytes."""
    if value is _MISSING:
        return "(missing)"
    if isinstance(value, float):
        return {"value": value, "bits": float_bits(value)}
    return value


def difference(frame: Any, field: str, browser: Any, server: Any) -> dict[str, Any] | None:
    """The report of the first difference in one field of one frame (None: the same, bit for bit)."""
    found = first_difference(browser, server)
    if found is None:
        return None
    path, ours, theirs = found
    agent = path[0] if path and isinstance(browser, dict) and isinstance(server, dict) else None
    return {
        "frame": frame,
        "agent": agent,
        "field": field,
        "path": list(path[1:] if agent is not None else path),
        "browser": describe(ours),
        "server": describe(theirs),
    }


def compare_episode(
    reset_data: dict, steps: Iterable[dict], replayed: dict, expected_rows: int
) -> tuple[dict | None, int]:
    """(the first difference or None, frames compared). `steps`: the stored rows in frame order (fields as in
    FIELDS, observations under "obs", None when not recorded); `replayed`: the verifier's {"reset", "rows", "over",
    "error"}; `expected_rows`: the episode's stored row count (it must end exactly where the env's episode ends)."""
    for field in ("obs", "infos"):
        if field in reset_data:
            found = difference("reset", field, reset_data[field], replayed["reset"].get(field, _MISSING))
            if found:
                return found, 0
    rows = replayed["rows"]
    compared = 0
    for number, step in enumerate(steps):
        if number >= len(rows):
            why = f"the env raised {replayed['error']}" if replayed.get("error") else "the env's episode was over"
            return {"frame": number, "agent": None, "field": "end", "browser": "a row", "server": why}, compared
        row = rows[number]
        if step["frame"] != number:
            found = {"frame": number, "agent": None, "field": "frame", "browser": step["frame"], "server": number}
            return found, compared
        for field in FIELDS:
            if field == "obs" and step.get("obs") is None:
                continue  # not recorded
            found = difference(number, field, step.get(field), row.get(field, _MISSING))
            if found:
                return found, compared
        compared += 1
    if replayed.get("error") and compared == len(rows):
        why = f"the env raised {replayed['error']}"
        return {"frame": compared, "agent": None, "field": "end", "browser": "episode over", "server": why}, compared
    if not replayed.get("over") or compared != expected_rows:
        return {
            "frame": compared,
            "agent": None,
            "field": "end",
            "browser": f"{expected_rows} rows, episode over",
            "server": "episode not over",
        }, compared
    return None, compared
