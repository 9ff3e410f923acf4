"""Real Chromium, the runtime's bad paths (issue 18): a download that fails is retried with visible progress; one that
keeps failing ends the participant at the scene's load deadline with the error outcome (decided by the server, no
code); an env raising in reset() ends the scene at once; the disabled Start button looks disabled."""

from __future__ import annotations

import pytest

from experiments.flow.models import CompletionCode, Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import start_in_page
from testkit.runtime_experiments import LOAD_TIMEOUT_S, MODEL_LOAD_TIMEOUT_S

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 300_000  # Pyodide on a busy 2-core machine, then a deadline; every wait polls for its condition


@pytest.fixture
def local_pyodide(settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}


def open_study(context, url: str):
    page = context.new_page()
    start_in_page(page, url)
    return page


def the_error(external_id: str) -> dict:
    participant = Participant.objects.get(external_id=external_id)
    assert participant.status == "runtime_error", participant.status
    assert not CompletionCode.objects.filter(participant=participant).exists()  # a browser's claim earns no code
    return participant.runtime_errors[-1]


# The wasm is fetched (WebAssembly.instantiateStreaming); pyodide.asm.js is a module import inside loadPyodide.
@pytest.mark.parametrize("name", ["pyodide.asm.wasm", "pyodide.asm.js"])
def test_a_pyodide_download_that_fails_twice_is_retried_and_the_game_plays(
    server_url, chromium_context, local_pyodide, name
):
    tries: list[str] = []

    def flaky(route) -> None:
        tries.append(route.request.url)
        if len(tries) <= 2:
            route.abort("connectionreset")
        else:
            route.fallback()  # the request goes ahead

    chromium_context.route(f"**/{name}", flaky)
    page = open_study(chromium_context, f"{server_url}/x/one-game/?PROLIFIC_PID=flaky")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_MS)
    assert len(tries) == 3
    page.click("#start-button")
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    participant = Participant.objects.get(external_id="flaky")
    assert participant.status == "completed" and not participant.runtime_errors
    assert Episode.objects.filter(participant=participant, status="complete").count() == 1


def test_a_pyodide_download_that_keeps_failing_ends_at_the_deadline_with_the_error_outcome(
    server_url, chromium_context, local_pyodide
):
    blocked: list[str] = []
    chromium_context.route("**/pyodide.asm.wasm", lambda route: blocked.append(route.request.url) or route.abort())
    page = open_study(chromium_context, f"{server_url}/x/load-deadline/?PROLIFIC_PID=blocked")
    # While it retries, the participant sees that a download failed and is being tried again; Start stays disabled.
    page.wait_for_function(
        "() => (document.querySelector('#load-stage')?.textContent || '').includes('trying again')", timeout=LOAD_MS
    )
    assert "pyodide.asm.wasm" in page.inner_text("#load-stage")
    assert page.is_disabled("#start-button")
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=LOAD_MS)
    error = the_error("blocked")
    assert error["stage"] == "load"
    assert f"did not load within {LOAD_TIMEOUT_S} s" in error["message"] and "pyodide.asm.wasm" in error["message"]
    assert len(blocked) >= 2  # retried, not given up after one try
    assert page.query_selector("#completion-code") is None and "technical problem" in page.content()


def test_a_wheel_that_keeps_failing_ends_at_the_deadline_with_the_error_outcome(
    server_url, chromium_context, local_pyodide
):
    chromium_context.route("**/gymnasium-*.whl", lambda route: route.fulfill(status=503, body="busy"))
    page = open_study(chromium_context, f"{server_url}/x/load-deadline/?PROLIFIC_PID=nowheel")
    page.wait_for_function(
        "() => (document.querySelector('#load-stage')?.textContent || '').includes('HTTP 503')", timeout=LOAD_MS
    )
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=LOAD_MS)
    error = the_error("nowheel")
    assert error["stage"] == "load" and "gymnasium-" in error["message"] and "HTTP 503" in error["message"]


def test_an_env_that_raises_in_reset_ends_the_scene_with_the_error_outcome(server_url, chromium_context, local_pyodide):
    page = open_study(chromium_context, f"{server_url}/x/reset-crash/?PROLIFIC_PID=noreset")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_MS)
    page.click("#start-button")
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=LOAD_MS)
    error = the_error("noreset")
    assert error["stage"] == "reset" and "reset failed" in error["message"]


def test_the_start_button_looks_disabled_and_shows_the_progress_until_the_game_has_loaded(
    server_url, chromium_context, local_pyodide
):
    look = (
        "() => { const b = document.querySelector('#start-button'); const s = getComputedStyle(b);"
        " return {disabled: b.disabled, text: b.textContent, background: s.backgroundColor, cursor: s.cursor}; }"
    )
    release: list = []
    # Hold Pyodide's wasm until the disabled button has been looked at (the machine may load it fast).
    chromium_context.route("**/pyodide.asm.wasm", lambda route: release.append(route))
    page = open_study(chromium_context, f"{server_url}/x/one-game/?PROLIFIC_PID=patient")
    page.wait_for_function("() => document.querySelector('#load-stage')?.textContent.startsWith('Starting')")
    loading = page.evaluate(look)
    for route in release:
        route.fallback()
    release.clear()
    chromium_context.unroute("**/pyodide.asm.wasm")
    page.wait_for_selector("#start-button:enabled", timeout=LOAD_MS)
    ready = page.evaluate(look)
    assert loading["disabled"] and loading["text"].startswith("Loading…") and loading["text"].endswith("%")
    assert ready["text"] == "Start"
    assert loading["background"] != ready["background"] and loading["cursor"] == "not-allowed"


def test_a_model_that_keeps_failing_ends_at_the_deadline_with_the_error_outcome(
    server_url, chromium_context, local_pyodide
):
    chromium_context.route("**/*.onnx", lambda route: route.fulfill(status=502, body="bad gateway"))
    page = open_study(chromium_context, f"{server_url}/x/model-deadline/?PROLIFIC_PID=nomodel")
    page.wait_for_function(
        "() => (document.querySelector('#load-stage')?.textContent || '').includes('.onnx (HTTP 502)')",
        timeout=LOAD_MS,
    )
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=LOAD_MS)
    error = the_error("nomodel")
    assert error["stage"] == "load" and f"did not load within {MODEL_LOAD_TIMEOUT_S} s" in error["message"]
    assert "Loading the AI" in error["message"] and ".onnx (HTTP 502)" in error["message"]
