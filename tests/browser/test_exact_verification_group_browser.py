"""Real Chromium plays two-, three- and four-player group games over the relay; the server's verification worker
replays each episode in Pyodide under Node.js from the relay's input log and finds every seat's stored rows exact, bit
for bit."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from experiments.flow.models import ACTIVE, Participant
from experiments.gamedata.models import COMPLETE, Episode, Exactness
from netcode.models import Game, GameInput
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


@pytest.mark.parametrize(("study", "slug", "players"), [("net_trio", "net-trio", 3), ("net_quad", "net-quad", 4)])
def test_a_three_or_four_player_game_is_verified_exact_from_the_relay_log(
    playwright_instance, tmp_path, study, slug, players
):
    server = daphne_with(tmp_path, [f"testkit.relay_experiments:{study}"])
    try:
        with ExitStack() as stack:
            pages = []
            for index in range(players):
                context = stack.enter_context(guarded_context(playwright_instance))
                pages.append(join(context, server.url, slug, f"p{index}", seed=11 + index))
            for page in pages:
                waited(page, "() => !!document.querySelector('.scene-end')")

        # A seat the relay dropped on a starved machine (its AI played on) has no complete episode to replay; every
        # seat that finished the game has, and at least two did.
        def checked():
            if Participant.objects.filter(status=ACTIVE).exists():
                return None
            episodes = list(Episode.objects.filter(status=COMPLETE).order_by("participant__external_id", "index"))
            done = len(episodes) >= 2 and all(e.exactness != Exactness.UNCHECKED for e in episodes)
            return episodes if done else None

        try:
            episodes = poll_until(checked, VERDICT_S)
        except AssertionError:
            states = Episode.objects.values_list("participant__external_id", "status", "verification", "exactness")
            raise AssertionError(f"not every seat's episode was checked: {list(states)}") from None
        for episode in episodes:
            assert episode.exactness == Exactness.EXACT, episode.exactness_report
            assert episode.exactness_report["frames_compared"] == episode.n_steps > 0
        rows = [list(e.steps.order_by("frame").values_list("observations", "rewards")) for e in episodes]
        assert all(seat_rows == rows[0] for seat_rows in rows)  # every seat stored the same game
        actions = {tuple(sorted(step.items())) for e in episodes for step in e.steps.values_list("actions", flat=True)}
        assert len(actions) > 1
    finally:
        server.stop()


def test_two_humans_and_the_relayed_onnx_chaser_are_verified_exact_from_the_relay_log(playwright_instance, tmp_path):
    """The first seat's browser runs the demo's ONNX chaser (onnxruntime-web) and relays its moves (mug.relayed):
    the relay logs a move of the chaser for every frame, and the verifier replays the log with no model at all."""
    server = daphne_with(tmp_path, ["testkit.onnx_experiments:onnx_trio"])
    try:
        with ExitStack() as stack:
            pages = []
            for index in range(2):
                context = stack.enter_context(guarded_context(playwright_instance))
                pages.append(join(context, server.url, "onnx-trio", f"p{index}", seed=5 + index))
            for page in pages:
                waited(page, "() => !!document.querySelector('.scene-end')")

        def checked():
            episodes = list(Episode.objects.order_by("participant__external_id", "index"))
            done = len(episodes) == 4 and all(e.exactness != Exactness.UNCHECKED for e in episodes)
            return episodes if done else None

        episodes = poll_until(checked, VERDICT_S)
        for episode in episodes:
            assert episode.verification == "verified"
            assert episode.exactness == Exactness.EXACT, episode.exactness_report
            assert episode.exactness_report["frames_compared"] == episode.n_steps > 0
        game = Game.objects.get()
        for index in range(2):
            steps = Episode.objects.filter(index=index).first().steps.order_by("frame")
            chaser = GameInput.objects.filter(game=game, episode=index, agent="chaser")
            logged = dict(chaser.values_list("frame", "action"))
            moves = [actions["chaser"] for actions in steps.values_list("actions", flat=True)][2:]
            assert moves == [logged[frame] for frame in range(2, len(moves) + 2)]  # every move came through the relay
        assert len(set(GameInput.objects.filter(agent="chaser").values_list("action", flat=True))) > 1
    finally:
        server.stop()
