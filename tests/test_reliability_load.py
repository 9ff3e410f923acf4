"""Thirty participants at once through a whole study on one Daphne process: no errors, every record complete."""

# The same clients and checks as bench/load_participants.py (which runs 200): each participant speaks the real
# protocol over loopback (pages with CSRF, consent, two single-player games uploaded in chunks at 30 fps, a survey,
# the completion code read twice); then the database must hold every participant completed, every episode complete
# with each of its steps once, the survey's answers and one code each, the one that was shown.

from __future__ import annotations

import os

import pytest

from bench.load_participants import check_records, run_load, summarize
from tests.fixture_experiments import PATHS
from tests.servers import DaphneProcess, database_env

pytestmark = pytest.mark.django_db(transaction=True)


def test_thirty_participants_at_once_all_finish_with_every_record_complete(tmp_path):
    # Few slots and (on PostgreSQL) a small pool, so requests queue for both as under a real burst.
    env = {**os.environ, "DEBUG": "0", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join(PATHS), **database_env(),
           "MUG_HTTP_CONCURRENCY": "4", "DB_POOL_SIZE": "3"}  # fmt: skip
    daphne = DaphneProcess(env, tmp_path)
    try:
        outcomes = run_load(daphne.url, participants=30, arrival_s=2.0, fps=30.0)
    finally:
        daphne.stop()
    report = summarize(outcomes)
    assert report["errors"] == 0, report["error_samples"]
    assert check_records(outcomes) == []
    assert report["rows"] == 30 * 2 * 150  # every participant's two episodes, every frame
