"""Data export: participants (wide, one row each), survey responses and scene visits (long), as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from experiments.flow.models import Participant, SceneVisit, SurveyResponse

PARTICIPANT_COLUMNS = [
    "experiment",
    "participant",
    "source",
    "external_id",
    "study_id",
    "session_id",
    "assignment_id",
    "hit_id",
    "status",
    "completion_code",
    "current_scene",
    "position",
    "plan",
    "created_at",
    "last_seen_at",
    "finished_at",
]
CONDITION_PREFIX = "condition:"
RESPONSE_COLUMNS = ["experiment", "participant", "external_id", "scene_key", "question_id", "value", "answered_at"]
VISIT_COLUMNS = [
    "experiment",
    "participant",
    "external_id",
    "position",
    "scene_key",
    "scene_kind",
    "entered_at",
    "completed_at",
    "loads",
]
# Cells a spreadsheet would run as a formula: participants' text must not execute on a researcher's machine.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def participant_rows(participants: Iterable[Participant]) -> tuple[list[str], list[dict[str, Any]]]:
    """One row per participant, with a column `condition:<id>` per assigned condition and `<scene key>.<question
    id>` per answer."""
    participants = list(participants)
    answers: dict[int, dict[str, Any]] = {p.pk: {} for p in participants}
    answer_columns: dict[str, None] = {}
    for participant in participants:
        for condition, arm in sorted((participant.conditions or {}).items()):
            answer_columns[f"{CONDITION_PREFIX}{condition}"] = None
            answers[participant.pk][f"{CONDITION_PREFIX}{condition}"] = arm
    for response in SurveyResponse.objects.filter(participant__in=participants).order_by("answered_at", "id"):
        column = f"{response.scene_key}.{response.question_id}"
        answer_columns[column] = None
        answers[response.participant_id][column] = response.value
    rows = [{**participant_fields(p), **answers[p.pk]} for p in participants]
    return PARTICIPANT_COLUMNS + list(answer_columns), rows


def participant_fields(participant: Participant) -> dict[str, Any]:
    code = getattr(participant, "completion_code", None)
    return {
        "experiment": participant.experiment.slug,
        "participant": participant.pk,
        "source": participant.source,
        "external_id": participant.external_id,
        "study_id": participant.study_id,
        "session_id": participant.session_id,
        "assignment_id": participant.assignment_id,
        "hit_id": participant.hit_id,
        "status": participant.status,
        "completion_code": code.code if code else "",
        "current_scene": participant.current_key or "",
        "position": participant.position,
        "plan": participant.plan,
        "created_at": participant.created_at,
        "last_seen_at": participant.last_seen_at,
        "finished_at": participant.finished_at,
    }


def response_rows(responses: Iterable[SurveyResponse]) -> tuple[list[str], list[dict[str, Any]]]:
    rows = [
        {
            "experiment": r.participant.experiment.slug,
            "participant": r.participant_id,
            "external_id": r.participant.external_id,
            "scene_key": r.scene_key,
            "question_id": r.question_id,
            "value": r.value,
            "answered_at": r.answered_at,
        }
        for r in responses
    ]
    return RESPONSE_COLUMNS, rows


def visit_rows(visits: Iterable[SceneVisit]) -> tuple[list[str], list[dict[str, Any]]]:
    rows = [
        {
            "experiment": v.participant.experiment.slug,
            "participant": v.participant_id,
            "external_id": v.participant.external_id,
            "position": v.position,
            "scene_key": v.scene_key,
            "scene_kind": v.scene_kind,
            "entered_at": v.entered_at,
            "completed_at": v.completed_at,
            "loads": v.loads,
        }
        for v in visits
    ]
    return VISIT_COLUMNS, rows


def to_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV text; lists and dicts become JSON, datetimes ISO 8601, formula-like text is neutralised."""
    return "".join(csv_lines(columns, rows))


def csv_lines(columns: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The same CSV, a line at a time (a large export streams instead of being built in memory)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    yield _take(buffer)
    for row in rows:
        writer.writerow({column: _csv_cell(row.get(column)) for column in columns})
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_json(columns: list[str], rows: list[dict[str, Any]]) -> str:
    return json.dumps([{c: row.get(c) for c in columns} for row in rows], cls=DjangoJSONEncoder, ensure_ascii=False)
