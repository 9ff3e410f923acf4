"""The step export's Parquet file holds observations and actions as typed columns (lists of numbers, a Discrete
action as an integer), not JSON text, and stays readable when scenes of one study have different spaces."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.test import Client

from experiments.control import step_exports
from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step
from testkit.flowhelpers import enter, submit
from testkit.gameclient import play_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def played():
    client = Client()
    enter(client, "cartpole", PROLIFIC_PID="typed")
    submit(client, "cartpole", "consent", consent="yes", decision="agree")
    submit(client, "cartpole", "instructions")
    play_scene(client, "cartpole", keys=lambda frame: ["ArrowRight"] if frame % 3 else ["ArrowLeft"])
    return Participant.objects.get(external_id="typed")


def test_cartpole_observations_are_lists_of_doubles_and_actions_integers(tmp_path, played):
    target = tmp_path / "steps.parquet"
    call_command("export_data", "cartpole", "--table", "steps", "--format", "parquet", "--output", str(target))
    table = pq.read_table(target)
    assert table.schema.field("observation").type == pa.list_(pa.float64())
    assert table.schema.field("action").type == pa.int64()
    rows = table.to_pylist()
    assert len(rows) == Step.objects.count() > 0
    step = Step.objects.get(episode__index=0, frame=0)
    first = next(row for row in rows if row["episode"] == 0 and row["frame"] == 0)
    assert first["observation"] == pytest.approx(step.observations["agent"]) and len(first["observation"]) == 4
    assert first["action"] == step.actions["agent"] and isinstance(first["action"], int)


def _episode(participant, scene_key: str, observation, action, frames: int = 3) -> None:
    episode = Episode.objects.create(
        participant=participant, scene_key=scene_key, index=0, seed=1, env="x", code_hash="h", status="complete"
    )
    for frame in range(frames):
        Step.objects.create(
            episode=episode,
            frame=frame,
            client_time=frame * 33.0,
            actions={"a": action},
            rewards={"a": 0.0},
            terminated={"a": False},
            truncated={"a": False},
            observations={"a": observation},
        )


def _read(participants) -> pa.Table:
    return pq.read_table(io.BytesIO(b"".join(step_exports.step_parquet(participants))))


def test_scenes_with_different_shapes_share_typed_columns(played):
    # a second scene of the same study: a 2-d grid observed as integers, a Box action
    _episode(played, "grid", [[1, 2], [3, 4]], [0.5, -0.5])
    table = _read(Participant.objects.filter(pk=played.pk))
    rows = table.to_pylist()
    grid = [row for row in rows if row["scene_key"] == "grid"]
    assert len(grid) == 3 and len(rows) == Step.objects.count()
    observation, action = table.schema.field("observation").type, table.schema.field("action").type
    assert observation != pa.string() and action != pa.string()
    # CartPole's flat vector and the grid cannot share one nesting depth: both keep their values, as numbers
    assert grid[0]["observation"] == [1.0, 2.0, 3.0, 4.0]
    assert grid[0]["action"] == [0.5, -0.5]
    cartpole = next(row for row in rows if row["scene_key"] != "grid")
    assert cartpole["action"] in ([0.0], [1.0])


def test_a_study_with_dict_observations_keeps_them_as_json_text(played):
    _episode(played, "dicts", {"pos": [1, 2], "name": "x"}, 1)
    table = _read(Participant.objects.filter(pk=played.pk))
    assert table.schema.field("observation").type == pa.string()  # no number list can hold a name
    assert table.schema.field("action").type == pa.int64()
