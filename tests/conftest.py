"""Fixtures for tests that attack a real server from outside."""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import connection

from testkit.fixture_experiments import PATHS
from testkit.servers import production_daphne


@pytest.fixture
def prod_server(tmp_path, transactional_db):
    """A production-like Daphne (DEBUG off, real SECRET_KEY, in-memory layer) on the test database; yields its
    DaphneProcess (`.url`, `.port`). Talk to it only with plain HTTP/WebSocket clients."""
    with production_daphne(tmp_path, PATHS) as server:
        yield server


@pytest.fixture
def needs_postgres():
    """Skips the test on SQLite (bin/test runs it in its PostgreSQL pass), or fails it there under
    MUG_REQUIRE_POSTGRES."""
    if connection.vendor != "postgresql":
        if os.environ.get("MUG_REQUIRE_POSTGRES"):
            pytest.fail("MUG_REQUIRE_POSTGRES is set but DATABASE_URL does not point at PostgreSQL")
        pytest.skip("set DATABASE_URL to a PostgreSQL database (bin/test does)")


@pytest.fixture(autouse=True)
def own_game_slots(settings, tmp_path_factory):
    """Each test has the machine's server-game slots to itself (netcode/server/slots.py): a host an earlier test left
    running in this process does not make a later one's game wait. The cap itself: test_server_game_limits.py."""
    settings.MUG_SERVER_GAME_SLOTS_DIR = str(tmp_path_factory.getbasetemp() / f"slots-{uuid.uuid4().hex}")


def _cost_rank(item) -> int:
    return 0 if item.get_closest_marker("browser") else 1 if item.get_closest_marker("system") else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """bin/test hands whole modules to pytest-xdist workers in collection order: the long real-browser and system
    modules go first, so no long module starts last and runs alone (a stable sort keeps the order within each)."""
    items.sort(key=_cost_rank)
