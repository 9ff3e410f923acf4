"""Real Chromium plays a two-player group game over the relay; the server's verification worker replays each episode
in Pyodide under Node.js from the relay's input log and finds every seat's stored rows exact, bit for bit."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from experiments.gamedata.models import Episode, Exactness
from testkit.browsers import guarded_context
from testkit.netpages import daphne_with, join, waited
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VERDICT_S = 300.0  # the worker boots Pyodide and installs the packages first, on a busy 2-core machine


def test_a_two_player_game_is_verified_exact_from_the_relay_log(playwright_instance, tmp_path):
    server = daphne_with(tmp_path, ["testkit.relay_experiments:net_pair"])
    try:
        with ExitStack() as stack:
            pages = []
            for index in range(2):
                context = stack.enter_context(guarded_context(playwright_instance))
                pages.append(join(context, server.url, "net-pair", f"p{index}", seed=7 + index))
            for page in pages:
                waited(page, "() => !!document.querySelector('.scene-end')")

        def checked():
            episodes = list(Episode.objects.order_by("participant__external_id", "index"))
            done = len(episodes) == 4 and all(e.exactness != Exactness.UNCHECKED for e in episodes)
            return episodes if done else None

        episodes = poll_until(checked, VERDICT_S)
        for episode in episodes:
            assert episode.verification == "verified"  # witnessed by the relay, as before
            assert episode.exactness == Exactness.EXACT, episode.exactness_report
            assert episode.exactness_report["frames_compared"] == episode.n_steps > 0
            assert episode.provenance["group"] is True
        actions = {tuple(sorted(step.items())) for e in episodes for step in e.steps.values_list("actions", flat=True)}
        assert len(actions) > 1  # the random keys really played
    finally:
        server.stop()
