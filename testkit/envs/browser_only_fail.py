"""An env that works natively but not in Pyodide: it imports sqlite3, which Pyodide keeps out of its standard library
until loaded (`manage.py check` must refuse it when it pre-flights in Pyodide)."""

from __future__ import annotations

import sqlite3

from testkit.envs.rgb_only import RgbOnlyEnv


class ScoreboardEnv(RgbOnlyEnv):
    def __init__(self, render_mode=None):
        super().__init__(render_mode=render_mode)
        self.db = sqlite3.connect(":memory:")

    def close(self):
        self.db.close()
