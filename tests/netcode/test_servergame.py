"""Server-side games (issue 7, started): the runner in plain Python and one OS process per game, at a fixed rate.

Bad inputs are dropped with a reason and the game goes on; a slow env does not slow another game; a crashing env
ends its game with the error and frees its process."""

from __future__ import annotations

import time

import pytest

from netcode.server.process import Control, GameProcess, _play
from netcode.server.runner import ServerRunner

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}


def gather(steps: int = 60, step_cost_ms: float = 0.0, players: int = 2) -> dict:
    return {
        "env": "examples.gather.env:make",
        "env_kwargs": {"players": players, "step_cost_ms": step_cost_ms},
        "agents": {f"player_{i}": "human" for i in range(players)},
        "keys": ARROWS,
        "max_steps": steps,
        "fps": 30,
    }


def test_held_keys_become_actions_and_bad_inputs_are_dropped_with_a_reason():
    runner = ServerRunner(gather(), ["player_0", "player_1"])
    runner.start(0, 5)
    assert runner.take_input("player_0", {"frame": 0, "held": ["ArrowLeft"]})
    refused = [
        ("player_9", {"frame": 0, "held": []}),
        ("player_1", "ArrowUp"),
        ("player_1", {"frame": 500, "held": ["ArrowUp"]}),
        ("player_1", {"frame": True, "held": ["ArrowUp"]}),
        ("player_1", {"frame": 0, "held": "ArrowUp"}),
        ("player_1", {"frame": 0, "held": ["Escape"]}),
        ("player_1", {"frame": 0, "held": ["ArrowUp"] * 17}),
    ]
    assert not any(runner.take_input(seat, message) for seat, message in refused)
    assert len(runner.ignored) == len(refused)
    assert "not a seat" in runner.ignored[0] and "keys this game does not use" in runner.ignored[5]
    out = runner.step()
    assert out["row"]["actions"] == {"player_0": 3, "player_1": 0}  # left; the refused inputs changed nothing
    assert out["render"]["objects"]


def test_seats_must_be_human_agents():
    with pytest.raises(ValueError, match="not human agents"):
        ServerRunner(gather(), ["player_0", "intruder"])


def frames_of(game: GameProcess, seconds: float) -> list[dict]:
    """Messages for a while (each frame stamped by the game process with when it ran)."""
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = game.receive(0.2)
        if message:
            frames.append(message)
        if message and message["type"] in ("finished", "error"):
            break
    return frames


def frames_until(game: GameProcess, count: int, timeout: float = 90.0) -> list[dict]:
    """The game's first `count` frames (a generous deadline: the game's pace is not what is judged)."""
    frames, deadline = [], time.monotonic() + timeout
    while len(frames) < count:
        assert time.monotonic() < deadline, f"{len(frames)} of {count} frames in {timeout} s"
        message = game.receive(0.2)
        if message and message["type"] == "frame":
            frames.append(message)
    return frames


def test_a_slow_env_does_not_slow_another_game():
    # Not judged by frame rates (a busy machine slows every game): one game's env is stuck inside a step for good,
    # and the other plays on meanwhile, which no shared loop or shared process could do.
    stuck = GameProcess(
        {**gather(steps=10_000), "env": "testkit.envs.stuck:make"}, ["player_0", "player_1"], [1], fps=30
    )
    fast = GameProcess(gather(steps=10_000), ["player_0", "player_1"], [1], fps=30)
    try:
        fast.send_input("player_0", {"frame": 0, "held": ["ArrowUp"]})
        stuck.send({"type": "go"})
        assert len(frames_until(stuck, 2)) == 2  # its third step never returns
        fast.send({"type": "go"})
        frames = frames_until(fast, 90)  # three seconds of play while the other game stands still
        assert stuck.receive(0) is None  # and the stuck one sent nothing more
    finally:
        fast.stop()
        stuck.process.kill()
        stuck.process.join(10)
        stuck.stop()
    assert [f["row"]["frame"] for f in frames] == list(range(90))
    assert frames[-1]["row"]["actions"]["player_0"] == 1


class FakeClock:
    """The game loop's clock, moved only by the test's env steps and the loop's own waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pipe:
    """The game's end of its pipe, in-process: waiting on it moves the fake clock by the wait, sends are kept."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock, self.sent = clock, []

    def poll(self, timeout):
        self.clock.now += timeout or 0
        return False

    def send(self, message):
        self.sent.append(message)


