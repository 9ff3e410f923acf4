"""An env that raises in reset() in the browser only (as one that needs something Pyodide lacks): the server's load
check passes, and a single-player scene must end with the error outcome at once."""

from __future__ import annotations

import sys

from testkit.envs.crash import CrashEnv


class ResetCrashEnv(CrashEnv):
    def reset(self, *, seed=None, options=None):
        if sys.platform == "emscripten":
            raise RuntimeError("the simulator could not start (reset failed)")
        return super().reset(seed=seed, options=options)


def make(**kwargs) -> ResetCrashEnv:
    return ResetCrashEnv(**kwargs)
