"""Group games in plain Python: N browser sessions and the relay's log over a simulated network (delay, jitter,
loss bursts, reordering, a slow peer, a late joiner) agree on every confirmed row, end on the same frame with the
same state, and equal the server's replay of the log; a dropped player's replacement is played identically."""

from __future__ import annotations

import pytest

from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession
from mug.rollback import shared_fields
from netcode.simulator import Conditions, simulate, straight_replay

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}
TAG = {"env": "examples.tag.env:make", "agents": {"chaser": "human", "runner": "human"}, "render_mode": None,
       "max_steps": 120, "keys": ARROWS}  # fmt: skip


def gather(players: int, steps: int = 150) -> dict:
    agents = {f"player_{i}": "human" for i in range(players)}
    return {"env": "examples.gather.env:make", "env_kwargs": {"players": players}, "agents": agents,
            "render_mode": None, "max_steps": steps, "keys": ARROWS}  # fmt: skip


MATRIX = [
    Conditions(),
    Conditions(delay=3, jitter=2),
    Conditions(delay=8, jitter=4, loss=0.05, burst=5),
    Conditions(delay=2, jitter=6, loss=0.2, burst=2),
    Conditions(delay=4, slow={"chaser": 2}),
    Conditions(delay=3, late={"runner": 25}),
]


@pytest.mark.parametrize("conditions", MATRIX, ids=lambda c: f"d{c.delay}j{c.jitter}l{c.loss}b{c.burst}")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_peers_agree_with_each_other_and_the_server_replay(conditions, seed):
    result = simulate(TAG, seed, conditions)
    assert result.agreed, (result.ends, {p: len(r) for p, r in result.rows.items()})
    rows = [shared_fields(row) for row in next(iter(result.rows.values()))]
    assert rows == straight_replay(TAG, seed, result.relay)
    assert all(not session.session.rows for session in result.sessions.values())  # nothing left unconfirmed


@pytest.mark.parametrize("players", [3, 4])
@pytest.mark.parametrize("conditions", [Conditions(delay=3, jitter=3), Conditions(delay=6, loss=0.1, burst=3)])
def test_three_and_four_peers_agree(players, conditions):
    config = gather(players)
    result = simulate(config, 11, conditions)
    assert result.agreed
    assert [shared_fields(r) for r in next(iter(result.rows.values()))] == straight_replay(config, 11, result.relay)
    assert len(next(iter(result.rows.values()))) == 150


def test_latency_causes_rollbacks_that_the_rows_record():
    result = simulate(gather(2, 200), 5, Conditions(delay=6, jitter=2))
    assert result.agreed
    stats = [s.session.stats for s in result.sessions.values()]
    assert sum(s["rollbacks"] for s in stats) > 0 and max(s["max_depth"] for s in stats) <= 8
    seen = [row for rows in result.rows.values() for row in rows]
    assert any(row["predicted"] for row in seen) and any(row["rollback_depth"] > 0 for row in seen)


def test_without_latency_nothing_is_predicted():
    result = simulate(gather(2, 100), 5, Conditions(keys_every=0.5))
    assert result.agreed
    assert all(s.session.stats["rollbacks"] == 0 for s in result.sessions.values())


def test_the_window_stalls_a_peer_whose_partner_is_silent():
    loop = GameLoop(LoopConfig.from_dict(TAG))
    net = NetSession(loop, ["chaser", "runner"], "chaser", input_delay=2, window=8)
    net.start(0, 3)
    outs = [net.tick({"held": ["ArrowUp"]}) for _ in range(30)]
    assert net.session.frame == 10 and outs[-1]["stalled"] and outs[-1]["waiting"] == ["runner"]
    assert outs[-1]["send"][-1][0] == 11  # inputs up to the stall are still offered to the relay


def test_a_replaced_player_is_played_identically_by_every_peer():
    """The relay decides that runner's seat is played by a random policy from frame 20: both peers (one of which
    had predicted the runner's inputs past it) end up with the same rows."""
    config = {**TAG, "max_steps": 80}
    sessions = {p: NetSession(GameLoop(LoopConfig.from_dict(config)), ["chaser", "runner"], p, 2, 8)
                for p in ("chaser", "runner")}  # fmt: skip
    for session in sessions.values():
        session.start(0, 9)
    chaser, runner = sessions["chaser"], sessions["runner"]
    sent = {"chaser": {}, "runner": {}}
    for tick in range(200):
        news_for_chaser = [["runner", f, a] for f, a in sent["runner"].items() if f < 20]
        out = chaser.tick({"held": [["ArrowUp", "ArrowLeft"][tick // 7 % 2]], "inputs": news_for_chaser,
                           "replaced": [["runner", 20, {"kind": "random"}]] if tick == 40 else []})  # fmt: skip
        sent["chaser"].update(dict(out["send"]))
        if tick < 18:  # the runner plays a little, then its tab is gone
            out = runner.tick({"held": ["ArrowDown"], "inputs": [["chaser", f, a] for f, a in sent["chaser"].items()]})
            sent["runner"].update(dict(out["send"]))
        if chaser.episode_over:
            break
    # A third browser rejoining later replays the same log and replacement.
    late = NetSession(GameLoop(LoopConfig.from_dict(config)), ["chaser", "runner"], "runner", 2, 8)
    late.start(0, 9)
    log = [["chaser", f, a] for f, a in sent["chaser"].items()] + [["runner", f, a] for f, a in sent["runner"].items()
                                                                  if f < 20]  # fmt: skip
    late.tick({"inputs": log, "replaced": [["runner", 20, {"kind": "random"}]]})
    for _ in range(50):
        late.tick({})
    assert chaser.episode_over and late.episode_over
    assert [shared_fields(r) for r in chaser.session.confirmed_rows] == [
        shared_fields(r) for r in late.session.confirmed_rows
    ]
    frames = [row["frame"] for row in chaser.session.confirmed_rows]
    assert frames == list(range(len(frames))) and len(frames) > 20


def test_a_slow_env_gets_a_window_its_replays_can_afford():
    config = {**gather(2), "env_kwargs": {"players": 2, "step_cost_ms": 5.0}}
    net = NetSession(GameLoop(LoopConfig.from_dict(config)), ["player_0", "player_1"], "player_0", 2, 8)
    net.start(0, 1)
    for _ in range(4):
        net.tick({"held": []})
    assert net.frame_ms >= 4.5 and net.session.window == int(20 / net.frame_ms) < 8  # 20 ms of replay budget


def test_the_peer_ahead_slows_its_clock_and_the_one_behind_does_not():
    loop = GameLoop(LoopConfig.from_dict(TAG))
    net = NetSession(loop, ["chaser", "runner"], "chaser", 2, 8)
    net.start(0, 3)
    inputs = [["runner", f, 0] for f in range(2, 60)]
    outs = [net.tick({"held": [], "inputs": inputs if i == 0 else [], "remote_frames": {"runner": 5}, "rtt_ms": 0})
            for i in range(40)]  # fmt: skip
    assert outs[-1]["tick_scale"] > 1.05  # 30+ frames ahead of the runner: up to 10 % slower
    behind = NetSession(GameLoop(LoopConfig.from_dict(TAG)), ["chaser", "runner"], "runner", 2, 8)
    behind.start(0, 3)
    out = behind.tick({"held": [], "remote_frames": {"chaser": 40}, "rtt_ms": 0})
    assert out["tick_scale"] == 1
