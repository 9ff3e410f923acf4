"""The server replays a recorded episode from its seed and actions and detects any difference."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from experiments.gamedata.models import Episode, Step
from experiments.gamedata.replay import episode_replay
from testkit.flowhelpers import enter
from testkit.gameclient import play_scene

pytestmark = pytest.mark.django_db


def _wiggle(frame: int) -> list[str]:
    return [["ArrowUp"], ["ArrowLeft"], ["ArrowDown"], [], ["ArrowRight"]][frame % 5]


def test_recorded_episodes_replay_exactly():
    client = Client()
    enter(client, "game")
    play_scene(client, "game", keys=_wiggle)
    for episode in Episode.objects.all():
        report = episode_replay(episode=episode)
        assert report["status"] == "match" and report["frames_checked"] == episode.n_steps
    assert set(Episode.objects.values_list("replay_status", flat=True)) == {"match"}


def test_a_tampered_reward_or_action_is_reported_with_its_frame():
    client = Client()
    enter(client, "game")
    play_scene(client, "game", keys=_wiggle)
    episode = Episode.objects.get(index=0)
    step = Step.objects.get(episode=episode, frame=7)
    step.rewards = {**step.rewards, "chaser": 5.0}
    step.save()
    report = episode_replay(episode=episode)
    assert report["status"] == "mismatch"
    assert report["mismatch"]["frame"] == 7 and report["mismatch"]["field"] == "rewards"
    other = Episode.objects.get(index=1)
    step = Step.objects.get(episode=other, frame=3)
    step.actions = {**step.actions, "runner": (step.actions["runner"] + 1) % 5}
    step.save()
    assert episode_replay(episode=other)["status"] == "mismatch"


def test_replay_command_reports_each_episode():
    client = Client()
    enter(client, "game")
    play_scene(client, "game")
    out = io.StringIO()
    call_command("replay_episodes", "game", stdout=out)
    assert out.getvalue().count("match") == 2 and "mismatch" not in out.getvalue()
