"""Step-level export: one row per step and agent, joined with the participant's fields and survey answers; as CSV
rows or as Parquet written a row group at a time (both stream: memory stays flat however many steps)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from experiments.control.exports import CONDITION_PREFIX, participant_rows
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step

STEP_COLUMNS = [
    "experiment",
    "participant",
    "external_id",
    "status",
    "scene_key",
    "episode",
    "episode_status",
    "seed",
    "code_hash",
    "episode_exact",
    "frame",
    "agent",
    "policy",
    "model_sha256",
    "action",
    "reward",
    "terminated",
    "truncated",
    "focused",
    "client_time",
    "late_ms",
    "predicted",
    "rollback_depth",
    "infos",
    "observation",
]


JSON_COLUMNS = {"action", "infos", "observation"}
# Parquet column types, fixed before the first row group (every group must match). Actions and observations get
# number types drawn from a sample of each scene's steps (`_sampled_types`); infos and anything else nested are JSON.
STEP_TYPES = {
    **dict.fromkeys(
        [
            "experiment",
            "external_id",
            "status",
            "scene_key",
            "episode_status",
            "code_hash",
            "episode_exact",
            "agent",
            "policy",
            "model_sha256",
            "action",
            "infos",
            "observation",
        ],
        "string",
    ),
    **dict.fromkeys(["participant", "episode", "seed", "frame", "rollback_depth"], "int64"),
    **dict.fromkeys(["reward", "client_time", "late_ms"], "float64"),
    **dict.fromkeys(["terminated", "truncated", "focused", "predicted"], "bool"),
}
ROWS_PER_GROUP = 10_000
SAMPLE_EPISODES = 3  # per scene: the types of actions and observations are read from these episodes' first steps
SAMPLE_STEPS = 20


def step_rows(participants) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Columns and a row iterator (large exports stream) for every step of these participants."""
    participants = list(participants.select_related("experiment", "completion_code"))
    answer_columns, answers = _answers_by_participant(participants)
    return STEP_COLUMNS + answer_columns, _rows(participants, answers)


def step_parquet(participants) -> Iterator[bytes]:
    """The step table as a Parquet file, yielded in pieces as each row group is written."""
    participants = list(participants.select_related("experiment", "completion_code"))
    answer_columns, answers = _answers_by_participant(participants)
    types = {**STEP_TYPES, **{c: _common_type([a[c] for a in answers.values()]) for c in answer_columns}}
    types.update(_sampled_types(participants))
    return parquet_pieces(STEP_COLUMNS + answer_columns, _rows(participants, answers), types)


def _rows(participants: list[Participant], answers: dict[int, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    steps = (
        Step.objects.filter(episode__participant__in=participants)
        .select_related("episode__participant__experiment")
        .order_by("episode__participant_id", "episode__scene_key", "episode__index", "frame")
    )
    for step in steps.iterator(chunk_size=2000):
        yield from _agent_rows(step, answers[step.episode.participant_id])


def _answers_by_participant(participants: list[Participant]) -> tuple[list[str], dict[int, dict[str, Any]]]:
    columns, rows = participant_rows(participants)
    answer_columns = [column for column in columns if "." in column or column.startswith(CONDITION_PREFIX)]
    return answer_columns, {row["participant"]: {c: row.get(c) for c in answer_columns} for row in rows}


def _agent_rows(step: Step, answers: dict[str, Any]) -> Iterator[dict[str, Any]]:
    episode = step.episode
    participant = episode.participant
    base = {
        "experiment": participant.experiment.slug,
        "participant": participant.pk,
        "external_id": participant.external_id,
        "status": participant.status,
        "scene_key": episode.scene_key,
        "episode": episode.index,
        "episode_status": episode.status,
        "seed": episode.seed,
        "code_hash": episode.code_hash,
        "episode_exact": episode.exactness,  # "exact": recomputed bit for bit in Pyodide (exact_verifier.py)
        "frame": step.frame,
        "focused": step.focused,
        "client_time": step.client_time,
        "late_ms": step.late_ms,
        "predicted": step.predicted,
        "rollback_depth": step.rollback_depth,
        **answers,
    }
    observations = step.observations or {}
    for agent in step.actions.keys() | step.rewards.keys():
        policy = episode.policies.get(agent, {})
        yield {
            **base,
            "agent": agent,
            "policy": _policy_label(policy),
            "model_sha256": policy.get("sha256") if isinstance(policy, dict) else None,
            "action": step.actions.get(agent),
            "reward": step.rewards.get(agent),
            "terminated": step.terminated.get(agent),
            "truncated": step.truncated.get(agent),
            "infos": step.infos.get(agent, {}),
            "observation": observations.get(agent),
        }


def _policy_label(policy: str | dict) -> str:
    """ "human", "random", "python:<module:function>" or "onnx:<model path>" (episodes before AI agents: "")."""
    if isinstance(policy, str):
        return policy
    detail = policy.get("path") or policy.get("model")
    return f"{policy.get('kind', '')}:{detail}" if detail else policy.get("kind", "")


def to_parquet(columns: list[str], rows: Iterator[dict[str, Any]]) -> bytes:
    """Parquet bytes; nested values (actions, infos, observations, lists) are stored as JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = {column: [] for column in columns}
    for row in rows:
        for column in columns:
            value = row.get(column)
            # Actions differ in type between envs (int, list); a Parquet column needs one type.
            table[column].append(json.dumps(value) if column in JSON_COLUMNS else _parquet_cell(value))
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer)
    return buffer.getvalue()


def _parquet_cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def parquet_pieces(columns: list[str], rows: Iterator[dict[str, Any]], types: dict[str, str]) -> Iterator[bytes]:
    """A Parquet file in pieces: a row group of ROWS_PER_GROUP rows is written, its bytes yielded, and so on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(column, types[column]) for column in columns])
    sink = _Sink()
    with pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema) as writer:
        group: list[dict[str, Any]] = []
        for row in rows:
            group.append({column: _typed(row.get(column), types[column]) for column in columns})
            if len(group) == ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(group, schema=schema))
                group = []
                yield sink.drain()
        if group:
            writer.write_table(pa.Table.from_pylist(group, schema=schema))
    yield sink.drain()  # the last group and the footer


