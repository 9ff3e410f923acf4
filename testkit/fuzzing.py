"""Seeded generators of hostile input for the fuzz tests: random JSON, mutated valid messages, non-JSON text."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from typing import Any

HUGE_NUMBERS = [10**20, -(10**20), 2**63, -(2**63) - 1, 2**31, -1, -(10**9), 1e308, -1e308, 1e-320, 0.5, 10**300]
PAST_FLOAT = [10**400, -(10**400)]  # integers no browser can send (its numbers are doubles)
TEXTS = [
    "",
    " ",
    "a" * 100_000,
    "\u0000",
    "\ud7ff\ue000",
    "\ud800",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "'; --",
]
NON_JSON = ["", "not json", "{", "[1,", "{'single': 'quotes'}", "\x00\x01", "nul\u0000", '{"type":', "NaN", "1e400"]


def random_json(rng: random.Random, depth: int = 3) -> Any:
    """Any JSON value (small, a few levels deep)."""
    kinds = ["null", "bool", "int", "float", "str"] + (["list", "dict"] * 2 if depth > 0 else [])
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([rng.randint(-5, 200), rng.choice(HUGE_NUMBERS + PAST_FLOAT)])
    if kind == "float":
        return rng.choice([rng.uniform(-1e6, 1e6), rng.choice(HUGE_NUMBERS) * 1.0])
    if kind == "str":
        return rng.choice(
            [rng.choice(TEXTS[:2] + TEXTS[3:]), "".join(rng.choices("abcxyz_-019é☃", k=rng.randint(1, 12)))]
        )
    if kind == "list":
        return [random_json(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return {random_key(rng): random_json(rng, depth - 1) for _ in range(rng.randint(0, 4))}


def random_key(rng: random.Random) -> str:
    return rng.choice(["type", "id", "frame", "episode", "scene_key", "x", "", "__proto__", "a" * 300])


def nested(depth: int) -> str:
    """JSON text nested `depth` levels deep (a list of lists of ...)."""
    return "[" * depth + "]" * depth


def mutate(rng: random.Random, valid: dict[str, Any]) -> dict[str, Any]:
    """A valid message with one thing wrong: a field missing, of the wrong type, huge, negative or extra."""
    message = dict(valid)
    field = rng.choice(sorted(message))
    action = rng.choice(["drop", "retype", "huge", "negative", "extra", "long", "deep"])
    if action == "drop" and field != "type":
        del message[field]
    elif action == "retype":
        message[field] = random_json(rng)
    elif action == "huge":
        message[field] = rng.choice(HUGE_NUMBERS + PAST_FLOAT)
    elif action == "negative":
        message[field] = -rng.randint(1, 10**6)
    elif action == "extra":
        message[random_key(rng)] = random_json(rng)
    elif action == "long":
        message[field] = "x" * rng.choice([1000, 100_000])
    elif action == "deep" and field != "type":
        message[field] = json.loads(nested(rng.randint(2, 40)))
    return message


def as_text(rng: random.Random, message: Any) -> str:
    """JSON text of `message`, sometimes with a number replaced by NaN/Infinity (which Python's json accepts)."""
    text = json.dumps(message)
    if rng.random() < 0.15:
        for digit in "0123456789":
            if digit in text:
                return text.replace(digit, rng.choice(["NaN", "Infinity", "-Infinity", "1e400"]), 1)
    return text


def frames(rng: random.Random, valid: list[dict[str, Any]], count: int) -> Iterator[str | bytes]:
    """`count` hostile frames: mostly mutations of the valid messages, some random JSON, non-JSON and binary."""
    for _ in range(count):
        roll = rng.random()
        if roll < 0.6:
            yield as_text(rng, mutate(rng, rng.choice(valid)))
        elif roll < 0.8:
            yield as_text(rng, random_json(rng))
        elif roll < 0.9:
            yield rng.choice(NON_JSON)
        else:
            yield bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))


def specials() -> list[str | bytes]:
    """Bodies every endpoint must refuse cleanly: too deep, too big, numbers no JSON parser should take."""
    return [
        nested(65),
        nested(1000),
        nested(100_000),
        '{"x": %s}' % ("9" * 5000),
        "[1e400]",
        '{"x": -Infinity}',
        b"\xff\xfe{}",
        '{"x": "' + "y" * 2_100_000 + '"}',
        "{" * 50_000,
        '{"x": 1%s}' % ("0" * 400),
    ]


def is_finite_json(value: Any) -> bool:
    """No NaN or infinity anywhere inside (what a database's JSON type refuses, and exports choke on)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        stack.extend(item.values() if isinstance(item, dict) else item if isinstance(item, list) else ())
    return True
