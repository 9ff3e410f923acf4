"""Gather whose state diverges once in one browser only: the browser whose worker the test marked (`self.mugDiverge`,
set through Playwright's worker handle) miscounts its steps at step 40. The counter is part of get_state() (so the
checksums differ and the relay's referee resyncs that browser) but not of the rows, which must stay identical to the
server's replay. The server's referee has no `js` module: it never diverges."""

from __future__ import annotations

from examples.gather.env import GatherEnv

DIVERGE_AT = 40


def _marked() -> bool:
    try:
        import js  # Pyodide's view of the worker's global scope (no such module on the server)
    except ImportError:
        return False
    return bool(getattr(js, "mugDiverge", False))


class DivergeOnce(GatherEnv):
    def reset(self, seed=None, options=None):
        self.steps = 0
        return super().reset(seed=seed, options=options)

    def step(self, actions):
        result = super().step(actions)
        self.steps += 1
        # Every simulation of step 40 in the marked browser: a rollback replaying it diverges the same way, and after
        # the resync (at a later confirmed frame) step 40 is never simulated again in this episode.
        if self.steps == DIVERGE_AT and _marked():
            self.steps += 1000
        return result

    def get_state(self) -> tuple:
        return (*super().get_state(), self.steps)

    def set_state(self, state: tuple) -> None:
        *inner, self.steps = state
        super().set_state(tuple(inner))


def make(**kwargs) -> DivergeOnce:
    env = DivergeOnce(**kwargs)
    env.steps = 0
    return env
