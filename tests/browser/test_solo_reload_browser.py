"""Real Chromium, single-player rounds across reloads and tabs: a reload mid-round replays the round under its own
number (reload_policy "replay") or moves on to the next ("skip"), the HUD never counts past the scene's rounds, and a
second tab of the same browser takes the game over: the older tab says the study is open in another tab and stops,
and no round is stored complete twice."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOAD_TIMEOUT_MS = 180_000
# Every "Round k/n" the HUD showed in this tab, kept across reloads (sessionStorage is the tab's own); each page load
# is marked, so a round shown again after a reload is listed again.
RECORD_ROUNDS = """
sessionStorage.setItem('rounds', JSON.stringify([...JSON.parse(sessionStorage.getItem('rounds') || '[]'), 'load']));
setInterval(() => {
  const text = document.querySelector('.hud')?.textContent || '';
  const found = text.match(/Round \\d+\\/\\d+/);
  if (!found) return;
  const seen = JSON.parse(sessionStorage.getItem('rounds') || '[]');
  if (seen[seen.length - 1] !== found[0]) sessionStorage.setItem('rounds', JSON.stringify([...seen, found[0]]));
}, 20);
"""


def rounds_seen(page) -> list[str]:
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('rounds') || '[]')")
    return [text for text in seen if text != "load"]


def loaded(page) -> None:
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_TIMEOUT_MS)


def play_into_round(page, frames: int) -> None:
    page.wait_for_function(f"() => window.mugGame && window.mugGame.frames >= {frames}", timeout=120_000)


@pytest.fixture
def tab(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    chromium_context.add_init_script(RECORD_ROUNDS)

    def open_study(slug: str):
        page = chromium_context.new_page()
        start_in_page(page, f"{server_url}/x/{slug}/?PROLIFIC_PID=reloader")
        loaded(page)
        return page

    return open_study


def test_a_reload_replays_the_round_under_its_number(tab):
    page = tab("game")
    page.click("#start-button")
    play_into_round(page, 30)
    page.reload()
    loaded(page)
    page.click("#start-button")
    page.wait_for_selector("#completion-code", timeout=180_000)
    assert rounds_seen(page) == ["Round 1/2", "Round 1/2", "Round 2/2"]
    assert list(Episode.objects.order_by("index").values_list("seed", "status")) == [
        (11, "interrupted"),
        (11, "complete"),
        (12, "complete"),
    ]


def test_a_reload_skips_the_round_when_the_scene_says_so(tab):
    page = tab("game-skip")
    page.click("#start-button")
    play_into_round(page, 30)
    page.reload()
    loaded(page)
    page.click("#start-button")
    page.wait_for_selector("#completion-code", timeout=180_000)
    assert rounds_seen(page) == ["Round 1/2", "Round 2/2"]
    assert list(Episode.objects.order_by("index").values_list("seed", "status")) == [
        (11, "interrupted"),
        (12, "complete"),
    ]
    assert Participant.objects.get().status == "completed"


def test_a_second_tab_takes_over_and_the_first_is_told(tab, server_url, chromium_context):
    older = tab("game")
    newer = chromium_context.new_page()  # the same browser: the same participant
    newer.goto(f"{server_url}/x/game/flow/")
    loaded(newer)
    older.click("#start-button")
    play_into_round(older, 20)
    newer.click("#start-button")
    older.wait_for_selector("#game-error:not([hidden])", timeout=120_000)
    assert "open in another tab" in older.inner_text("#game-error")
    assert older.evaluate("window.mugGame.superseded") is True
    newer.wait_for_selector("#completion-code", timeout=180_000)
    assert older.url.endswith("/x/game/flow/") and older.evaluate("!window.mugGame.done")
    complete = list(Episode.objects.filter(status="complete").values_list("seed", flat=True))
    assert sorted(complete) == [11, 12]  # each round once: nothing overlapping stored
    assert not Episode.objects.filter(status="open").exists()
    assert all("Round 3" not in text for text in rounds_seen(older) + rounds_seen(newer))
