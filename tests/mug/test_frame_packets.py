"""The per-frame call: its fast paths change nothing (the same packets, rows and errors as the plain checks), and
the HUD line is each seat's own (or the scene's callable's), with the display options checked at load."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from experiments.study import DefinitionError, GymScene
from mug import colors, loop
from mug.colors import normalize_color
from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession
from mug.surface import Surface
from netcode.server.runner import ServerRunner

CARTPOLE = {
    "env": "examples.cartpole.env:make",
    "agents": {"agent": "human"},
    "keys": {"ArrowLeft": 0, "ArrowRight": 1},
    "fps": 30,
    "num_episodes": 2,
    "max_steps": 300,
}
# The digest of 400 CartPole frames (two episodes and a bit, keys switching every third frame) as the code before
# the fast paths produced them: every start and tick output, parsed and dumped with sorted keys.
CARTPOLE_DIGEST = "8773de1070a37d078d699a3ddf275f75272e7d949a2df675bc46448943069ad8"


def canonical(text: str) -> bytes:
    data = json.loads(text)
    if isinstance(data.get("render"), dict):
        data["render"].pop("size", None)  # added later (the page scales the drawing); the digest predates it
    return json.dumps(data, sort_keys=True).encode()


def test_cartpole_frames_are_those_of_the_code_before_the_fast_paths():
    loop.boot(json.dumps(CARTPOLE))
    digest = hashlib.sha256(canonical(loop.start(0, 7)))
    for i in range(400):
        text = loop.tick(json.dumps({"held": ["ArrowLeft"] if (i // 3) % 2 else ["ArrowRight"], "presses": []}))
        digest.update(canonical(text))
        if json.loads(text)["over"]:
            digest.update(canonical(loop.start(1, 8 + i)))
    assert digest.hexdigest() == CARTPOLE_DIGEST


def test_the_tick_output_is_compact_json_of_the_same_values():
    loop.boot(json.dumps(CARTPOLE))
    loop.start(0, 3)
    text = loop.tick(json.dumps({"held": ["ArrowLeft"], "presses": []}))
    assert ", " not in text and '": ' not in text
    assert json.dumps(json.loads(text)) == json.dumps(json.loads(text), separators=(", ", ": "))


@pytest.mark.parametrize(
    ("value", "expected", "kind"),
    [
        (3, 3, int),
        (2.5, 2.5, float),
        (np.float64(1.25), 1.25, float),
        (np.float32(0.5), 0.5, float),
        (np.int64(4), 4, int),
    ],
)
def test_numbers_become_plain_python_numbers(value, expected, kind):
    s = Surface(10, 10)
    s.circle(value, value, 1, id="c")
    obj = s.commit()["objects"][0]
    assert obj["x"] == expected and type(obj["x"]) is kind


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float64("nan"), np.float64("inf")])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ValueError, match="x must be finite"):
        Surface(10, 10).rect(value, 0, 1, 1)


@pytest.mark.parametrize("value", [True, "1", None, [1]])
def test_non_numbers_are_refused(value):
    with pytest.raises(TypeError, match="x must be a number"):
        Surface(10, 10).rect(value, 0, 1, 1)


def test_common_options_are_still_checked():
    s = Surface(10, 10)
    with pytest.raises(TypeError, match="id must be a str"):
        s.rect(0, 0, 1, 1, id=7)
    with pytest.raises(ValueError, match="alpha"):
        s.rect(0, 0, 1, 1, alpha=1.5)
    with pytest.raises(ValueError, match="tween_ms"):
        s.rect(0, 0, 1, 1, tween_ms=True)
    with pytest.raises(ValueError, match="persistent object needs an id"):
        s.rect(0, 0, 1, 1, persistent=True)
    s.rect(0, 0, 1, 1, id="a", persistent=1, alpha=1.0, depth=0.0)
    obj = s.commit()["objects"][0]
    assert (obj["persistent"], obj["alpha"], obj["depth"], obj["tween_ms"]) == (True, 1.0, 0.0, 0)
    assert list(obj)[:6] == ["id", "type", "persistent", "depth", "alpha", "tween_ms"]


def test_colours_seen_before_normalise_as_the_first_time():
    for value in [" Red ", "#ABC", "#a1b2c3", "navy", "NAVY"]:
        first = normalize_color(value)
        assert normalize_color(value) == first
    assert normalize_color(" Red ") == "#ff0000" and normalize_color("#ABC") == "#aabbcc"
    for _ in range(2):  # an unknown colour is refused every time, never remembered
        with pytest.raises(ValueError, match="unknown colour"):
            normalize_color("reddish")


def test_the_colour_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(colors, "_SEEN", {})
    for i in range(colors._SEEN_MAX + 50):
        assert normalize_color(f"#{i:06x}") == f"#{i:06x}"
    assert len(colors._SEEN) == colors._SEEN_MAX


TAG_PAIR = {
    "env": "examples.tag.env:make",
    "agents": {"chaser": "human", "runner": "human"},
    "keys": {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4},
    "num_episodes": 1,
    "max_steps": 60,
}


def played_tag(config: dict, frames: int = 20) -> GameLoop:
    game = GameLoop(LoopConfig.from_dict(config))
    game.start_episode(0, 5)
    for _ in range(frames):
        game.step_frame(game.actions_for(["ArrowRight"], []))
    return game


def test_each_seat_sees_its_own_score_never_the_sum_over_humans():
    game = played_tag(TAG_PAIR)
    chaser, runner = game.scores["chaser"], game.scores["runner"]
    assert chaser != chaser + runner or runner != chaser + runner  # the sum would show another number
    assert f"Score {runner:g} " in game.hud("runner") and f"Score {chaser:g} " in game.hud("chaser")
    assert game.hud() == game.hud("chaser")  # the first human by default (a single-player page's only seat)
    assert game.huds() == {"chaser": game.hud("chaser"), "runner": game.hud("runner")}


def test_a_scenes_hud_callable_writes_each_seats_line():
    game = played_tag({**TAG_PAIR, "hud_text": "testkit.envs.hudtext:line"})
    assert game.hud("runner") == f"runner: {game.scores['runner']:g} points in round 1 of 1"
    broken = GameLoop(LoopConfig.from_dict({**TAG_PAIR, "hud_text": "testkit.envs.hudtext:not_text"}))
    with pytest.raises(TypeError, match="hud_text must return a str, got int"):
        broken.start_episode(0, 5)


def test_a_net_session_and_a_server_game_show_each_seat_its_own_line():
    config = LoopConfig.from_dict(TAG_PAIR)
    session = NetSession(GameLoop(config), ["chaser", "runner"], "runner")
    started = session.start(0, 5)
    assert started["hud"] == session.loop.hud("runner")
    runner = ServerRunner({**TAG_PAIR, "render_mode": "mug"}, ["chaser", "runner"])
    assert set(runner.start(0, 5)["hud"]) == {"chaser", "runner"}
    out = runner.step()
    assert out["hud"] == {"chaser": runner.loop.hud("chaser"), "runner": runner.loop.hud("runner")}


def tag_scene(**options) -> GymScene:
    return GymScene(
        scene_id="play",
        env="examples.tag.env:make",
        agents={"chaser": "human", "runner": "random"},
        keys={"ArrowUp": 1},
        packages=["gymnasium==1.4.0", "pettingzoo==1.25.0"],
        **options,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"agent_labels": {"hunter": "the red dot"}}, "agent_labels names agents not in agents"),
        ({"agent_labels": {"chaser": " "}}, "non-empty str"),
        ({"agent_labels": {"chaser": 3}}, "non-empty str"),
        ({"hud_text": "no_colon"}, "hud_text must look like"),
        ({"hud_text": "testkit.envs.nowhere:line"}, "hud_text: cannot import"),
        ({"hud_text": "testkit.envs.hudtext:not_text"}, "hud_text must return a str"),
        ({"hud_text": "testkit.envs.hudtext:missing"}, "is not callable"),
    ],
)
def test_display_options_are_checked_at_load(tmp_path, options, message):
    with pytest.raises(DefinitionError, match=message):
        tag_scene(**options).prepare(tmp_path)


def test_display_options_reach_the_runtime_and_the_bundle(tmp_path):
    scene = tag_scene(agent_labels={"chaser": "the red dot"}, hud_text="testkit.envs.hudtext:line")
    scene.prepare(tmp_path)
    config = scene.loop_config()
    assert config["agent_labels"] == {"chaser": "the red dot"} and config["hud_text"] == "testkit.envs.hudtext:line"
    assert "testkit.envs.hudtext" in scene.shipped_modules()
