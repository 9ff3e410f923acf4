"""Matchers in isolation: ordering, latency thresholds, reunion and its fallback, a researcher's own."""

from __future__ import annotations

from experiments.definition.matchers import FIFO, Candidate, GroupReunion, LatencyAware, Matcher


def people(*rtts, waited=None, partners=None) -> list[Candidate]:
    partners = partners or {}
    return [
        Candidate(i, waited[i] if waited else 100 - i, rtt, frozenset(partners.get(i, ())))
        for i, rtt in enumerate(rtts)
    ]


def ids(group) -> list[int] | None:
    return None if group is None else [c.participant_id for c in group]


def test_fifo_takes_the_longest_waiting_in_order():
    assert ids(FIFO().find_group(people(1, 2, 3, 4, 5), 4)) == [0, 1, 2, 3]
    assert FIFO().find_group(people(1), 2) is None


def test_latency_aware_skips_slow_and_unmeasured_participants():
    matcher = LatencyAware(max_server_rtt_ms=100)
    assert ids(matcher.find_group(people(300, 50, None, 80), 2)) == [1, 3]
    assert matcher.find_group(people(300, 50, None), 2) is None


def test_latency_aware_checks_every_pair_under_the_pair_threshold():
    matcher = LatencyAware(max_server_rtt_ms=200, max_pair_rtt_ms=150)
    # 0 (120 ms) fits nobody; 1 and 3 (40 + 90) fit; 2 (150) fits nobody either.
    assert ids(matcher.find_group(people(120, 40, 150, 90), 2)) == [1, 3]
    # With 30 and 20 ms players around, the longest-waiting 0 gets a group: 120+30, 120+20, 30+20 <= 150.
    assert ids(matcher.find_group(people(120, 40, 150, 90, 30, 20), 3)) == [0, 4, 5]


def test_reunion_rebuilds_earlier_groups_before_anyone_else():
    partners = {0: {3}, 3: {0}, 1: {2}, 2: {1}}
    waited = {0: 10, 1: 9, 2: 8, 3: 1}
    assert ids(GroupReunion("pair").find_group(people(1, 1, 1, 1, waited=waited, partners=partners), 2)) == [0, 3]


def test_reunion_falls_back_only_for_those_who_waited_long_enough():
    partners = {0: {7}, 1: {8}, 2: set()}  # 7 and 8 are not here (yet)
    fresh = people(1, 1, 1, waited={0: 5, 1: 5, 2: 5}, partners=partners)
    matcher = GroupReunion("pair", fallback_after_s=30)
    assert matcher.find_group(fresh, 2) is None  # only 2 (no earlier partner) may fall back: not enough
    patient = people(1, 1, 1, waited={0: 31, 1: 5, 2: 5}, partners=partners)
    assert ids(matcher.find_group(patient, 2)) == [0, 2]
    assert GroupReunion("pair", fallback=None).find_group(patient, 2) is None


def test_a_reunion_needs_both_sides_to_agree():
    # 0 remembers 1, but 1 was matched with someone else since: no reunion, and FIFO only after the wait.
    partners = {0: {1}, 1: {5}}
    assert GroupReunion("pair").find_group(people(1, 1, waited={0: 3, 1: 3}, partners=partners), 2) is None


def test_a_researchers_matcher_plugs_in():
    class Evens(Matcher):
        name = "evens"

        def find_group(self, candidates, size):
            evens = [c for c in candidates if c.participant_id % 2 == 0]
            return evens[:size] if len(evens) >= size else None

    assert ids(Evens().find_group(people(1, 1, 1, 1, 1), 3)) == [0, 2, 4]
    assert Evens().describe() == {"matcher": "evens"}
