"""Real Chromium, Pyodide served from localhost: a study's own image files (GymScene.assets) are downloaded while the
game loads, before Start is offered, and the env draws them by name (a sprite and an atlas frame, read back from the
canvas's pixels). With the asset requests failing, the page says which download fails and keeps trying, Start stays
disabled, and the load deadline ends the participant with the runtime-error outcome, not a frozen page."""

from __future__ import annotations

import pytest

from experiments.flow.models import CompletionCode, Participant
from testkit.asset_experiments import BLUE_RGB, CHEF_RGB
from testkit.flowhelpers import start_in_page
from testkit.servers import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 300_000  # Pyodide and the wheels on a busy 2-core machine; every wait polls for its condition
START_OR_ENDING = (
    "() => (document.querySelector('#start-button') || {}).disabled === false || !!document.querySelector('#ending')"
)
PIXEL = """([x, y]) => Array.from(document.querySelector("#game-canvas canvas").getContext("2d")
  .getImageData(x, y, 1, 1).data.slice(0, 3))"""


@pytest.fixture
def local_pyodide(settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}


def asset_requests(context) -> list[str]:
    return sorted(url.rsplit("/", 1)[-1] for url in context.mug_requests if "/x/sprite-assets/assets/" in url)


def test_the_studys_images_load_before_start_and_the_env_draws_them(
    server_url, chromium_context, console_errors, local_pyodide
):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/sprite-assets/?PROLIFIC_PID=cook")
    page.wait_for_function(START_OR_ENDING, timeout=LOAD_MS)
    assert not Participant.objects.get(external_id="cook").runtime_errors, console_errors
    assert asset_requests(chromium_context) == ["chef.png", "tiles.json", "tiles.png"]  # before Start was offered
    assert page.evaluate("() => window.mugGame.renderer === undefined")  # the game's canvas is not made yet
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.renderer?.objectState('chef')?.visible === true", timeout=60_000)
    poll_until(lambda: tuple(page.evaluate(PIXEL, [50, 50])) == CHEF_RGB, timeout=60)  # the sprite's centre
    assert tuple(page.evaluate(PIXEL, [150, 50])) == BLUE_RGB  # the atlas's "blue" frame, not its red one
    assert tuple(page.evaluate(PIXEL, [5, 5])) == (255, 255, 255)  # around them, the background
    assert asset_requests(chromium_context) == ["chef.png", "tiles.json", "tiles.png"]  # nothing fetched again
    assert not [error for error in console_errors if "image" in error], console_errors


def test_a_blocked_image_is_retried_then_the_load_deadline_ends_the_participant(
    server_url, chromium_context, local_pyodide
):
    blocked: list[str] = []
    chromium_context.route(
        "**/x/sprite-assets/assets/**", lambda route: blocked.append(route.request.url) or route.abort()
    )
    page = chromium_context.new_page()
    page.clock.install()  # the page's own clock runs on until the test moves it past the load deadline
    start_in_page(page, f"{server_url}/x/sprite-assets/?PROLIFIC_PID=blocked")
    page.wait_for_function(
        "() => /trying again/.test(document.querySelector('#load-stage')?.textContent || '')"
        " && /chef\\.png/.test(document.querySelector('#load-stage').textContent)",
        timeout=LOAD_MS,
    )
    poll_until(lambda: page.wait_for_timeout(100) or sum("chef.png" in url for url in blocked) >= 2)  # retried
    assert page.is_disabled("#start-button")
    assert page.evaluate("() => window.mugGame.renderer === undefined")
    page.clock.fast_forward(200_000)  # past the scene's load_timeout_s (180 s)
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=60_000)
    participant = Participant.objects.get(external_id="blocked")
    assert participant.status == "runtime_error"
    error = participant.runtime_errors[-1]
    assert error["stage"] == "load" and "Loading the images" in error["message"] and "chef.png" in error["message"]
    assert not CompletionCode.objects.filter(participant=participant).exists()
