"""Group games in plain Python: N browser sessions and the relay's log over a simulated network (delay, jitter,
loss bursts, reordering, a slow peer, a late joiner) agree on every confirmed row, end on the same frame with the
same state, and equal the server's replay of the log; a dropped player's replacement is played identically."""

from __future__ import annotations

import json

import pytest

from examples.gather import env as gather_env
from experiments.study import DefinitionError, Netcode, OnnxPolicy
from mug.loop import GameLoop, LoopConfig
from mug.netplay import NetSession
from mug.rollback import shared_fields
from netcode.simulator import Conditions, simulate, straight_replay

ARROWS = {"ArrowUp": 1, "ArrowDown": 2, "ArrowLeft": 3, "ArrowRight": 4}
TAG = {
    "env": "examples.tag.env:make",
    "agents": {"chaser": "human", "runner": "human"},
    "render_mode": None,
    "max_steps": 120,
    "keys": ARROWS,
}


def gather(players: int, steps: int = 150) -> dict:
    agents = {f"player_{i}": "human" for i in range(players)}
    return {
        "env": "examples.gather.env:make",
        "env_kwargs": {"players": players},
        "agents": agents,
        "render_mode": None,
        "max_steps": steps,
        "keys": ARROWS,
    }


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
    assert outs[-1]["send"] == []  # while stalled nothing new goes out (a busy relay can catch up)
    assert outs[-1]["unacked"][-1][0] == 11  # the inputs up to the stall wait for the relay's ack


