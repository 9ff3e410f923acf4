"""Continuous monitoring during play: a tab hidden too long, no input for too long, or a connection that stays
slow warns then excludes. Plain Python over what the server recorded (when the page said it was hidden, when it
last saw input, the round trips it timed itself on the game's socket).

The page reports; the server keeps the times and decides. A page can hide its absence by lying, which only
avoids an exclusion: it never earns a code or reopens a slot.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from experiments.definition.errors import DefinitionError

logger = logging.getLogger(__name__)
OK, WARN, EXCLUDE = "ok", "warn", "exclude"


@dataclass(frozen=True)
class Monitoring:
    """Thresholds in seconds (None turns a rule off); `check`: "module:function(state) -> reason or None" excludes
    on its own verdict. Applies while a game scene is being played.

    Latency (games over a socket: multi-human and server-side games, where it shapes play): the round trip the
    server times on the game's socket; at or over `latency_warn_ms` warns; at or over `latency_exclude_ms` at every
    report for `latency_for_s` seconds excludes (a short spike does not)."""

    hidden_warn_s: float | None = 5.0
    hidden_exclude_s: float | None = 60.0
    inactive_warn_s: float | None = None
    inactive_exclude_s: float | None = None
    latency_warn_ms: float | None = None
    latency_exclude_ms: float | None = None
    latency_for_s: float = 10.0
    check: str | None = None

    def prepare(self, slug: str) -> None:
        for rule, unit in (("hidden", "s"), ("inactive", "s"), ("latency", "ms")):
            warn, exclude = getattr(self, f"{rule}_warn_{unit}"), getattr(self, f"{rule}_exclude_{unit}")
            if warn is not None and exclude is not None and not 0 < warn < exclude:
                raise DefinitionError(
                    f"experiment {slug!r}: monitoring needs 0 < {rule}_warn_{unit} < {rule}_exclude_{unit}"
                )
        if not self.latency_for_s > 0:
            raise DefinitionError(f"experiment {slug!r}: monitoring needs latency_for_s > 0")
        if self.check is not None:
            module, _, name = self.check.partition(":")
            try:
                getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError) as error:
                raise DefinitionError(f"experiment {slug!r}: monitoring check {self.check!r}: {error}") from error

    def client(self) -> dict[str, Any]:
        return {"hidden_warn_s": self.hidden_warn_s, "inactive_warn_s": self.inactive_warn_s}

    def verdict(self, *, hidden_for: float | None, inactive_for: float, state: dict[str, Any]) -> tuple[str, str]:
        """(ok | warn | exclude, reason) for the participant's present state; `state` has the latency reading
        ("rtt_ms", None when there is none) and how long it has been at or over the exclusion level ("slow_for")."""
        if hidden_for is not None:
            found = _level(hidden_for, self.hidden_warn_s, self.hidden_exclude_s)
            if found != OK:
                return found, f"the study's tab was hidden for {hidden_for:.0f} s"
        found = _level(inactive_for, self.inactive_warn_s, self.inactive_exclude_s)
        if found != OK:
            return found, f"no input for {inactive_for:.0f} s"
        found = self._latency(state.get("rtt_ms"), state.get("slow_for"))
        if found != OK:
            return found, f"a slow connection ({state['rtt_ms']:.0f} ms round trips)"
        if self.check is not None:
            module, _, name = self.check.partition(":")
            try:
                reason = getattr(importlib.import_module(module), name)(dict(state))
            except Exception:  # a broken callback must not exclude anyone
                logger.exception("monitoring check %s failed", self.check)
                return OK, ""
            if reason:
                return EXCLUDE, str(reason)[:200]
        return OK, ""

    def is_slow(self, rtt_ms: float | None) -> bool:
        """At or over the exclusion level (the time it stays there is counted)."""
        return rtt_ms is not None and self.latency_exclude_ms is not None and rtt_ms >= self.latency_exclude_ms

    def _latency(self, rtt_ms: float | None, slow_for: float | None) -> str:
        if rtt_ms is None:
            return OK
        if self.is_slow(rtt_ms) and slow_for is not None and slow_for >= self.latency_for_s:
            return EXCLUDE
        over_warning = self.latency_warn_ms is not None and rtt_ms >= self.latency_warn_ms
        return WARN if over_warning or self.is_slow(rtt_ms) else OK


def _level(seconds: float, warn: float | None, exclude: float | None) -> str:
    if exclude is not None and seconds >= exclude:
        return EXCLUDE
    if warn is not None and seconds >= warn:
        return WARN
    return OK


def seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())
