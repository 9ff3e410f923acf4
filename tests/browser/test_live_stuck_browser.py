"""The live monitor sees the unlucky: a participant whose Python never loads (pyodide.asm.wasm blocked) is listed as
stuck on the game scene with how long; a game whose players all went silent is not listed as running; the endings
chart has a legend with counts."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from experiments.flow.models import Experiment, Participant
from netcode.models import Game, GameSeat
from testkit.fixture_experiments import PATHS
from testkit.flowhelpers import enter, start_in_page, submit
from testkit.servers import DaphneProcess, database_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def monitor_url(tmp_path, transactional_db):
    """Daphne whose live monitor calls 3 s without a sign of life stuck (the default is a minute)."""
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": "", "MUG_EXPERIMENTS": ",".join(PATHS)}
    env.update({**database_env(), "MUG_PYODIDE_URL": "/static/pyodide/", "MUG_LIVE_STUCK_S": "3"})
    server = DaphneProcess(env, tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


def _open_monitor(context, url: str):
    page = context.new_page()
    page.goto(f"{url}/admin/live/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", "pw-researcher-1")
    page.click("input[type=submit]")
    page.wait_for_function("() => window.mugLive !== undefined", timeout=60_000)
    return page


def _silent_game() -> Game:
    """A game still marked playing whose seats sent their last keep-alive an hour ago (their relay died)."""
    for index in range(2):
        enter(Client(), "net-pair", PROLIFIC_PID=f"silent{index}")
    game = Game.objects.create(experiment=Experiment.objects.get(slug="net-pair"), scene_key="pair", seeds=[1, 2])
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for index, agent in enumerate(("chaser", "runner")):
        participant = Participant.objects.get(external_id=f"silent{index}")
        GameSeat.objects.create(game=game, participant=participant, agent=agent, connected=True, last_seen=an_hour_ago)
    Game.objects.filter(pk=game.pk).update(created_at=an_hour_ago)
    return game


def test_the_monitor_lists_a_stuck_participant_a_silent_game_and_a_legend(
    monitor_url, chromium_context, second_chromium_context, researcher
):
    # a participant whose browser cannot download Python's wasm: the game scene never gets a runtime
    participant = second_chromium_context.new_page()
    participant.route("**/pyodide.asm.wasm", lambda route: route.abort("failed"))
    start_in_page(participant, f"{monitor_url}/x/cartpole/?PROLIFIC_PID=stuckpid")
    participant.wait_for_selector("input[name=consent]", timeout=60_000)
    participant.check("input[name=consent]")
    participant.click("button[name=decision][value=agree]")
    participant.wait_for_selector("section[data-scene=instructions]", timeout=60_000)
    participant.click("button[type=submit]")
    participant.wait_for_selector("section[data-scene=cartpole]", timeout=60_000)

    game = _silent_game()
    declined = Client()  # one ending for the chart
    enter(declined, "fixed-codes", PROLIFIC_PID="decliner")
    submit(declined, "fixed-codes", "consent", decision="decline")

    monitor = _open_monitor(chromium_context, monitor_url)
    monitor.wait_for_function(
        "() => window.mugLive.stuck.some((s) => s.participant === 'stuckpid' && s.scene_key === 'cartpole')",
        timeout=120_000,
    )
    stuck = monitor.evaluate("window.mugLive.stuck.find((s) => s.participant === 'stuckpid')")
    assert stuck["reason"].startswith("loading Python for") and stuck["episode"] is None and stuck["stuck_s"] >= 3
    monitor.wait_for_function(
        "() => document.querySelector('#live-stuck').innerText.includes('stuckpid')", timeout=60_000
    )
    row = monitor.inner_text("#live-stuck")
    assert "loading Python for" in row and " s" in row

    snapshot = monitor.evaluate("window.mugLive")
    assert game.pk not in [g["id"] for g in snapshot["games"]]  # not running
    assert game.pk in [g["id"] for g in snapshot["abandoned_games"]]
    assert "silent0" in monitor.inner_text("#live-abandoned")

    legend = monitor.inner_text("#live-endings-legend")
    assert "declined consent: 1" in legend
    assert monitor.locator("#live-endings text.live-count").all_text_contents().count("1") >= 1
