"""Gather whose reset() raises in the browser only (the server's pre-flight passes, as when a browser lacks a file
the env reads): a group game that cannot start (tests/browser/test_netplay_failures_browser.py)."""

import sys

from examples.gather.env import GatherEnv


class ResetCrash(GatherEnv):
    def reset(self, seed=None, options=None):
        if sys.platform == "emscripten":
            raise RuntimeError("the level file is missing in this browser")
        return super().reset(seed=seed, options=options)


def make(**kwargs) -> ResetCrash:
    return ResetCrash(**kwargs)
