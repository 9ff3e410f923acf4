"""The suite's own bookkeeping: every test module that conftest.py names by its last name still exists."""

from __future__ import annotations

from pathlib import Path

from conftest import DB_SEMANTICS, SYSTEM

TESTS = Path(__file__).resolve().parent


def test_every_module_conftest_names_exists():
    modules = {path.stem for path in TESTS.rglob("test_*.py")}
    named = {name.split("::", 1)[0] for name in DB_SEMANTICS | SYSTEM}
    assert named - modules == set()
