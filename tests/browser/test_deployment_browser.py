"""Real Chromium through the deployment recipe (deploy/): nginx serving collectstatic's files and routing sockets,
two production workers and Redis, on loopback. Two participants' pages play a group game whose sockets go to the
worker their match names; that worker is killed mid-game; the pages give up on it, reach the game through nginx on
the other worker, which takes it over, and finish. Every stored row equals the server's replay of the input log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import ExitStack

import pytest
from django.conf import settings

from deploy.local import ROOT, local_deployment
from matchmaking.models import Match
from testkit.browsers import guarded_context
from testkit.fixture_experiments import PATHS
from testkit.netpages import assert_rows_replayed, ending, join, playing
from testkit.servers import poll_until, production_env, redis_server

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SLUG = "net-reliable"  # Gather for two: two 8 s episodes; a partner may be away for 30 s


@pytest.fixture
def deployment(tmp_path):
    static_root = tmp_path / "static"
    with redis_server() as redis_url:
        env = production_env(PATHS, REDIS_URL=redis_url, STATIC_ROOT=str(static_root))
        env.update(MUG_PYODIDE_URL="/static/pyodide/", MUG_PYODIDE_DIR=str(settings.MUG_RUNTIME["PYODIDE_DIR"]))
        command = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", "--ignore", "ort*"]
        subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=600)  # as the recipe does at each deploy
        with local_deployment(2, env, tmp_path / "deploy", static_root=static_root) as running:
            yield running


def game_sockets(access_log: str) -> list[tuple[str, str]]:
    """(route, status) of each game socket nginx passed on, in order: route is the worker named, or "" for any."""
    pattern = re.compile(r'"GET /x/' + SLUG + r'/(?:w/([a-z0-9-]+)/)?ws/game/ HTTP/1\.1" (\d{3})')
    return [(m.group(1) or "", m.group(2)) for m in pattern.finditer(access_log)]


def test_pages_play_on_their_host_and_follow_the_game_when_that_worker_dies(playwright_instance, deployment):
    with ExitStack() as stack:
        pages = []
        for index in range(2):
            context = stack.enter_context(guarded_context(playwright_instance))
            pages.append(join(context, deployment.url, SLUG, f"d{index}", seed=3 + index))
        for page in pages:
            playing(page, 60)
        host = Match.objects.get(status="confirmed").host
        assert {page.evaluate("() => window.mugGame.match.host") for page in pages} == {host}
        # Every game socket so far (the page's holding socket and its worker's) went to the host, by name.
        assert {route for route, _ in game_sockets(deployment.access_log())} == {host}
        deployment.workers[host].kill()  # SIGKILL: no disconnect handler runs
        survivor = next(name for name in deployment.workers if name != host)
        poll_until(lambda: Match.objects.get(status="confirmed").host == survivor, timeout=120)
        for page in pages:
            assert ending(page)
    assert_rows_replayed(SLUG, players=2, episodes=2)
    sockets = game_sockets(deployment.access_log())
    assert (host, "502") in sockets  # the dead host was tried, given up on,
    assert ("", "101") in sockets  # any worker was reached through nginx,
    assert sockets[-1] in {(survivor, "101"), ("", "101")}  # and the game went on there
    assert os.path.exists(deployment.run_dir / "nginx-access.log")