def _sampled_types(participants: list[Participant]) -> dict[str, Any]:
    """Arrow types for the action and observation columns, from the first steps of each scene's first episodes.

    Numbers become int64 or float64 (observations always float64), lists of them lists of these; scenes whose values
    nest to different depths share a flat list<double> (each value flattened in row-major order). Anything else (a
    dict, a string, a bool) keeps the column as JSON text."""
    import pyarrow as pa

    shapes: dict[str, list[tuple[int, str] | None]] = {"action": [], "observation": []}
    scenes = Episode.objects.filter(participant__in=participants).values_list("participant__experiment", "scene_key")
    for experiment_id, scene_key in sorted(set(scenes)):
        episodes = Episode.objects.filter(
            participant__in=participants, participant__experiment=experiment_id, scene_key=scene_key
        ).order_by("pk")[:SAMPLE_EPISODES]
        for episode in episodes:
            for actions, observations in (
                Step.objects.filter(episode=episode).order_by("frame").values_list("actions", "observations")
            )[:SAMPLE_STEPS]:
                shapes["action"] += [_shape(value) for value in actions.values()]
                shapes["observation"] += [_shape(value) for value in (observations or {}).values() if value is not None]
    return {
        "action": _column_type(shapes["action"], floats=False, pa=pa),
        "observation": _column_type(shapes["observation"], floats=True, pa=pa),
    }


def _shape(value: Any) -> tuple[int, str] | None:
    """(nesting depth, "int" or "float") of a number or of equally nested lists of numbers; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (0, "int")
    if isinstance(value, float):
        return (0, "float")
    if not isinstance(value, list):
        return None
    inner = [_shape(item) for item in value]
    if any(shape is None for shape in inner) or len({shape[0] for shape in inner}) > 1:  # type: ignore[index]
        return None
    depth = inner[0][0] if inner else 0  # type: ignore[index]
    return (depth + 1, "float" if any(shape[1] == "float" for shape in inner) else "int")  # type: ignore[index]


def _column_type(shapes: list[tuple[int, str] | None], *, floats: bool, pa) -> Any:
    if not shapes or None in shapes:
        return "string"
    depths = {depth for depth, _ in shapes}  # type: ignore[misc]
    if len(depths) > 1:
        return pa.list_(pa.float64())
    kind = pa.float64() if floats or any(leaf == "float" for _, leaf in shapes) else pa.int64()  # type: ignore[misc]
    for _ in range(depths.pop()):
        kind = pa.list_(kind)
    return kind


def _flatten(value: Any) -> list:
    if not isinstance(value, list):
        return [value]
    return [number for item in value for number in _flatten(item)]


def _typed(value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if not isinstance(kind, str):  # an Arrow type from _sampled_types: a number, or lists of numbers
        flat_list = getattr(kind, "value_type", None) is not None and not hasattr(kind.value_type, "value_type")
        if flat_list and not (isinstance(value, list) and not any(isinstance(item, list) for item in value)):
            return _flatten(value)  # a scene nested differently from the others: the flat list of its numbers
        return value
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    return {"int64": int, "float64": float, "bool": bool}[kind](value)


def _common_type(values: list[Any]) -> str:
    """One Parquet type for a survey answer column, from every participant's answer."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "bool"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int64"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "float64"
    return "string"


class _Sink(io.RawIOBase):
    """A write-only file that hands out what was written so far (its position keeps counting for the footer)."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.pieces.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        data, self.pieces = b"".join(self.pieces), []
        return data
