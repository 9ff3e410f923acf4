"""`manage.py check_rollback` on episodes shorter than its `--frames`: a short episode is ready, every depth is
checked over the whole episode, and a real snapshot gap is still caught in a short episode."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mug.synctest import check_rollback
from testkit.agentid_experiments import int_scene

pytestmark = pytest.mark.django_db


def test_a_40_frame_episode_checked_for_120_frames_is_ready():
    out = StringIO()
    call_command("check_rollback", "int-pair", stdout=out)  # --frames 120 by default; the episode is 40 frames
    assert "walk2: ready" in out.getvalue() and "depths checked [1, 2, 3, 4, 5, 6, 7]" in out.getvalue()
    assert "NOT READY" not in out.getvalue()


@pytest.mark.parametrize("frames", [39, 40, 41, 400])
def test_every_depth_and_window_covers_the_short_episode(frames):
    scene = int_scene("short", {0: "human", 1: "human"}, max_steps=12)
    scene._key_agent_ids()
    for window in (4, 8, 20):
        report = check_rollback(scene.loop_config(), frames=frames, window=window)
        assert report.ok, (frames, window, report.problems)
        assert report.depths_checked == list(range(1, window))


def test_a_snapshot_that_misses_state_is_caught_in_a_short_episode():
    scene = int_scene("leaky", {0: "human", 1: "human"}, max_steps=20)
    scene._key_agent_ids()
    config = {**scene.loop_config(), "env": "testkit.envs.leaky:make", "agents": {"chaser": "human", "runner": "human"}}
    report = check_rollback(config, frames=120)
    assert not report.ok and report.problems
    with pytest.raises(CommandError, match="no scene with two or more human agents"):
        call_command("check_rollback", "int-solo")
