"""An uploaded chunk's step rows written with plain multi-row INSERTs (valid on SQLite and PostgreSQL)."""

# The upload endpoint is the busiest write of a study. Building the ORM's bulk_create statement cost more CPU than
# the database's own work (a third of an upload's time under load); the values and their JSON encoding are the
# same as the model fields give (the backend's own JSON adapter; a missing observation is SQL NULL, as the ORM
# stores None in a nullable JSONField).

from __future__ import annotations

from typing import Any

from django.db import connection

from experiments.gamedata.models import STEP_FIELDS, Step

COLUMNS = ("episode_id", *STEP_FIELDS)
ROWS_PER_STATEMENT = 999 // len(COLUMNS)  # inside SQLite's oldest parameter limit


def steps_insert(episode_id: int, rows: list[dict[str, Any]]) -> None:
    """Insert one Step per row (rows already checked by experiments.gamedata.ingest); a frame stored twice raises."""
    if not rows:
        return
    adapt = connection.ops.adapt_json_value
    table, columns = Step._meta.db_table, ", ".join(COLUMNS)
    one = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            params: list[Any] = []
            for row in part:
                values = (
                    row["actions"],
                    row["rewards"],
                    row["terminated"],
                    row["truncated"],
                    row["infos"],
                    row.get("obs"),
                )
                params += [
                    episode_id,
                    row["frame"],
                    row.get("t", 0),
                    row.get("focused", True),
                    row.get("late_ms", 0),
                    row.get("predicted", False),
                    row.get("rollback_depth", 0),
                ]
                params += [None if value is None else adapt(value, None) for value in values]
            values_sql = ", ".join([one] * len(part))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values_sql}", params)  # noqa: S608
