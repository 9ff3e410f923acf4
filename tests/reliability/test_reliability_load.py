"""Participants at once through a whole study on one Daphne process: no errors, every record complete."""

# The same clients and checks as bench/load_participants.py: each participant speaks the real protocol over loopback
# (pages with CSRF, consent, two single-player games uploaded in chunks at 30 fps, a survey, the completion code read
# twice); then the database must hold every participant completed, every episode complete with each of its steps
# once, the survey's answers and one code each, the one that was shown. 200 arriving within 5 s is more than one
# process serves at once (they queue: tens of seconds end to end, none lost); 30 with four HTTP threads and a
# three-connection pool (PostgreSQL) makes every request queue for both.

from __future__ import annotations

import os

import pytest

from testkit.fixture_experiments import PATHS
from testkit.participants import check_records, run_load, summarize
from testkit.servers import PRODUCTION_SECRET_KEY, DaphneProcess, database_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("participants", "arrival_s", "server_env"),
    [(30, 2.0, {"MUG_HTTP_CONCURRENCY": "4", "DB_POOL_SIZE": "3"}), (200, 5.0, {"DB_POOL_SIZE": "10"})],
    ids=["30-queued", "200"],
)
def test_participants_at_once_all_finish_with_every_record_complete(tmp_path, participants, arrival_s, server_env):
    env = {
        **os.environ,
        "DEBUG": "0",
        "REDIS_URL": "",
        "MUG_EXPERIMENTS": ",".join(PATHS),
        **database_env(),
        "SECRET_KEY": PRODUCTION_SECRET_KEY,
        **server_env,
    }
    daphne = DaphneProcess(env, tmp_path)
    try:
        outcomes = run_load(daphne.url, participants=participants, arrival_s=arrival_s, fps=30.0)
    finally:
        daphne.stop()
    report = summarize(outcomes)
    assert report["errors"] == 0, report["error_samples"]
    assert check_records(outcomes) == []
    assert report["rows"] == participants * 2 * 150  # every participant's two episodes, every frame