def test_a_slow_env_is_reported_late():
    # Each step costs 100 ms of the game's clock, three frames' worth at 30 fps: the game falls behind and says by
    # how much, and re-anchors rather than racing a backlog.
    clock = FakeClock()
    runner = ServerRunner(gather(steps=6), ["player_0", "player_1"])
    runner.start(0, 1)
    step = runner.step

    def slow_step():
        clock.now += 0.1
        return step()

    runner.step = slow_step
    pipe = Pipe(clock)
    _play(pipe, runner, Control(pipe, runner, clock), 0, 1 / 30)
    late = [message["late_ms"] for message in pipe.sent]
    assert len(late) == 6 and late[0] == 0
    assert late[1] == pytest.approx(100 - 1000 / 30)  # the first slow step made the second frame late
    assert max(late) < 100 + 5000 / 30  # never more than the re-anchoring bound behind


def test_a_crashing_env_ends_its_game_with_the_error_and_frees_the_process():
    config = {
        **gather(),
        "env": "testkit.envs.crashing:make",
        "env_kwargs": {},
        "agents": {"chaser": "human", "runner": "human"},
    }
    game = GameProcess(config, ["chaser", "runner"], [1], fps=60)
    game.send({"type": "go"})
    try:
        messages = frames_of(game, 20.0)
        game.process.join(5)
        assert not game.process.is_alive()
    finally:
        game.stop()
    assert messages[-1]["type"] == "error" and "the simulator fell over" in messages[-1]["message"]
    assert len([m for m in messages if m["type"] == "frame"]) == 9


def test_the_screen_repaints_what_a_canvas_shows_after_any_number_of_deltas():
    from netcode.server.runner import Screen

    def obj(object_id, x, persistent=True):
        return {"id": object_id, "type": "rect", "persistent": persistent, "x": x}

    screen = Screen()
    screen.apply(
        {"objects": [obj("wall", 0), obj("a", 1), obj("spark", 9, persistent=False)], "removed": [], "reset": True}
    )
    screen.apply({"objects": [obj("a", 2), obj("b", 3)], "removed": ["wall"], "reset": False})
    assert screen.full() == {"objects": [obj("a", 2), obj("b", 3)], "removed": [], "reset": True}
    screen.apply({"objects": [obj("c", 4)], "removed": [], "reset": True})  # a new episode clears the canvas
    assert screen.full()["objects"] == [obj("c", 4)]


def test_server_scenes_need_no_rollback_take_onnx_agents_and_refuse_unknown_modes(tmp_path):
    from experiments.study import DefinitionError, GymScene, OnnxPolicy

    def scene(**fields):
        return GymScene(
            **{
                "scene_id": "s",
                "env": "testkit.envs.clocked:make",
                "keys": {"a": 1},
                "runs_on": "server",
                "agents": {"chaser": "human", "runner": "human"},
                **fields,
            }
        )

    scene().prepare(tmp_path)  # an env that cannot roll back is fine when the server steps it
    # ONNX agents run in the game's process (tests/netcode/test_onnx_server_game.py); their model is checked at load.
    with pytest.raises(DefinitionError, match="x.onnx"):
        scene(agents={"chaser": "human", "runner": OnnxPolicy(model="x.onnx")}).prepare(tmp_path)
    with pytest.raises(DefinitionError, match="runs_on must be 'browser' or 'server'"):
        scene(runs_on="cloud").prepare(tmp_path)


def test_a_replaced_seat_plays_the_default_action_or_the_policy_and_takes_no_more_keys():
    runner = ServerRunner(gather(players=3), ["player_0", "player_1", "player_2"])
    runner.start(0, 3)
    for seat in runner.seats:
        runner.take_input(seat, {"frame": 0, "held": ["ArrowUp"]})
    runner.replace("player_1", {"kind": "idle"})  # ContinueWithout
    runner.replace("player_2", {"kind": "random"})  # ReplaceWithAI("random")
    assert not runner.take_input("player_1", {"frame": 0, "held": ["ArrowDown"]})
    assert "played by a replacement" in runner.ignored[-1]
    actions = [runner.step()["row"]["actions"] for _ in range(30)]
    assert {a["player_0"] for a in actions} == {1} and {a["player_1"] for a in actions} == {0}
    assert len({a["player_2"] for a in actions}) > 1  # the random policy, seeded from the episode seed
