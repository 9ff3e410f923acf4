"""Fixtures for tests that attack a real server from outside."""

from __future__ import annotations

import pytest

from tests.fixture_experiments import PATHS
from tests.servers import production_daphne


@pytest.fixture
def prod_server(tmp_path, transactional_db):
    """A production-like Daphne (DEBUG off, real SECRET_KEY, in-memory layer) on the test database; yields its
    DaphneProcess (`.url`, `.port`). Talk to it only with plain HTTP/WebSocket clients."""
    with production_daphne(tmp_path, PATHS) as server:
        yield server
