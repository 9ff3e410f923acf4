"""Parses and checks an uploaded chunk of step rows; anything a browser sends may be forged or broken."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from experiments.definition.errors import ApplicationError
from experiments.flow.jsonbody import BadJson, parse_json

MAX_CHUNK_BYTES = 2_000_000
MAX_ROWS = 600
MAX_CHUNKS = 100_000
MAX_KEY_LENGTH = 64


class ChunkError(ApplicationError):
    """A refused chunk or episode request; nothing is stored."""


@dataclass(frozen=True)
class Chunk:
    scene_key: str
    episode: int
    number: int
    first_frame: int
    final: bool
    rows: list[dict[str, Any]]
    meta: dict[str, Any]
    digest: str


def parse_chunk(body: bytes) -> Chunk:
    """The chunk in `body`, or ChunkError saying what is wrong."""
    if len(body) > MAX_CHUNK_BYTES:
        raise ChunkError(f"chunk is {len(body)} bytes; the limit is {MAX_CHUNK_BYTES}", status=413)
    try:
        data = parse_json(body)
    except BadJson as error:
        raise ChunkError(f"chunk is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ChunkError("chunk must be a JSON object")
    first_frame = _int(data, "first_frame", 10**9)
    rows = data.get("rows")
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ChunkError(f"rows must be a list of at most {MAX_ROWS} rows")
    for offset, row in enumerate(rows):
        _check_row(row, first_frame + offset)
    meta = data.get("meta") or {}
    if not isinstance(meta, dict):
        raise ChunkError("meta must be an object")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return Chunk(
        scene_key=_str(data, "scene_key"),
        episode=_int(data, "episode", 10_000),
        number=_int(data, "number", MAX_CHUNKS),
        first_frame=first_frame,
        final=_bool(data, "final"),
        rows=rows,
        meta=meta,
        digest=hashlib.sha256(canonical).hexdigest(),
    )


def _check_row(row: Any, frame: int) -> None:
    if not isinstance(row, dict):
        raise ChunkError(f"row for frame {frame} must be an object")
    if row.get("frame") != frame or isinstance(row.get("frame"), bool):
        raise ChunkError(f"rows must be consecutive frames: expected frame {frame}, got {row.get('frame')!r}")
    for name in ("t", "late_ms"):
        if not _is_number(row.get(name, 0)):
            raise ChunkError(f"frame {frame}: {name} must be a finite number")
    for name in ("focused", "predicted"):
        if not isinstance(row.get(name, False), bool):
            raise ChunkError(f"frame {frame}: {name} must be true or false")
    depth = row.get("rollback_depth", 0)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 0 <= depth <= 1000:
        raise ChunkError(f"frame {frame}: rollback_depth must be a whole number of frames")
    for name in ("actions", "rewards", "terminated", "truncated", "infos"):
        _agent_dict(row.get(name), f"frame {frame}: {name}")
    for agent, reward in row["rewards"].items():
        if not _is_number(reward):
            raise ChunkError(f"frame {frame}: reward of {agent!r} must be a finite number, got {reward!r}")
    for name in ("terminated", "truncated"):
        if not all(isinstance(flag, bool) for flag in row[name].values()):
            raise ChunkError(f"frame {frame}: {name} values must be true or false")
    if "obs" in row and row["obs"] is not None:
        _agent_dict(row["obs"], f"frame {frame}: obs")


def _agent_dict(value: Any, where: str) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and len(k) <= MAX_KEY_LENGTH for k in value):
        raise ChunkError(f"{where} must be an object keyed by agent id")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _int(data: dict, name: str, limit: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < limit:
        raise ChunkError(f"{name} must be an integer from 0 to {limit - 1}")
    return value


def _str(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise ChunkError(f"{name} must be a non-empty string")
    return value


def _bool(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ChunkError(f"{name} must be true or false")
    return value
