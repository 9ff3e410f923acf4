"""Minari datasets of human episodes: a lone player's server-side game is stored, exported with the command, and
loaded back with `minari`: every episode, observation (reset included), action and reward as stored."""

from __future__ import annotations

import os

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from experiments.gamedata.models import MISMATCH, Episode
from testkit.playclient import play_solo_game

pytestmark = pytest.mark.django_db(transaction=True)


def test_human_episodes_become_a_minari_dataset_that_loads_back(tmp_path):
    import minari

    play_solo_game()
    call_command("export_minari", "server-solo", "play", "--output", str(tmp_path))
    os.environ["MINARI_DATASETS_PATH"] = str(tmp_path)
    try:
        dataset = minari.load_dataset("mug/server-solo/play-player-0-v0")
        loaded = list(dataset.iterate_episodes())
    finally:
        os.environ.pop("MINARI_DATASETS_PATH")
    stored = list(Episode.objects.order_by("index"))
    assert dataset.total_episodes == 2 and dataset.total_steps == 90
    assert str(dataset.spec.observation_space) == "Box(0, 8, (8,), int64)"
    for episode, record in zip(loaded, stored, strict=True):
        steps = list(record.steps.order_by("frame"))
        assert episode.observations.shape == (46, 8)  # the reset observation and one per step
        assert np.array_equal(episode.observations[0], record.reset_data["obs"]["player_0"])
        assert np.array_equal(episode.observations[1:], [s.observations["player_0"] for s in steps])
        assert episode.actions.tolist() == [s.actions["player_0"] for s in steps]
        assert episode.rewards.tolist() == [s.rewards["player_0"] for s in steps]
        assert episode.truncations[-1] or episode.terminations[-1]


def test_an_unusable_request_is_refused_with_the_reason(tmp_path):
    with pytest.raises(CommandError, match="no complete episode"):
        call_command("export_minari", "server-solo", "play", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="not a game scene"):
        call_command("export_minari", "server-solo", "end", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="not a human agent"):
        call_command("export_minari", "server-solo", "play", "--agent", "nobody", "--output", str(tmp_path))
    assert not list(tmp_path.iterdir())  # nothing written


def test_only_episodes_that_count_go_into_the_dataset(tmp_path):
    import minari

    play_solo_game()
    Episode.objects.filter(index=0).update(verification=MISMATCH)  # as the verifier marks one that differs
    call_command("export_minari", "server-solo", "play", "--output", str(tmp_path))
    os.environ["MINARI_DATASETS_PATH"] = str(tmp_path)
    try:
        dataset = minari.load_dataset("mug/server-solo/play-player-0-v0")
    finally:
        os.environ.pop("MINARI_DATASETS_PATH")
    assert dataset.total_episodes == 1 and dataset.total_steps == 45
