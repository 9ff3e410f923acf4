"""`manage.py export_minari --output <relative path>` writes the dataset under that folder of the working directory,
and a failed export leaves no partial dataset folder behind."""

from __future__ import annotations

import os

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from testkit.flowhelpers import enter
from testkit.gameclient import play_scene

pytestmark = pytest.mark.django_db

DATASET = "mug/int-solo/walk-0-v0"


@pytest.fixture
def played():
    client = Client()
    enter(client, "int-solo")
    play_scene(client, "int-solo", keys=lambda frame: ["ArrowRight"] if frame % 4 else ["ArrowLeft"])


def _load(folder):
    import minari

    previous = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(folder)
    try:
        return minari.load_dataset(DATASET)
    finally:
        if previous is None:
            os.environ.pop("MINARI_DATASETS_PATH")
        else:
            os.environ["MINARI_DATASETS_PATH"] = previous


def test_a_relative_output_folder_is_the_working_directory_s(tmp_path, monkeypatch, played):
    monkeypatch.chdir(tmp_path)
    call_command("export_minari", "int-solo", "walk", "--agent", "0", "--output", "data/minari")
    dataset = _load(tmp_path / "data" / "minari")
    assert dataset.total_episodes == 1 and dataset.total_steps == 40
    episode = next(iter(dataset.iterate_episodes()))
    assert episode.actions.tolist()[:4] == [1, 2, 2, 2]  # agent 0's own keys, as stored under its id
    assert [path.name for path in tmp_path.iterdir()] == ["data"]  # no doubled path beside it


def test_a_failed_export_leaves_no_partial_dataset_folder(tmp_path, monkeypatch, played):
    import minari

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # Minari creates the dataset folder, then fails while writing it (as a full disk or a bad path would).
    def half_written(dataset_id, *args, **kwargs):
        (tmp_path / "out" / "mug" / "int-solo" / "walk-0-v0" / "data").mkdir(parents=True)
        broken()

    monkeypatch.setattr(minari, "create_dataset_from_buffers", half_written)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "kept.txt").write_text("the researcher's own file")
    with pytest.raises(CommandError, match="disk full"):
        call_command("export_minari", "int-solo", "walk", "--agent", "0", "--output", "out")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["kept.txt"]
