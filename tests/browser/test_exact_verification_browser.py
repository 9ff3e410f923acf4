"""Real Chromium plays a single-player episode of an env whose floats go through libm (np.hypot, math.atan2...); the
server verifies it in Pyodide under Node.js, bit for bit, before the completion code; a native CPython replay of
the same episode differs in the last bits (the reason the verifier is the participants' interpreter)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from experiments.flow.models import Participant
from experiments.gamedata.models import VERIFIED, Episode
from experiments.gamedata.native_diff import episode_native_differences
from testkit.exact_experiments import PATHS
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 300_000  # Pyodide and the wheels on a busy 2-core machine; every wait polls for its condition


@pytest.fixture
def studies(settings):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    settings.MUG = {**settings.MUG, "EXPERIMENTS": PATHS}


def test_a_chromium_episode_verifies_exact_in_pyodide_and_differs_natively(studies, server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/libm/?PROLIFIC_PID=exact1")
    page.wait_for_function("() => (document.querySelector('#start-button') || {}).disabled === false", timeout=LOAD_MS)
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 0", timeout=LOAD_MS)
    page.keyboard.down("ArrowRight")
    page.wait_for_function("() => window.mugGame.frames >= 30", timeout=LOAD_MS)
    page.keyboard.up("ArrowRight")
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)  # given only once the episode verified
    participant = Participant.objects.get(external_id="exact1")
    assert participant.status == "completed"
    episode = Episode.objects.get(participant=participant)
    assert (episode.verification, episode.exactness) == (VERIFIED, "exact"), episode.exactness_report
    assert episode.exactness_report["frames_compared"] == episode.n_steps == 90
    assert (
        episode.exactness_report["pyodide"] == episode.runtime["pyodide"] == episode.provenance["pyodide"] == "0.27.7"
    )
    actions = list(episode.steps.order_by("frame").values_list("actions", flat=True))
    assert {action["agent"] for action in actions} == {0, 1}  # the keys really drove it
    native = episode_native_differences(episode)
    assert native["structural"] is None and native["frames"] == 90
    assert native["largest"]["obs"][0] > 0  # CPython's libm rounds some observations differently
    out = StringIO()
    call_command("replay_episodes", "libm", "--native", stdout=out)
    assert "largest float difference per field: actions 0, rewards" in out.getvalue()
    out = StringIO()
    call_command("replay_episodes", "libm", stdout=out)
    assert "exact, 90 frames bit for bit in Pyodide 0.27.7" in out.getvalue()


def test_a_chromium_human_ai_episode_with_a_python_policy_verifies_exact(studies, server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/chase/?PROLIFIC_PID=exact2")
    page.wait_for_function("() => (document.querySelector('#start-button') || {}).disabled === false", timeout=LOAD_MS)
    page.click("#start-button")
    page.wait_for_function("() => window.mugGame.frames > 0", timeout=LOAD_MS)
    page.keyboard.down("ArrowRight")
    page.wait_for_function("() => window.mugGame.frames >= 10", timeout=LOAD_MS)
    page.keyboard.up("ArrowRight")
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    episode = Episode.objects.get(participant__external_id="exact2")
    assert (episode.verification, episode.exactness) == (VERIFIED, "exact"), episode.exactness_report
    assert episode.exactness_report["frames_compared"] == episode.n_steps > 0
    runner = {step["runner"] for step in episode.steps.values_list("actions", flat=True)}
    assert len(runner) > 1  # the policy really chose (from the episode seed), and Pyodide chose the same


def test_a_chromium_episode_against_an_onnx_chaser_verifies_exact_under_node(studies, server_url, chromium_context):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/flee/?PROLIFIC_PID=exact3")
    page.wait_for_function("() => (document.querySelector('#start-button') || {}).disabled === false", timeout=LOAD_MS)
    page.click("#start-button")
    page.keyboard.down("ArrowDown")  # the runner escapes down the board: the chaser thinks the whole episode
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    page.keyboard.up("ArrowDown")
    fetched = " ".join(chromium_context.mug_requests)
    assert "ort.wasm.min.mjs" in fetched and "ort-wasm-simd-threaded.wasm" in fetched  # what the verifier runs too
    episode = Episode.objects.get(participant__external_id="exact3")
    assert (episode.verification, episode.exactness) == (VERIFIED, "exact"), episode.exactness_report
    assert episode.exactness_report["frames_compared"] == episode.n_steps > 0
    assert episode.policies["chaser"]["kind"] == "onnx"
    chaser = [actions["chaser"] for actions in episode.steps.order_by("frame").values_list("actions", flat=True)]
    assert len(set(chaser)) > 1  # onnxruntime-web chose in Chromium, and under Node it chose the same every frame
