"""Real Chromium goes through the entry screening: the page measures the window and WebAssembly, the server times
the round trips itself; a good setup reaches the consent page, a small window or a slow connection (through a
delay proxy) ends with the screened-out page, and everything measured is stored."""

from __future__ import annotations

import itertools

import pytest

from experiments.flow.models import Participant, ScreeningResult
from testkit.flowhelpers import start_in_page
from testkit.netproxy import DelayProxy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(context, base_url: str, pid: str, width: int, height: int):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    start_in_page(page, f"{base_url}/x/screen/?PROLIFIC_PID={pid}")
    page.wait_for_selector(".scene-consent, .scene-end", timeout=30_000)
    return page


def test_a_good_setup_passes_to_the_consent_page(server_url, chromium_context, monkeypatch):
    from experiments.flow import screening as screening_flow

    # The live server (this process) times the round trips on a clock that moves 20 ms a reading: loopback on a busy
    # machine is not what decides the pass here (the slow connection below is judged on real time, through a proxy).
    ticks = itertools.count(start=10**12, step=20_000_000)
    monkeypatch.setattr(screening_flow, "clock_ns", lambda: next(ticks))
    page = visit(chromium_context, server_url, "good", 1280, 800)
    assert page.locator(".scene-consent").is_visible()
    result = ScreeningResult.objects.get(participant__external_id="good")
    assert result.passed and result.reasons == []
    assert (result.measurements["width"], result.measurements["height"]) == (1280, 800)
    assert result.measurements["webassembly"] and result.measurements["browser"] == "Chrome"
    assert result.rtt_ms == [20.0] * 5


def test_a_small_window_is_screened_out_with_a_clear_page(server_url, chromium_context):
    page = visit(chromium_context, server_url, "small", 800, 600)
    assert "cannot run on your device" in page.inner_text("main")
    assert Participant.objects.get(external_id="small").status == "screened_out"
    assert ScreeningResult.objects.get().reasons == ["window width 800 < 1000"]


def test_a_slow_connection_is_screened_out_by_the_servers_own_timing(server_url, chromium_context):
    proxy = DelayProxy(int(server_url.rsplit(":", 1)[1]), delay_ms=200)  # 400 ms round trips
    try:
        page = visit(chromium_context, proxy.url, "far", 1280, 800)
    finally:
        proxy.stop()
    assert "cannot run on your device" in page.inner_text("main")
    result = ScreeningResult.objects.get()
    assert result.passed is False and result.reasons[0].startswith("median round trip")
    assert min(result.rtt_ms) >= 390  # measured by the server: the browser never reported a number


@pytest.mark.parametrize(("slug", "passes"), [("screen-runtime", True), ("screen-slow-game", False)])
def test_the_runtime_preflight_loads_the_game_and_times_its_frames(
    slug, passes, server_url, chromium_context, settings
):
    settings.MUG_RUNTIME = {**settings.MUG_RUNTIME, "PYODIDE_URL": "/static/pyodide/"}
    page = chromium_context.new_page()
    start_in_page(page, f"{server_url}/x/{slug}/?PROLIFIC_PID=runner")
    page.wait_for_selector(".scene-consent, .scene-end", timeout=180_000)
    result = ScreeningResult.objects.get()
    runtime = result.measurements["runtime"]
    assert runtime["loaded"] and runtime["frames"] == 60 and 0 < runtime["step_ms_p50"] < 50  # 60 CartPole frames
    assert result.passed is passes and page.locator(".scene-consent").is_visible() is passes
    if not passes:
        assert result.reasons[0].startswith("game frames take") and "cannot run on your device" in page.inner_text(
            "main"
        )
