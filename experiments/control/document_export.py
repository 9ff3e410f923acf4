"""The whole experiment as one JSON document, streamed: the definition, then each participant with their
conditions, answers, scene visits and game episodes with every step. Nothing is held in memory but one
participant's metadata and a chunk of steps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from experiments.control.exports import participant_fields
from experiments.flow.models import Experiment, Participant
from experiments.gamedata.models import STEP_FIELDS, Episode

EPISODE_FIELDS = [
    "index",
    "scene_key",
    "status",
    "seed",
    "env",
    "code_hash",
    "policies",
    "runtime",
    "reset_data",
    "n_steps",
    "started_at",
    "ended_at",
    "replay_status",
    "verification",
    "exactness",
    "exactness_report",
    "provenance",
]


def experiment_document(experiment: Experiment, progress: Callable[[int, int], None] | None = None) -> Iterator[str]:
    """JSON text in pieces; `progress(done, total)` is called after each participant."""
    participants = Participant.objects.filter(experiment=experiment).select_related("experiment", "completion_code")
    total = participants.count()
    head = {
        "slug": experiment.slug,
        "title": experiment.title,
        "outline": experiment.outline,
        "definition_hash": experiment.definition_hash,
        "exported_at": timezone.now(),
        "participants": total,
    }
    yield '{"experiment": ' + _dumps(head) + ', "participants": ['
    for done, participant in enumerate(participants.order_by("pk").iterator(chunk_size=200), start=1):
        yield ("" if done == 1 else ", ") + _participant_json(participant)
        if progress:
            progress(done, total)
    yield "]}"


def _participant_json(participant: Participant) -> str:
    record = {**participant_fields(participant), "conditions": participant.conditions}
    answers: dict[str, dict[str, Any]] = {}
    for response in participant.responses.order_by("answered_at", "id"):
        answers.setdefault(response.scene_key, {})[response.question_id] = response.value
    record["answers"] = answers
    record["visits"] = list(
        participant.visits.order_by("position").values(
            "scene_key", "scene_kind", "position", "entered_at", "completed_at", "loads"
        )
    )
    text = _dumps(record)
    episodes = list(Episode.objects.filter(participant=participant).order_by("scene_key", "index"))
    return text[:-1] + ', "episodes": [' + ", ".join(_episode_json(e) for e in episodes) + "]}"


def _episode_json(episode: Episode) -> str:
    meta = _dumps({name: getattr(episode, name) for name in EPISODE_FIELDS})
    steps = episode.steps.order_by("frame").values_list(*STEP_FIELDS)
    rows = (_dumps(dict(zip(STEP_FIELDS, row, strict=True))) for row in steps.iterator(chunk_size=2000))
    return meta[:-1] + ', "steps": [' + ", ".join(rows) + "]}"


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