def test_a_replaced_player_is_played_identically_by_every_peer():
    """The relay decides that runner's seat is played by a random policy from frame 20: both peers (one of which
    had predicted the runner's inputs past it) end up with the same rows."""
    config = {**TAG, "max_steps": 80}
    sessions = {
        p: NetSession(GameLoop(LoopConfig.from_dict(config)), ["chaser", "runner"], p, 2, 8)
        for p in ("chaser", "runner")
    }
    for session in sessions.values():
        session.start(0, 9)
    chaser, runner = sessions["chaser"], sessions["runner"]
    sent = {"chaser": {}, "runner": {}}
    for tick in range(200):
        news_for_chaser = [["runner", f, a] for f, a in sent["runner"].items() if f < 20]
        out = chaser.tick(
            {
                "held": [["ArrowUp", "ArrowLeft"][tick // 7 % 2]],
                "inputs": news_for_chaser,
                "replaced": [["runner", 20, {"kind": "random"}]] if tick == 40 else [],
            }
        )
        sent["chaser"].update(dict(out["send"]))
        if tick < 18:  # the runner plays a little, then its tab is gone
            out = runner.tick({"held": ["ArrowDown"], "inputs": [["chaser", f, a] for f, a in sent["chaser"].items()]})
            sent["runner"].update(dict(out["send"]))
        if chaser.episode_over:
            break
    # A third browser rejoining later replays the same log and replacement.
    late = NetSession(GameLoop(LoopConfig.from_dict(config)), ["chaser", "runner"], "runner", 2, 8)
    late.start(0, 9)
    log = [["chaser", f, a] for f, a in sent["chaser"].items()] + [
        ["runner", f, a] for f, a in sent["runner"].items() if f < 20
    ]
    late.tick({"inputs": log, "replaced": [["runner", 20, {"kind": "random"}]]})
    for _ in range(50):
        late.tick({})
    assert chaser.episode_over and late.episode_over
    assert [shared_fields(r) for r in chaser.session.confirmed_rows] == [
        shared_fields(r) for r in late.session.confirmed_rows
    ]
    frames = [row["frame"] for row in chaser.session.confirmed_rows]
    assert frames == list(range(len(frames))) and len(frames) > 20


def test_a_slow_env_gets_a_window_its_replays_can_afford(monkeypatch):
    # The session's clock is one the env's work moves: each step costs exactly its 5 ms, whatever else the machine
    # is doing (a wall-clock measurement on a busy machine made the window whatever the scheduler allowed).
    now = [0.0]
    monkeypatch.setattr(NetSession, "clock", staticmethod(lambda: now[0]))
    monkeypatch.setattr(gather_env, "_burn", lambda ms: now.__setitem__(0, now[0] + ms / 1000))
    config = {**gather(2), "env_kwargs": {"players": 2, "step_cost_ms": 5.0}}
    net = NetSession(GameLoop(LoopConfig.from_dict(config)), ["player_0", "player_1"], "player_0", 2, 8)
    net.start(0, 1)
    for _ in range(4):
        net.tick({"held": []})
    assert net.frame_ms == pytest.approx(5.0) and net.session.window == 4  # 20 ms of replay budget / 5 ms a frame
    fast = NetSession(GameLoop(LoopConfig.from_dict(gather(2))), ["player_0", "player_1"], "player_0", 2, 8)
    fast.start(0, 1)
    for _ in range(4):
        fast.tick({"held": []})
    assert fast.frame_ms == 0 and fast.session.window == 8  # a step that costs nothing keeps the whole window


def test_the_peer_ahead_slows_its_clock_and_the_one_behind_does_not():
    loop = GameLoop(LoopConfig.from_dict(TAG))
    net = NetSession(loop, ["chaser", "runner"], "chaser", 2, 8)
    net.start(0, 3)
    inputs = [["runner", f, 0] for f in range(2, 60)]
    outs = [
        net.tick({"held": [], "inputs": inputs if i == 0 else [], "remote_frames": {"runner": 5}, "rtt_ms": 0})
        for i in range(40)
    ]
    assert outs[-1]["tick_scale"] > 1.05  # 30+ frames ahead of the runner: up to 10 % slower
    behind = NetSession(GameLoop(LoopConfig.from_dict(TAG)), ["chaser", "runner"], "runner", 2, 8)
    behind.start(0, 3)
    out = behind.tick({"held": [], "remote_frames": {"chaser": 40}, "rtt_ms": 0})
    assert out["tick_scale"] == 1


def _group_scene(**changes):
    from experiments.study import GymScene

    fields = {
        "scene_id": "pair",
        "env": "examples.tag.env:make",
        "agents": {"chaser": "human", "runner": "human"},
        "keys": ARROWS,
        "packages": ["gymnasium==1.4.0", "pettingzoo==1.25.0"],
    }
    return GymScene(**{**fields, **changes})


def test_a_group_scene_whose_env_cannot_roll_back_is_refused_at_load(tmp_path):

    with pytest.raises(DefinitionError, match="not ready for rollback .*not deterministic.*check_rollback"):
        _group_scene(env="testkit.envs.clocked:make").prepare(tmp_path)
    _group_scene().prepare(tmp_path)  # the same game with a deterministic env loads


def test_a_missing_model_and_bad_netcode_settings_are_refused_in_group_scenes(tmp_path):

    agents = {"player_0": "human", "player_1": "human", "player_2": OnnxPolicy(model="x.onnx")}
    gather3 = {"env": "examples.gather.env:make", "env_kwargs": {"players": 3}, "agents": agents}
    with pytest.raises(DefinitionError, match="x.onnx"):  # its model is checked at load (test_relayed_agents.py)
        _group_scene(**gather3).prepare(tmp_path)
    with pytest.raises(DefinitionError, match="window must be between 1 and 30"):
        _group_scene(netcode=Netcode(window=0)).prepare(tmp_path)
    with pytest.raises(DefinitionError, match="0 < lagging_s < dropout_s"):
        _group_scene(netcode=Netcode(lagging_s=5, dropout_s=2)).prepare(tmp_path)


def test_two_humans_and_an_ai_agent_agree_and_the_ai_is_recomputed_in_replays():
    config = gather(3, 120)
    config["agents"] = {**config["agents"], "player_2": "random"}
    result = simulate(config, 4, Conditions(delay=4, jitter=2))
    assert result.agreed
    rows = next(iter(result.rows.values()))
    assert [shared_fields(r) for r in rows] == straight_replay(config, 4, result.relay)
    assert len({row["actions"]["player_2"] for row in rows}) > 1  # the AI really acted
    assert sum(s.session.stats["rollbacks"] for s in result.sessions.values()) > 0


def test_a_diverged_peer_is_brought_back_by_the_referee_checkpoint():
    """Peer B's env is corrupted mid-game (as a wrong float or a bug would). The exchanged checksums differ; the
    referee replays the relay's log to that frame and B loads its state: from then on both agree again."""
    from netcode.input_rules import InputLog
    from netcode.replay import replay_checkpoint

    config = gather(2, 150)
    players = ["player_0", "player_1"]
    peers = {p: NetSession(GameLoop(LoopConfig.from_dict(config)), players, p, 2, 8) for p in players}
    for peer in peers.values():
        peer.start(0, 21)
    relay = InputLog(players, first_frame=2)
    inbox = {p: [] for p in players}
    sums = {p: {} for p in players}
    checkpoint, resynced_at = None, None
    for tick in range(400):
        for index, (player, peer) in enumerate(peers.items()):
            news = {"inputs": inbox[player], "held": [["ArrowUp", "ArrowLeft", "ArrowDown"][(tick // 5 + index) % 3]]}
            inbox[player] = []
            if player == "player_1" and checkpoint is not None:
                news["resync"], checkpoint = checkpoint, None
            if player == "player_1" and tick == 40:
                peer.loop.adapter.env.unwrapped.positions[0] = [0, 0]  # the divergence
            out = peer.tick(news)
            sums[player].update(dict(out["checksums"]))
            for frame, action in out["send"]:
                if relay.add(player, frame, action):
                    inbox[players[1 - index]].append([player, frame, action])
        differing = sorted(
            f for f in set(sums["player_0"]) & set(sums["player_1"]) if sums["player_0"][f] != sums["player_1"][f]
        )
        if differing and resynced_at is None:
            resynced_at = differing[0]
            checkpoint = replay_checkpoint(config, 21, 0, relay.inputs, [], 2, resynced_at)
            assert checkpoint["checksum"] == sums["player_0"][resynced_at]  # the referee sides with the healthy peer
            checkpoint = json.loads(json.dumps(checkpoint))  # as it travels: plain JSON
        if all(peer.episode_over for peer in peers.values()):
            break
    assert resynced_at is not None and peers["player_1"].session.stats["resyncs"] == 1
    a, b = ([shared_fields(r) for r in peers[p].session.confirmed_rows] for p in players)
    assert len(a) == len(b) == 150
    assert a[resynced_at + 1 :] == b[resynced_at + 1 :]  # agreement from the checkpoint on
    assert peers["player_0"].session.checksum() == peers["player_1"].session.checksum()


def test_state_data_round_trips_exactly_and_refuses_objects():
    import numpy as np

    from mug.statecodec import StateNotPortable, decode, encode

    state = (
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.float32(0.1),
        {"rng": {"state": 2**100, "x": 0.1}},
        [True, None, "a", b"\x00"],
        1e-300,
        float("inf"),
    )
    back = decode(json.loads(json.dumps(encode(state))))
    assert back[0].dtype == np.int64 and (back[0] == state[0]).all() and back[1] == state[1]
    assert back[2:] == state[2:]
    with pytest.raises(StateNotPortable):
        encode(object())
