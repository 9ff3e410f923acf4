"""Step-level export: one row per step and agent, joined with the participant's fields and survey answers."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from experiments.exports import CONDITION_PREFIX, participant_rows
from experiments.gameplay_models import Step
from experiments.models import Participant

STEP_COLUMNS = [
    "experiment", "participant", "external_id", "status", "scene_key", "episode", "episode_status", "seed",
    "code_hash", "frame", "agent", "policy", "model_sha256", "action", "reward", "terminated", "truncated",
    "focused", "client_time", "late_ms", "predicted", "rollback_depth", "infos", "observation",
]  # fmt: skip


JSON_COLUMNS = {"action", "infos", "observation"}


def step_rows(participants) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Columns and a row iterator (large exports stream) for every step of these participants."""
    participants = list(participants.select_related("experiment", "completion_code"))
    answer_columns, answers = _answers_by_participant(participants)
    steps = (
        Step.objects.filter(episode__participant__in=participants)
        .select_related("episode__participant__experiment")
        .order_by("episode__participant_id", "episode__scene_key", "episode__index", "frame")
    )

    def rows() -> Iterator[dict[str, Any]]:
        for step in steps.iterator(chunk_size=2000):
            yield from _agent_rows(step, answers[step.episode.participant_id])

    return STEP_COLUMNS + answer_columns, rows()


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
