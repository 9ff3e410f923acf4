"""Matchers: which waiting participants form the next group. Plain Python, no database, no socket.

A matcher sees the present (connected, recently seen, unmatched) candidates of one room in arrival order
and returns the members of one group, or None. Researchers can subclass `Matcher`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    participant_id: int
    waited_s: float
    rtt_ms: float | None = None  # measured round trip to the server (median of recent pings)
    previous_partners: frozenset[int] = field(default_factory=frozenset)  # for GroupReunion


class Matcher:
    """Base class: override `find_group`. `name` is recorded with every match."""

    name = "custom"

    def find_group(self, candidates: list[Candidate], size: int) -> list[Candidate] | None:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"matcher": self.name}


class FIFO(Matcher):
    """The longest-waiting participants, in arrival order."""

    name = "fifo"

    def find_group(self, candidates: list[Candidate], size: int) -> list[Candidate] | None:
        return candidates[:size] if len(candidates) >= size else None


@dataclass
class LatencyAware(Matcher):
    """Only participants whose round trip to the server is at most `max_server_rtt_ms`; optionally, every pair
    in the group under `max_pair_rtt_ms` (a pair's latency estimated as the sum of their server round trips,
    the path their inputs take through the relay). Longest-waiting first."""

    max_server_rtt_ms: float = 250.0
    max_pair_rtt_ms: float | None = None
    name = "latency"

    def find_group(self, candidates: list[Candidate], size: int) -> list[Candidate] | None:
        fast = [c for c in candidates if c.rtt_ms is not None and c.rtt_ms <= self.max_server_rtt_ms]
        for anchor_index, anchor in enumerate(fast):
            group = [anchor]
            for other in fast[anchor_index + 1 :]:
                if all(self._pair_ok(other, member) for member in group):
                    group.append(other)
                if len(group) == size:
                    return group
        return None

    def _pair_ok(self, a: Candidate, b: Candidate) -> bool:
        return self.max_pair_rtt_ms is None or a.rtt_ms + b.rtt_ms <= self.max_pair_rtt_ms

    def describe(self) -> dict:
        return {
            "matcher": self.name,
            "max_server_rtt_ms": self.max_server_rtt_ms,
            "max_pair_rtt_ms": self.max_pair_rtt_ms,
        }


@dataclass
class GroupReunion(Matcher):
    """The same partners as in the match of scene `source_scene`; a participant whose earlier partners have not
    all arrived within `fallback_after_s` is matched by `fallback` (None: keeps waiting until the timeout)."""

    source_scene: str
    fallback: Matcher | None = field(default_factory=FIFO)
    fallback_after_s: float = 30.0
    name = "reunion"

    def find_group(self, candidates: list[Candidate], size: int) -> list[Candidate] | None:
        by_id = {c.participant_id: c for c in candidates}
        for candidate in candidates:
            partners = candidate.previous_partners
            if len(partners) == size - 1 and partners <= by_id.keys():
                group = [candidate, *(by_id[p] for p in partners)]
                if all(member.previous_partners == _others(member, group) for member in group):
                    return group
        if self.fallback is None:
            return None
        # Only those who waited long enough for their partners, or who have none to wait for, fall back.
        eligible = [c for c in candidates if c.waited_s >= self.fallback_after_s or not c.previous_partners]
        return self.fallback.find_group(eligible, size)

    def describe(self) -> dict:
        fallback = self.fallback.describe() if self.fallback else None
        return {"matcher": self.name, "source_scene": self.source_scene, "fallback": fallback}


def _others(member: Candidate, group: list[Candidate]) -> frozenset[int]:
    return frozenset(c.participant_id for c in group if c is not member)
