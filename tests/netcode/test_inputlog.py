"""The relay's input log without a socket: first write wins, confirmation, acks, resync and refusals."""

from __future__ import annotations

import pytest

from netcode.input_rules import InputLog, InputRefused


def test_a_frame_is_confirmed_once_every_player_sent_it_and_everything_before():
    log = InputLog(["a", "b"], first_frame=2)
    assert log.add("a", 2, 1) and log.add("a", 3, 1) and log.add("b", 3, 4)
    assert log.confirmed == 1 and log.newly_confirmed() == []  # b's frame 2 is missing
    assert log.add("b", 2, 0)
    assert log.confirmed == 3
    assert log.newly_confirmed() == [(2, {"a": 1, "b": 0}), (3, {"a": 1, "b": 4})]
    assert log.newly_confirmed() == []  # handed out once


def test_the_first_write_wins_and_a_resend_is_harmless():
    log = InputLog(["a", "b"])
    assert log.add("a", 0, 3)
    assert not log.add("a", 0, 4)  # a resend (or a forgery) of a known frame changes nothing
    log.add("b", 0, 1)
    assert log.frames(0) == [(0, {"a": 3, "b": 1})]


def test_acks_count_only_gapless_frames_so_clients_resend_the_rest():
    log = InputLog(["a"])
    for frame in (0, 1, 3, 4):
        log.add("a", frame, 0)
    assert log.ack("a") == 1
    log.add("a", 2, 0)
    assert log.ack("a") == 4 and log.confirmed == 4


def test_a_reconnecting_peer_is_resynced_from_any_frame():
    log = InputLog(["a", "b"])
    for frame in range(6):
        log.add("a", frame, frame)
        log.add("b", frame, -frame)
    assert [frame for frame, _ in log.frames(3)] == [3, 4, 5]
    assert log.frames(4, 4) == [(4, {"a": 4, "b": -4})]


@pytest.mark.parametrize(
    ("player", "frame", "message"),
    [
        ("c", 0, "'c' is not a player"),
        ("a", -1, "not a frame of this game"),
        ("a", "7", "not a frame of this game"),
        ("a", True, "not a frame of this game"),
        ("a", 500, "too far ahead of the confirmed frame -1"),
    ],
)
def test_bad_inputs_are_refused_and_change_nothing(player, frame, message):
    log = InputLog(["a", "b"])
    with pytest.raises(InputRefused, match=message):
        log.add(player, frame, 1)
    assert log.inputs == {"a": {}, "b": {}} and log.confirmed == -1


def test_frames_before_the_first_are_not_part_of_a_resync():
    log = InputLog(["a"], first_frame=2)
    log.add("a", 2, 5)
    assert log.frames(0) == [(2, {"a": 5})]
