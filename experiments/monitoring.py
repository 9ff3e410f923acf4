"""Continuous monitoring during play: a tab hidden too long, or no input for too long, warns then excludes.
Plain Python over what the server recorded (when the page said it was hidden, when it last saw input).

The page reports; the server keeps the times and decides. A page can hide its absence by lying, which only
avoids an exclusion: it never earns a code or reopens a slot.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from experiments.errors import DefinitionError

logger = logging.getLogger(__name__)
OK, WARN, EXCLUDE = "ok", "warn", "exclude"


@dataclass(frozen=True)
class Monitoring:
    """Thresholds in seconds (None turns a rule off); `check`: "module:function(state) -> reason or None" excludes
    on its own verdict. Applies while a game scene is being played."""

    hidden_warn_s: float | None = 5.0
    hidden_exclude_s: float | None = 60.0
    inactive_warn_s: float | None = None
    inactive_exclude_s: float | None = None
    check: str | None = None

    def prepare(self, slug: str) -> None:
        for rule in ("hidden", "inactive"):
            warn, exclude = getattr(self, f"{rule}_warn_s"), getattr(self, f"{rule}_exclude_s")
            if warn is not None and exclude is not None and not 0 < warn < exclude:
                raise DefinitionError(f"experiment {slug!r}: monitoring needs 0 < {rule}_warn_s < {rule}_exclude_s")
        if self.check is not None:
            module, _, name = self.check.partition(":")
            try:
                getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError) as error:
                raise DefinitionError(f"experiment {slug!r}: monitoring check {self.check!r}: {error}") from error

    def client(self) -> dict[str, Any]:
        return {"hidden_warn_s": self.hidden_warn_s, "inactive_warn_s": self.inactive_warn_s}

    def verdict(self, *, hidden_for: float | None, inactive_for: float, state: dict[str, Any]) -> tuple[str, str]:
        """(ok | warn | exclude, reason) for the participant's present state."""
        if hidden_for is not None:
            found = _level(hidden_for, self.hidden_warn_s, self.hidden_exclude_s)
            if found != OK:
                return found, f"the study's tab was hidden for {hidden_for:.0f} s"
        found = _level(inactive_for, self.inactive_warn_s, self.inactive_exclude_s)
        if found != OK:
            return found, f"no input for {inactive_for:.0f} s"
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


def _level(seconds: float, warn: float | None, exclude: float | None) -> str:
    if exclude is not None and seconds >= exclude:
        return EXCLUDE
    if warn is not None and seconds >= warn:
        return WARN
    return OK


def seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())
