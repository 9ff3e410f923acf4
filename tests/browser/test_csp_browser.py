"""Real Chromium under the Content-Security-Policy (Daphne, static files through WhiteNoise as in production):
Pyodide in its worker, onnxruntime-web, the admin and the live monitor all run, and no page reports a violation."""

from __future__ import annotations

import pytest

from experiments.flow.models import Participant
from testkit.flowhelpers import start_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation a page (or its workers, through the console) reports, kept where the test can read it.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI} (${where})`);
});
"""


@pytest.fixture
def csp_page(chromium_context):
    chromium_context.add_init_script(LISTEN)
    page = chromium_context.new_page()
    page.csp_console = []
    page.on(
        "console",
        lambda message: page.csp_console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations") + page.csp_console


def wait_for_start(page, pid: str) -> None:
    page.wait_for_function(
        "() => (document.querySelector('#start-button') || {}).disabled === false"
        " || document.querySelector('#game-error')?.hidden === false || !!document.querySelector('.scene-end')",
        timeout=180_000,
    )
    errors = Participant.objects.get(external_id=pid).runtime_errors
    assert not errors, (errors, violations(page))


def test_the_listener_sees_a_violation(asgi_server_url, csp_page):
    """The check below can fail: an inline script on a served page is blocked and reported."""
    response = csp_page.goto(f"{asgi_server_url}/")
    assert "wasm-unsafe-eval" in response.headers["content-security-policy"]
    csp_page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.append(s); }"
    )
    csp_page.wait_for_function("() => window.__cspViolations.length > 0", timeout=60_000)
    assert csp_page.evaluate("window.ran") is None
    assert any("script-src" in line for line in violations(csp_page))


# Note for every browser test: wait_for_function needs a function ("() => ..."); an expression string is eval'd in
# the page on each poll, which the policy (no 'unsafe-eval') refuses.


def test_pyodide_runs_a_game_under_the_policy(asgi_server_url, csp_page):
    response = csp_page.goto(f"{asgi_server_url}/x/game/?PROLIFIC_PID=csp-game")
    assert "content-security-policy" in response.headers
    start_in_page(csp_page, f"{asgi_server_url}/x/game/?PROLIFIC_PID=csp-game")  # the landing page's Start
    wait_for_start(csp_page, "csp-game")
    csp_page.click("#start-button")
    csp_page.wait_for_function("() => window.mugGame.frames > 30", timeout=60_000)
    assert violations(csp_page) == []


def test_onnxruntime_web_runs_under_the_policy(asgi_server_url, csp_page):
    start_in_page(csp_page, f"{asgi_server_url}/x/tagai/?PROLIFIC_PID=csp-ai")
    csp_page.check("input[name=consent]")
    csp_page.click("button[value=agree]")
    csp_page.wait_for_selector(".scene-instructions")
    csp_page.click("button[type=submit]")
    wait_for_start(csp_page, "csp-ai")
    csp_page.click("#start-button")
    csp_page.wait_for_function("() => window.mugGame.frames > 0", timeout=30_000)
    csp_page.keyboard.down("ArrowRight")
    csp_page.wait_for_function(
        "() => window.mugGame?.played || !!document.querySelector('[data-scene=flee]')", timeout=60_000
    )
    csp_page.keyboard.up("ArrowRight")
    csp_page.wait_for_selector(".scene-gym[data-scene=flee]", timeout=60_000)
    wait_for_start(csp_page, "csp-ai")  # the flee scene: the ONNX model is loaded by onnxruntime-web
    csp_page.click("#start-button")
    csp_page.wait_for_selector(".scene-survey", timeout=180_000)
    stats = csp_page.evaluate("JSON.parse(sessionStorage.getItem('mugGameStats'))")
    assert stats["inferences"] > 0
    assert violations(csp_page) == []


def test_the_admin_and_live_monitor_run_under_the_policy(asgi_server_url, csp_page, researcher):
    csp_page.goto(f"{asgi_server_url}/admin/live/")
    csp_page.fill("#id_username", "researcher")
    csp_page.fill("#id_password", "pw-researcher-1")
    csp_page.click("input[type=submit]")
    csp_page.wait_for_function("() => window.mugLive !== undefined", timeout=60_000)
    for path in ("/admin/", "/admin/experiments/participant/", "/admin/experiments/experiment/"):
        csp_page.goto(asgi_server_url + path)
    csp_page.click("#result_list a:text-is('cartpole')")  # an experiment's page, with its entry links
    csp_page.click(".mug-links input")
    assert csp_page.evaluate("document.activeElement.value").endswith("/x/cartpole/")
    assert csp_page.evaluate("getSelection().toString() || document.activeElement.selectionEnd") not in ("", 0)
    assert violations(csp_page) == []
