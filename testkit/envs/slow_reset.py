"""Gather whose reset() takes seconds in one browser only: the browser whose worker the test marked
(`self.mugSlowReset`, set through Playwright's worker handle once the first episode runs), like a slow machine
between episodes. Elsewhere (the other browser, the server's replay) it is plain Gather."""

from __future__ import annotations

import time

from examples.gather.env import GatherEnv

SLOW_RESET_S = 6.0


def _marked() -> bool:
    try:
        import js  # Pyodide's view of the worker's global scope (no such module on the server)
    except ImportError:
        return False
    return bool(getattr(js, "mugSlowReset", False))


class SlowReset(GatherEnv):
    def reset(self, seed=None, options=None):
        if _marked():
            end = time.perf_counter() + SLOW_RESET_S  # busy: Pyodide's worker cannot sleep
            while time.perf_counter() < end:
                pass
        return super().reset(seed=seed, options=options)


def make(**kwargs) -> SlowReset:
    return SlowReset(**kwargs)
