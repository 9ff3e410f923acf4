"""Rollback in plain Python: snapshots and their self-test, SyncTest at every depth, and two peers over a
simulated lossy, delayed network agreeing on every confirmed frame."""

from __future__ import annotations

import random
import time

import pytest

from mug.loop import GameLoop, LoopConfig
from mug.rollback import RollbackSession, shared_fields
from mug.snapshots import RollbackUnsupported, Snapshotter, self_test

TAG = {
    "env": "examples.tag.env:make",
    "agents": {"chaser": "human", "runner": "human"},
    "render_mode": None,
    "max_steps": 400,
    "keys": {"ArrowUp": 1},
}
PLAYERS = ["chaser", "runner"]


def tag_loop(seed: int = 3, **changes) -> GameLoop:
    loop = GameLoop(LoopConfig.from_dict({**TAG, **changes}))
    loop.start_episode(0, seed)
    return loop


def scripted(player: str, frame: int) -> int:
    """Inputs that change often, so that repeat-last prediction is often wrong."""
    return (frame // (3 if player == "chaser" else 2) + len(player)) % 5


def straight_run(frames: int, delay: int, seed: int = 3) -> list[dict]:
    """The same game with every input known in advance: what every peer's confirmed log must equal."""
    loop = tag_loop(seed)
    rows = []
    for frame in range(frames):
        if loop.over:
            break
        actions = {p: 0 if frame < delay else scripted(p, frame) for p in loop.adapter.live_agents()}
        rows.append(loop.step_frame(actions))
    return rows


def strip(rows: list[dict]) -> list[dict]:
    return [shared_fields(row) for row in rows]


def test_snapshots_restore_the_state_and_pass_the_self_test():
    loop = tag_loop()
    snapshotter = Snapshotter(loop.adapter)
    before = snapshotter.checksum()
    saved = snapshotter.save()
    loop.adapter.step({"chaser": 4, "runner": 3})
    assert snapshotter.checksum() != before
    snapshotter.load(saved)
    assert snapshotter.checksum() == before
    self_test(snapshotter, lambda frame: {"chaser": frame % 5, "runner": (frame + 1) % 5})


def test_an_env_that_reads_the_clock_fails_the_self_test():
    class ClockTag:
        def __init__(self, inner):
            self.inner, self.unwrapped = inner, self
            self.moved = 0.0

        def step(self, actions):
            self.moved += time.perf_counter()  # not a function of state and inputs
            return self.inner.step(actions)

    loop = tag_loop()
    loop.adapter.env = ClockTag(loop.adapter.env)
    with pytest.raises(RollbackUnsupported, match="not deterministic"):
        self_test(Snapshotter(loop.adapter), lambda frame: {"chaser": 1, "runner": 2})


@pytest.mark.parametrize("lateness", [1, 2, 4, 7])
def test_synctest_rollbacks_of_every_depth_reproduce_the_straight_run(lateness):
    """The remote's inputs arrive `lateness` frames after they were due: every one of them is a rollback."""
    delay, frames = 1, 120
    session = RollbackSession(tag_loop(), PLAYERS, local="chaser", input_delay=delay, window=8)
    for _ in range(frames + lateness + 10):
        frame, _ = session.add_local_input(scripted("chaser", session.frame + delay))
        late = session.frame - lateness  # simulated `lateness` frames ago, with a predicted input
        if late >= delay:
            session.add_remote_input("runner", late, scripted("runner", late))
        session.advance()
    expected = straight_run(frames, delay)
    got = strip(session.confirmed_rows)[: len(expected)]
    assert got == expected[: len(got)] and len(got) >= min(len(expected), 100)
    assert session.stats["rollbacks"] > 0 and session.stats["max_depth"] >= min(lateness, 8)


class LossyLink:
    """One direction of a network: delay, jitter, loss bursts and reordering; seeded."""

    def __init__(self, seed: int, delay: int, jitter: int, loss: float) -> None:
        self.rng, self.delay, self.jitter, self.loss = random.Random(seed), delay, jitter, loss
        self.in_flight: list[tuple[int, tuple]] = []

    def send(self, now: int, message: tuple) -> None:
        if self.rng.random() >= self.loss:
            self.in_flight.append((now + self.delay + self.rng.randint(0, self.jitter), message))

    def deliver(self, now: int) -> list[tuple]:
        due = [m for t, m in self.in_flight if t <= now]
        self.in_flight = [(t, m) for t, m in self.in_flight if t > now]
        self.rng.shuffle(due)
        return due


@pytest.mark.parametrize(("delay", "jitter", "loss"), [(0, 0, 0.0), (3, 2, 0.1), (6, 4, 0.3)])
def test_two_peers_over_a_lossy_network_confirm_identical_frames(delay, jitter, loss):
    peers = {p: RollbackSession(tag_loop(), PLAYERS, local=p, input_delay=2, window=8) for p in PLAYERS}
    links = {p: LossyLink(len(p) * 31 + delay, delay, jitter, loss) for p in PLAYERS}  # link from p (seeded)
    unacked = {p: {} for p in PLAYERS}
    for now in range(400):
        for player, session in peers.items():
            other = PLAYERS[1 - PLAYERS.index(player)]
            for frame, action in links[other].deliver(now):
                session.add_remote_input(other, frame, action)
            if session.frame - session.confirmed <= session.window:  # a stalled peer reads no new input
                frame, action = session.add_local_input(scripted(player, session.frame + 2))
                unacked[player][frame] = action
            # Resend everything the other peer has not confirmed (an ack is its confirmed frame).
            acked = peers[other].confirmed
            unacked[player] = {f: a for f, a in unacked[player].items() if f > acked}
            for frame, action in unacked[player].items():
                links[player].send(now, (frame, action))
            session.advance()
    a, b = (strip(peers[p].confirmed_rows) for p in PLAYERS)
    shared = min(len(a), len(b))
    assert shared > 100 and a[:shared] == b[:shared]


def test_check_rollback_command_passes_the_tag_pair_scene_and_refuses_single_player_studies():
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("check_rollback", "pairs", "--frames", "60", stdout=out)
    assert "pair: ready; snapshots by deep copy (fallback)" in out.getvalue()
    assert "depths checked [1, 2, 3, 4, 5, 6, 7]" in out.getvalue()
    with pytest.raises(CommandError, match="no scene with two or more human agents"):
        call_command("check_rollback", "cartpole")


def test_synctest_catches_an_env_whose_snapshot_misses_state():
    from mug.synctest import check_rollback

    report = check_rollback({**TAG, "env": "testkit.envs.leaky:make"}, frames=60)
    assert not report.ok and report.problems


def test_peers_through_the_relay_log_match_a_server_replay_of_that_log():
    """Inputs go through the relay's log (first write wins) over lossy links; both peers' confirmed rows equal a
    straight server-side replay of the log's confirmed frames."""
    from netcode.input_rules import InputLog

    delay = 2
    relay = InputLog(PLAYERS, first_frame=delay)
    peers = {p: RollbackSession(tag_loop(), PLAYERS, local=p, input_delay=delay, window=8) for p in PLAYERS}
    up = {p: LossyLink(7 + i, 2, 2, 0.2) for i, p in enumerate(PLAYERS)}  # peer -> relay
    down = {p: LossyLink(17 + i, 2, 2, 0.2) for i, p in enumerate(PLAYERS)}  # relay -> peer
    pending = {p: {} for p in PLAYERS}
    for now in range(300):
        for player in PLAYERS:
            for sender, frame, action in up[player].deliver(now):
                if relay.add(sender, frame, action):
                    other = PLAYERS[1 - PLAYERS.index(sender)]
                    down[other].send(now, (sender, frame, action))
        for player, session in peers.items():
            for sender, frame, action in down[player].deliver(now):
                session.add_remote_input(sender, frame, action)
            if session.frame - session.confirmed <= session.window:
                frame, action = session.add_local_input(scripted(player, session.frame + delay))
                pending[player][frame] = action
            pending[player] = {f: a for f, a in pending[player].items() if f > relay.ack(player)}
            for frame, action in pending[player].items():
                up[player].send(now, (player, frame, action))
            session.advance()
        # The relay resends what a peer may have lost: here, everything the peer has not confirmed yet.
        for player, session in peers.items():
            other = PLAYERS[1 - PLAYERS.index(player)]
            for frame, inputs in relay.frames(session.confirmed + 1):
                down[player].send(now, (other, frame, inputs[other]))
    replay = tag_loop()
    server_rows = [replay.step_frame({p: 0 for p in PLAYERS}) for _ in range(delay)]
    for _, inputs in relay.frames(delay):
        if replay.over:
            break
        server_rows.append(replay.step_frame({p: inputs[p] for p in replay.adapter.live_agents()}))
    a, b = (strip(peers[p].confirmed_rows) for p in PLAYERS)
    shared = min(len(a), len(b), len(server_rows))
    assert shared > 100 and a[:shared] == b[:shared] == server_rows[:shared]


def test_an_env_with_get_state_that_draws_from_the_global_rng_fails_the_self_test():
    import random as global_random

    from examples.gather.env import GatherEnv

    class Sneaky(GatherEnv):
        def step(self, actions):
            self.positions[0, 0] = global_random.randrange(self.size)  # not part of get_state()
            return super().step(actions)

    loop = GameLoop(LoopConfig.from_dict({**TAG, "env": "examples.gather.env:make", "agents": {"player_0": "human"}}))
    loop.adapter.env = Sneaky(players=1)
    loop.start_episode(0, 1)
    snapshotter = Snapshotter(loop.adapter)
    assert snapshotter.explicit
    with pytest.raises(RollbackUnsupported, match="not deterministic"):
        self_test(snapshotter, lambda frame: {"player_0": 1})


def test_a_rollback_that_ends_the_episode_sooner_forgets_the_checksum_of_its_last_frame():
    """The checksum of frame f is taken when frame f + 1 is simulated. A peer that simulated past the real end (the
    partner's ending input predicted wrong) must not keep that frame's checksum from the history it replaced: the
    partner never took one, or took it of another history, and the relay would report a desync that is not one."""
    config = {
        "env": "testkit.envs.end_on_signal:make",
        "agents": {"a": "human", "b": "human"},
        "keys": {"x": 1},
        "default_action": 0,
        "render_mode": None,
    }
    loop = GameLoop(LoopConfig.from_dict(config))
    loop.start_episode(0, 1)
    session = RollbackSession(loop, ["a", "b"], "a", input_delay=0, window=8, predict="default")
    for frame in range(13):  # b's inputs known up to frame 9; frames 10-12 predicted (b goes on)
        session.inputs["a"][frame] = 0
        if frame < 10:
            session.add_remote_input("b", frame, 0)
        session.advance()
    assert session.frame == 13 and 10 in session.hashes  # taken when frame 11 was simulated
    session.add_remote_input("b", 10, 1)  # b had signalled the end at frame 10
    session.advance()
    assert loop.over and session.frame == 11 and session.confirmed == 10
    assert 10 not in session.hashes  # the frame the episode ends on has no checksum, as on a peer that never guessed
