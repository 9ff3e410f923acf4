"""The demo's two-player study as a researcher tries it: `bin/demo`, its printed link opened in two Chromium
profiles on one machine; they are paired and both play frames of one game over the relay."""

from __future__ import annotations

import sqlite3

import pytest

from testkit.browsers import guarded_context
from testkit.demo import demo_server
from testkit.flowhelpers import start_in_page
from testkit.netproxy import RANDOM_KEYS
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.system]


def test_two_browsers_on_one_machine_pair_and_play_the_demo(tmp_path, playwright_instance):
    with (
        demo_server(tmp_path) as demo,
        guarded_context(playwright_instance) as one,
        guarded_context(playwright_instance) as two,
    ):
        link = demo.links()["pair"]
        pages = []
        for context in (one, two):
            page = context.new_page()
            start_in_page(page, link)
            page.wait_for_selector("section[data-scene=welcome]", timeout=60_000)
            page.click("button[type=submit]")
            pages.append(page)
        for index, page in enumerate(pages):
            page.wait_for_function("() => window.mugGame !== undefined", timeout=120_000)
            page.evaluate(RANDOM_KEYS, 11 + index)
        for page in pages:  # both play: frames confirmed by the relay advance on each page
            page.wait_for_function("() => (window.mugGame?.net?.frames ?? 0) >= 30", timeout=180_000)

        def one_game_for_both():  # one game with a seat for each browser's participant, not two solo games
            with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
                games = db.execute("select count(*) from netcode_game").fetchone()[0]
                seats = db.execute("select count(distinct participant_id) from netcode_gameseat").fetchone()[0]
                return games == 1 and seats == 2

        poll_until(one_game_for_both, timeout=60)
