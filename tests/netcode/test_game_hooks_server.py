"""A server-side game with game hooks: the game's own process runs them, every stored row carries their fields,
the last row the end hook's, and a replay of the stored actions reproduces them."""

from __future__ import annotations

import pytest

from experiments.definition import registry
from experiments.flow.models import Participant
from experiments.gamedata.models import COMPLETE, Episode, Step
from mug.hooks import hook_fields
from mug.loop import GameLoop, LoopConfig
from testkit.playclient import play_solo_game

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_server_games_rows_carry_the_hooks_fields_and_a_replay_reproduces_them():
    play_solo_game("hook-server")
    episode = Episode.objects.get(participant=Participant.objects.get())
    steps = list(Step.objects.filter(episode=episode).order_by("frame"))
    assert episode.status == COMPLETE and len(steps) == 20
    for step in steps:
        info = step.infos["player_0"]
        assert info["hook.frame"] == step.frame and info["hook.ids"] == "'player_0'"
        assert info["hook.reward_sum"] == sum(step.rewards.values())
    assert steps[-1].infos["player_0"]["hook.ended"] == 20
    assert "hook.ended" not in steps[-2].infos["player_0"]
    scene = registry.get_experiment("hook-server").scene("play")
    loop = GameLoop(LoopConfig.from_dict({**scene.loop_config(), "render_mode": None}))
    loop.start_episode(episode.index, episode.seed)
    replayed = [loop.step_frame(loop.coerce_actions(step.actions)) for step in steps]
    assert [hook_fields(row["infos"]) for row in replayed] == [hook_fields(step.infos) for step in steps]
