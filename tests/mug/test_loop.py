"""The runtime loop without a browser: key mapping, episode ends, data rows, RGB envs, AEC refusal."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from mug.adapters import EnvConfigError
from mug.keys import KeyMap
from mug.loop import GameLoop, LoopConfig


class PixelEnv(gymnasium.Env):
    """Returns an RGB array from render(), like most Gymnasium envs."""

    action_space = gymnasium.spaces.Discrete(2)
    observation_space = gymnasium.spaces.Box(0, 1, shape=(1,))

    def __init__(self, render_mode=None, reward=1.0):
        self.render_mode, self.reward, self.t = render_mode, reward, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, dtype=np.float32), {"start": {"nested": 1}}

    def step(self, action):
        self.t += 1
        return np.ones(1, dtype=np.float32) * self.t, self.reward, self.t >= 3, False, {"t": self.t}

    def render(self):
        frame = np.zeros((2, 3, 3), dtype=np.uint8)
        frame[0, 0] = (255, 0, 0)
        return frame


def make_pixel_env(**kwargs):
    return PixelEnv(**kwargs)


def make_nan_env(**kwargs):
    return PixelEnv(reward=float("nan"), **kwargs)


def make_aec_env(**kwargs):
    from pettingzoo import AECEnv

    class TurnTaking(AECEnv):
        possible_agents = ["a", "b"]

    return TurnTaking()


def config(env: str, **extra) -> LoopConfig:
    return LoopConfig(env=f"tests.mug.test_loop:{env}", keys={"a": 1}, render_mode="rgb_array", **extra)


def test_most_specific_key_combination_wins():
    keymap = KeyMap({"ArrowUp": 1, "ArrowLeft": 3, "ArrowLeft+ArrowUp": 5}, default_action=0)
    assert keymap.held([]) == 0
    assert keymap.held(["ArrowUp"]) == 1
    assert keymap.held(["ArrowUp", "ArrowLeft"]) == 5
    assert keymap.held(["ArrowUp", "ArrowLeft", "x"]) == 5
    assert keymap.pressed(["x", "ArrowLeft", "ArrowUp"]) == 3


def test_rows_record_actions_rewards_flags_infos_and_observations():
    loop = GameLoop(config("make_pixel_env"))
    started = loop.start_episode(0, 5)
    assert started["reset"]["infos"] == {"agent": {"start.nested": 1}} and started["reset"]["obs"] == {"agent": [0.0]}
    rows = [loop.step_frame(loop.actions_for(["a"], [])) for _ in range(3)]
    assert [row["frame"] for row in rows] == [0, 1, 2] and loop.over
    assert rows[0]["actions"] == {"agent": 1} and rows[2]["terminated"] == {"agent": True}
    assert rows[1]["obs"] == {"agent": [2.0]} and rows[1]["infos"] == {"agent": {"t": 2}}
    assert loop.hud().startswith("Round 1/1   Score 3")


def test_rgb_frames_become_a_raster_packet():
    loop = GameLoop(config("make_pixel_env"))
    packet = loop.start_episode(0, 1)["render"]
    assert packet["reset"] is True
    (raster,) = packet["objects"]
    assert (raster["type"], raster["width"], raster["height"]) == ("raster", 3, 2)
    assert (raster["w"], raster["h"]) == (600, 400)


def test_max_steps_ends_the_episode_and_observations_can_be_left_out():
    loop = GameLoop(config("make_pixel_env", max_steps=2, record_observations=False))
    loop.start_episode(0, 1)
    row = loop.step_frame(loop.actions_for([], []))
    assert "obs" not in row and not loop.over
    loop.step_frame(loop.actions_for([], []))
    assert loop.over


def test_a_non_finite_reward_is_an_error_not_data():
    loop = GameLoop(config("make_nan_env"))
    loop.start_episode(0, 1)
    with pytest.raises(ValueError, match="rewards must be finite"):
        loop.step_frame(loop.actions_for([], []))


def test_aec_envs_are_refused_with_the_conversion_to_use():
    with pytest.raises(EnvConfigError, match="aec_to_parallel"):
        GameLoop(config("make_aec_env"))
