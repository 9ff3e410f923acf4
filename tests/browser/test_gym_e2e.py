"""Real Chromium plays a gym scene end to end on Pyodide served from localhost; the stored data is checked."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from experiments.gamedata.models import Episode, Step, StepChunk
from experiments.gamedata.replay import episode_replay
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_TIMEOUT_MS = 180_000


@pytest.fixture
def game_page(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    page.console_lines = []
    page.on("console", lambda message: page.console_lines.append(f"{message.type}: {message.text}"))
    start_in_page(page, f"{server_url}/x/game/?PROLIFIC_PID=browser1")
    wait_until_loaded(page)
    return page


def wait_until_loaded(page) -> None:
    """Wait for the Start button; a runtime that fails to load ends the wait with its recorded error."""
    page.wait_for_function(
        "() => (document.querySelector('#start-button') || {}).disabled === false"
        " || !!document.querySelector('.scene-end') || !document.querySelector('#game-error')?.hidden",
        timeout=LOAD_TIMEOUT_MS,
    )
    participant = Participant.objects.get(external_id="browser1")
    assert not participant.runtime_errors, participant.runtime_errors[-1]["message"]


def hold_right_and_up(page) -> None:
    """Each held for a number of frames played (not for a time: a busy machine plays fewer per second)."""

    def frames_later(count: int) -> None:
        played = page.evaluate("window.mugGame.frames")
        page.wait_for_function(f"() => window.mugGame.frames >= {played + count}", timeout=60_000)

    page.keyboard.down("ArrowRight")
    frames_later(15)
    page.keyboard.down("ArrowUp")  # a held combination: most specific mapping wins
    frames_later(10)
    page.keyboard.up("ArrowRight")
    page.keyboard.up("ArrowUp")


def test_two_episodes_are_played_recorded_and_replay_exactly(game_page):
    game_page.click("#start-button")
    game_page.wait_for_function("() => window.mugGame.frames > 0", timeout=30_000)
    hold_right_and_up(game_page)
    game_page.wait_for_selector("#completion-code", timeout=120_000)
    participant = Participant.objects.get(external_id="browser1")
    assert participant.status == "completed"
    assert participant.completion_code.code == game_page.inner_text("#completion-code")
    episodes = list(Episode.objects.filter(participant=participant).order_by("index"))
    assert [(e.index, e.seed, e.status) for e in episodes] == [(0, 11, "complete"), (1, 12, "complete")]
    for episode in episodes:
        frames = list(episode.steps.values_list("frame", flat=True))
        assert frames == list(range(episode.n_steps))
        assert episode.runtime["pyodide"] == "0.27.7" and episode.runtime["packages"]["gymnasium"] == "1.4.0"
        assert episode_replay(episode=episode)["status"] == "match"  # browser trajectory == CPython replay
    actions = [step.actions["chaser"] for step in Step.objects.filter(episode=episodes[0]).order_by("frame")]
    assert 4 in actions and 1 in actions  # ArrowRight, then ArrowLeft+ArrowUp... ArrowUp mapping
    assert all(step.late_ms >= 0 for step in Step.objects.all()[:50])


def test_a_reload_mid_episode_loses_nothing(game_page):
    game_page.click("#start-button")
    game_page.wait_for_function("() => window.mugGame.frames >= 75", timeout=60_000)
    played = game_page.evaluate("window.mugGame.frames")
    game_page.reload()
    wait_until_loaded(game_page)
    game_page.click("#start-button")
    try:
        game_page.wait_for_selector("#completion-code", timeout=120_000)
    except Exception:
        print("\n".join(game_page.console_lines[-40:]))
        print(list(Episode.objects.values_list("index", "status", "n_steps")))
        print(game_page.evaluate("JSON.stringify(window.mugGame)"))
        raise
    interrupted = Episode.objects.get(status="interrupted")
    before_reload = Episode.objects.filter(index__lte=interrupted.index)
    # Rows not yet sent were sealed on pagehide, kept in localStorage and sent by the reloaded page.
    assert sum(episode.n_steps for episode in before_reload) >= played
    assert list(interrupted.steps.values_list("frame", flat=True)) == list(range(interrupted.n_steps))
    assert Episode.objects.filter(status="complete").count() == 2
    assert Episode.objects.filter(index__gt=interrupted.index, status="complete").exists()
    for episode in Episode.objects.all():  # chunks numbered without gaps or duplicates
        numbers = list(StepChunk.objects.filter(episode=episode).order_by("number").values_list("number", flat=True))
        assert numbers == list(range(len(numbers)))


def test_a_browser_without_webassembly_gets_the_error_outcome_and_no_code(server_url, chromium_context):
    page = chromium_context.new_page()
    page.add_init_script("delete window.WebAssembly")
    start_in_page(page, f"{server_url}/x/game/?PROLIFIC_PID=nowasm")
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=60_000)
    participant = Participant.objects.get(external_id="nowasm")
    assert participant.status == "runtime_error"
    assert "WebAssembly" in participant.runtime_errors[0]["message"]
    assert page.query_selector("#completion-code") is None and "Return submission" in page.content()  # no code
    assert "technical problem" in page.content()


def test_an_env_that_raises_mid_game_ends_the_scene_with_the_error_outcome(server_url, chromium_context, settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/crash/?PROLIFIC_PID=crashed")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_TIMEOUT_MS)
    page.click("#start-button")
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=60_000)
    participant = Participant.objects.get(external_id="crashed")
    assert participant.status == "runtime_error"
    assert participant.runtime_errors[0]["stage"] == "step"
    assert "the simulator broke at step 5" in participant.runtime_errors[0]["message"]
    assert page.query_selector("#completion-code") is None  # the browser's report earns no code
