"""Real Chromium, Pyodide served from localhost (issue 19): a study package outside the project (on the server's path
only, drawing through a sibling local package) plays; a PettingZoo env whose scene lists no `packages` plays; a
package micropip cannot install (Pyodide-built, missing from the self-hosted Pyodide) ends the scene at load with
the error outcome instead of a console warning."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from experiments.flow.models import CompletionCode, Participant
from experiments.gamedata.models import Episode
from testkit.flowhelpers import start_in_page
from testkit.shipping_experiments import EXTERNAL_SLUG, write_external_study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOAD_MS = 300_000  # Pyodide and the wheels on a busy 2-core machine; every wait polls for its condition


@pytest.fixture
def studies(settings, tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere"
    path = write_external_study(outside)
    monkeypatch.syspath_prepend(str(outside))  # on the server's path, not under the project folder
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    settings.MUG = {
        **settings.MUG,
        "EXPERIMENTS": [
            path,
            "testkit.shipping_experiments:pz_noship",
            "testkit.shipping_experiments:needs_opencv",
        ],
    }
    yield
    for name in [n for n in sys.modules if n.split(".")[0] in ("extstudy", "extshapes")]:
        del sys.modules[name]


def play_to_the_end(context, url: str, pid: str) -> Participant:
    page = context.new_page()
    start_in_page(page, f"{url}?PROLIFIC_PID={pid}")
    page.wait_for_function(
        "() => (document.querySelector('#start-button') || {}).disabled === false"
        " || !!document.querySelector('#ending')",
        timeout=LOAD_MS,
    )
    participant = Participant.objects.get(external_id=pid)
    assert not participant.runtime_errors, participant.runtime_errors[-1]["message"]
    page.click("#start-button")  # default_action walks right: the episode ends by itself
    page.wait_for_selector("#completion-code", timeout=LOAD_MS)
    participant.refresh_from_db()
    assert participant.status == "completed" and not participant.runtime_errors
    return participant


def test_a_study_outside_the_project_plays_in_the_browser(server_url, chromium_context, studies):
    participant = play_to_the_end(chromium_context, f"{server_url}/x/{EXTERNAL_SLUG}/", "outside")
    assert Episode.objects.filter(participant=participant, status="complete").count() == 1


def test_a_pettingzoo_env_without_packages_plays_in_the_browser(server_url, chromium_context, studies):
    participant = play_to_the_end(chromium_context, f"{server_url}/x/pz-noship/", "noship")
    episode = Episode.objects.get(participant=participant, status="complete")
    browser_packages = {name.lower(): version for name, version in episode.runtime["packages"].items()}
    assert browser_packages["pettingzoo"] == importlib.metadata.version("pettingzoo")  # pinned at the server's


def test_a_package_micropip_cannot_install_ends_the_scene_at_load(server_url, chromium_context, studies):
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/needs-opencv/?PROLIFIC_PID=opencv")
    page.wait_for_selector("#ending[data-outcome=runtime_error]", timeout=LOAD_MS)
    participant = Participant.objects.get(external_id="opencv")
    assert participant.status == "runtime_error"
    error = participant.runtime_errors[-1]
    assert error["stage"] == "load" and "opencv-python" in error["message"], error
    assert not CompletionCode.objects.filter(participant=participant).exists()
    assert not Episode.objects.filter(participant=participant).exists()  # never reached reset()
