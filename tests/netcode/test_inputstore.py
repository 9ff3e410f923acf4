"""The relay's group commit without a socket: a batch of input messages from several seats is stored in one
transaction, first write wins, each message gets its own result (a refusal fails only its own message), gaps
are acknowledged only once filled, and a checksum earlier in the same batch is compared against."""

from __future__ import annotations

import pytest

from netcode.input_rules import InputRefused
from netcode.input_store import game_inputs_store
from netcode.models import GameEvent, GameSeat
from testkit.inputrows import entry, seats, stored

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_batch_of_several_seats_is_stored_once_first_write_wins():
    a, b = seats()
    results = game_inputs_store(
        [
            entry(a, [[2, 1], [3, 1]]),
            entry(b, [[2, 2]]),
            entry(a, [[3, 4], [4, 1]]),  # frame 3 again with another action: the first stands, only 4 is new
            entry(b, [[2, 3], [3, 2]]),
        ]
    )
    assert [r.new for r in results] == [[(2, 1), (3, 1)], [(2, 2)], [(4, 1)], [(3, 2)]]
    assert [r.ack for r in results] == [3, 2, 4, 3]
    assert stored() == {("chaser", 2): 1, ("chaser", 3): 1, ("chaser", 4): 1, ("runner", 2): 2, ("runner", 3): 2}
    assert dict(GameSeat.objects.values_list("agent", "acked")) == {"chaser": 4, "runner": 3}


def test_a_refused_message_fails_alone_and_stores_nothing_of_its_own():
    a, b = seats()
    results = game_inputs_store(
        [
            entry(a, [[2, 1]]),
            entry(b, [[2, 99]]),  # not an action of this game
            entry(b, "nonsense"),
            entry(a, [[3, 1]], episode=5),  # a late message about another episode: nothing, no error
        ]
    )
    assert results[0].new == [(2, 1)] and results[3].new == [] and results[3].refused is None
    assert all(isinstance(r.refused, InputRefused) for r in results[1:3])
    assert stored() == {("chaser", 2): 1}


def test_a_gap_is_acknowledged_only_once_it_is_filled():
    a, _ = seats()
    (first,) = game_inputs_store([entry(a, [[2, 1], [5, 1]])])
    assert first.ack == 2 and first.new == [(2, 1), (5, 1)]
    (again,) = game_inputs_store([entry(a, [[3, 1], [4, 1], [5, 2]])])  # 5 is stored already: not new
    assert again.ack == 5 and again.new == [(3, 1), (4, 1)] and stored()[("chaser", 5)] == 1


def test_checksums_in_one_batch_are_compared_with_each_other():
    a, b = seats()
    game_inputs_store([entry(a, [[f, 1] for f in range(2, 12)]), entry(b, [[f, 2] for f in range(2, 12)])])
    results = game_inputs_store([entry(a, [], checksums=[[10, "aa"]]), entry(b, [], checksums=[[10, "bb"]])])
    assert results[1].desynced == [10] and GameEvent.objects.filter(kind="desync", frame=10).count() == 1
