"""Game hooks through mug.loop (plain Python): what they get, where their fields are stored, that they run again on
re-simulated frames (so a hook keeping its own state breaks rollback), and the load-time refusals."""

from __future__ import annotations

import pytest

from experiments.study import DefinitionError, Netcode, WaitingRoom
from mug.loop import GameLoop, LoopConfig
from mug.synctest import check_rollback
from testkit.agentid_experiments import int_scene

HOOKS = "testkit.envs.game_hooks"
INT_PAIR = {
    "env": "testkit.envs.int_agents:make",
    "agents": {"0": "human", "1": "human"},
    "keys": {"ArrowLeft": 1, "ArrowRight": 2},
    "max_steps": 6,
    "render_mode": None,
}


def played(config: dict, frames_keys=("ArrowRight",)) -> tuple[dict, list[dict]]:
    loop = GameLoop(LoopConfig.from_dict(config))
    started = loop.start_episode(4, 7)
    rows = []
    while not loop.over:
        rows.append(loop.step_frame(loop.actions_for(list(frames_keys), [])))
    return started, rows


def test_the_hooks_fields_join_every_agents_info_at_reset_each_frame_and_the_end():
    started, rows = played({**INT_PAIR, "hooks": f"{HOOKS}:WalkHooks"})
    for agent in ("0", "1"):
        assert started["reset"]["infos"][agent] == {"id_type": "int", "hook.start.episode": 4, "hook.start.seed": 7}
    assert len(rows) == 6
    for row in rows:
        for agent in ("0", "1"):
            info = row["infos"][agent]
            assert info["id_type"] == "int"  # the env's own info stays
            assert info["hook.frame"] == row["frame"] and info["hook.episode"] == 4
            assert info["hook.reward_sum"] == sum(row["rewards"].values())
            assert info["hook.ids"] == "0,1"  # the hooks saw the env's own int ids
    assert all("hook.ended" not in row["infos"]["0"] for row in rows[:-1])
    total = sum(sum(row["rewards"].values()) for row in rows)
    assert rows[-1]["infos"]["1"]["hook.ended"] == 6 and rows[-1]["infos"]["1"]["hook.total"] == total


def test_a_hook_returning_none_adds_nothing_and_no_hooks_change_nothing():
    _, rows = played({**INT_PAIR, "hooks": f"{HOOKS}:TickOnly"})
    assert [row["infos"]["0"].get("hook.even") for row in rows] == [True, None, True, None, True, None]
    _, plain = played(INT_PAIR)
    assert all(row["infos"]["0"] == {"id_type": "int"} for row in plain)


def test_hooks_run_again_on_every_re_simulated_frame():
    config = {**INT_PAIR, "max_steps": 60}
    assert check_rollback({**config, "hooks": f"{HOOKS}:WalkHooks"}, frames=40, window=4).ok
    stateful = check_rollback({**config, "hooks": f"{HOOKS}:Counting"}, frames=40, window=4)
    assert not stateful.ok and "differs from the straight run" in stateful.problems[0]


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ("no_colon", "must look like 'package.module:Class'"),
        ("testkit.envs.nowhere:Hooks", "cannot import"),
        (f"{HOOKS}:Missing", "is not callable"),
        (f"{HOOKS}:Misspelt", r"has \['on_step'\], which are not hooks"),
        (f"{HOOKS}:NoHooks", "defines none of"),
        (f"{HOOKS}:NotADict", "hook on_tick must return a dict or None, got list"),
        (f"{HOOKS}:Raises", "no episode for you"),
        (f"{HOOKS}:Clocked", "two runs of the same episode .* different fields at frame 0 .* must be deterministic"),
        (f"{HOOKS}:Counting", "episode 1 played after episode 0 and alone .* different fields at frame 0"),
    ],
)
def test_hooks_that_cannot_run_or_differ_between_runs_are_refused_at_load(tmp_path, hooks, message):
    scene = int_scene("walk", {0: "human", 1: "random"}, hooks=hooks)
    with pytest.raises(DefinitionError, match=message) as caught:
        scene.prepare(tmp_path)
    assert "gym scene 'walk': hooks" in str(caught.value)


def test_the_hooks_module_ships_with_the_env(tmp_path):
    scene = int_scene("walk", {0: "human", 1: "random"}, hooks=f"{HOOKS}:WalkHooks")
    scene.prepare(tmp_path)
    assert f"{HOOKS}" in scene.shipped_modules() and scene.loop_config()["hooks"] == f"{HOOKS}:WalkHooks"
    assert scene.describe()["hooks"] == f"{HOOKS}:WalkHooks"


def test_a_group_scenes_hooks_that_keep_state_within_an_episode_are_refused_by_forced_rollbacks(tmp_path):
    pair = {"waiting_room": WaitingRoom(), "netcode": Netcode(input_delay=2, window=8)}
    scene = int_scene("walk2", {0: "human", 1: "human"}, hooks=f"{HOOKS}:PerEpisodeCounting", **pair)
    with pytest.raises(DefinitionError, match="with forced rollbacks rollback depth 1: frame .* differs"):
        scene.prepare(tmp_path)
    solo = int_scene("walk", {0: "human", 1: "random"}, hooks=f"{HOOKS}:PerEpisodeCounting")
    solo.prepare(tmp_path)  # alone nothing re-runs a frame: each replay starts the episode in a fresh loop
    int_scene("walk2", {0: "human", 1: "human"}, hooks=f"{HOOKS}:WalkHooks", **pair).prepare(tmp_path)
