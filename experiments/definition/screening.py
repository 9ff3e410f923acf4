"""Entry screening, configured per experiment and run before the first scene: device, browser, window size,
WebAssembly, round trip to the server, and a researcher callback. Plain Python rules over measurements.

What the browser reports can be forged; so a failed screen never earns more than the `screened_out` ending
(no code by default), and the round trip is measured by the server itself (the time between handing out a
signed timestamp and getting it back, which a browser can only lengthen).
"""

from __future__ import annotations

import importlib
import logging
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from experiments.definition.errors import DefinitionError

DEVICES = ("desktop", "mobile", "tablet")
BROWSERS = ("Edge", "Opera", "Firefox", "Chrome", "Safari")  # checked in this order: Edge and Opera say Chrome too
MIN_PINGS = 3
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Screening:
    """Rules a participant must pass before the study starts; None or empty turns a rule off.

    `devices`: allowed device types ("desktop", "mobile", "tablet"). `browsers_allow` / `browsers_block`:
    browser families ("Chrome", "Firefox", "Safari", "Edge", "Opera"). `min_width`/`min_height`: the window's
    inner size in CSS pixels. `max_rtt_ms`: the median round trip of `pings` (at least 3) server-measured pings.
    `check`: "module:function" called with the measurements; it returns None to pass, or the reason to fail.
    `runtime_check`: the study's first in-browser game loads (Pyodide) and steps `runtime_frames` frames back to
    back; their 95th percentile must stay under `max_step_ms` (the frame's Python call: step, render, data).
    """

    devices: tuple[str, ...] | list[str] | None = None
    browsers_allow: tuple[str, ...] | list[str] | None = None
    browsers_block: tuple[str, ...] | list[str] = ()
    min_width: int | None = None
    min_height: int | None = None
    require_webassembly: bool = True
    max_rtt_ms: float | None = None
    pings: int = 7
    check: str | None = None
    runtime_check: bool = False
    max_step_ms: float = 10.0
    runtime_frames: int = 60
    runtime_timeout_s: int = 120
    message: str = field(default="Sorry, this study cannot run on your device or connection.")

    def prepare(self, slug: str) -> None:
        where = f"experiment {slug!r}: screening"
        if self.devices is not None and (not self.devices or set(self.devices) - set(DEVICES)):
            raise DefinitionError(f"{where}: devices must be some of {DEVICES}")
        for browsers in (self.browsers_allow or (), self.browsers_block):
            if set(browsers) - set(BROWSERS):
                raise DefinitionError(f"{where}: browsers must be some of {BROWSERS}")
        if not MIN_PINGS <= self.pings <= 20:
            raise DefinitionError(f"{where}: pings must be between {MIN_PINGS} and 20")
        if self.check is not None:
            self._callback(where)

    def _callback(self, where: str = "screening"):
        module, _, name = (self.check or "").partition(":")
        try:
            function = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as error:
            raise DefinitionError(f"{where}: check {self.check!r} cannot be imported ({error})") from error
        if not callable(function):
            raise DefinitionError(f"{where}: check {self.check!r} is not callable")
        return function

    def client(self) -> dict[str, Any]:
        """What the page needs to measure."""
        return {"pings": self.pings if self.max_rtt_ms is not None else 0}

    def evaluate(self, measurements: dict[str, Any]) -> list[str]:
        """The reasons this participant fails (empty: they pass)."""
        reasons = []
        device, browser = measurements["device"], measurements["browser"]
        if self.devices is not None and device not in self.devices:
            reasons.append(f"device {device} is not allowed")
        if self.browsers_allow and browser not in self.browsers_allow:
            reasons.append(f"browser {browser} is not allowed")
        if browser in self.browsers_block:
            reasons.append(f"browser {browser} is blocked")
        width, height = measurements.get("width"), measurements.get("height")
        if self.min_width and (width is None or width < self.min_width):
            reasons.append(f"window width {width} < {self.min_width}")
        if self.min_height and (height is None or height < self.min_height):
            reasons.append(f"window height {height} < {self.min_height}")
        if self.require_webassembly and not measurements.get("webassembly"):
            reasons.append("no WebAssembly")
        if self.max_rtt_ms is not None:
            reasons += _rtt_problems(measurements.get("rtt_ms", []), self.max_rtt_ms)
        if self.runtime_check:
            reasons += self._runtime_problems(measurements.get("runtime") or {})
        if self.check is not None and not reasons:
            reasons += self._researcher_check(measurements)
        return reasons

    def _runtime_problems(self, runtime: dict[str, Any]) -> list[str]:
        if not runtime.get("loaded"):
            return [f"the game could not run in this browser: {runtime.get('error') or 'no report'}"]
        p95 = runtime.get("step_ms_p95")
        if p95 is None or p95 > self.max_step_ms:
            return [f"game frames take {p95} ms (95th percentile) > {self.max_step_ms} ms"]
        return []

    def _researcher_check(self, measurements: dict[str, Any]) -> list[str]:
        try:
            verdict = self._callback()(dict(measurements))
        except Exception:  # a broken callback must not strand participants: it is logged and they pass
            logger.exception("screening check %s failed", self.check)
            return []
        return [str(verdict)[:200]] if verdict else []


def _rtt_problems(samples: list[float], limit: float) -> list[str]:
    if len(samples) < MIN_PINGS:
        return [f"only {len(samples)} round trips measured (at least {MIN_PINGS} needed)"]
    median = statistics.median(samples)
    return [f"median round trip {median:.0f} ms > {limit:.0f} ms"] if median > limit else []


def device_of(user_agent: str, touch_points: Any = 0) -> str:
    """desktop, mobile or tablet, from the User-Agent (iPadOS says Macintosh, but has touch points)."""
    agent = user_agent or ""
    if re.search(r"iPad|Tablet|PlayBook|Silk|Android(?!.*Mobile)", agent):
        return "tablet"
    if re.search(r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone", agent):
        return "mobile"
    if "Macintosh" in agent and isinstance(touch_points, int) and touch_points > 1:
        return "tablet"
    return "desktop"


def browser_of(user_agent: str) -> str:
    """The browser family from the User-Agent ("other" when none is recognised)."""
    agent = user_agent or ""
    patterns = {
        "Edge": r"Edg/|Edge/",
        "Opera": r"OPR/|Opera",
        "Firefox": r"Firefox/|FxiOS",
        "Chrome": r"Chrome/|CriOS|Chromium/",
        "Safari": r"Safari/",
    }
    return next((name for name in BROWSERS if re.search(patterns[name], agent)), "other")
