"""Browser runtime benchmark: the wait for the runtime cold vs booted during earlier pages, and the per-frame
cost in Pyodide vs native CPython.

Run: .venv/bin/python bench/browser_runtime.py [--runs 3] [--experiment cartpole|tag].
Needs bin/setup --dev (Chromium, var/pyodide).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import mug_server  # noqa: E402

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
KEYS = {"cartpole": ["ArrowRight", "ArrowLeft"], "tag": ["ArrowUp", "ArrowRight", "ArrowDown", "ArrowLeft"]}


def start_in_page(page, url: str) -> None:
    """Open a study link and press Start on its landing page, as a participant does."""
    page.goto(url)
    if page.locator("[data-entry-start]").count():
        with page.expect_navigation():
            page.click("#start")


def play_once(playwright, base: str, slug: str, run: int, preload: bool) -> dict:
    """One participant from consent to the end of the game scene; returns the page's timings."""
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True, args=FLAGS, bypass_csp=True
        )
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        # Cold: the prefetches on the consent and instructions pages must not warm the cache.
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": not preload})
        start_in_page(page, f"{base}/x/{slug}/?PROLIFIC_PID=bench{run}{'p' if preload else 'c'}")
        page.wait_for_timeout(4000 if preload else 0)  # reading the consent page, while the runtime boots
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        page.check("input[name=consent]")
        page.click("button[value=agree]")
        if slug == "cartpole":
            page.wait_for_selector(".scene-instructions")
            page.click("button[type=submit]")
        page.wait_for_function("window.mugGame && window.mugGame.timing.ready", timeout=180_000)
        page.click("#start-button")
        for i in range(40):  # some play: cycle through the game's keys
            page.keyboard.press(KEYS[slug][i % len(KEYS[slug])])
            page.wait_for_timeout(60)
        # Read the timings the moment play ends: the page moves on once the data is stored.
        handle = page.wait_for_function(
            "window.mugGame.played && JSON.stringify(window.mugGame)", polling=20, timeout=120_000
        )
        game = json.loads(handle.json_value())
        context.close()
    timing = game["timing"]
    return {
        "load_ms": timing["ready"] - timing["boot"],
        "wait_ms": max(0.0, timing["ready"] - timing["mount"]),
        "start_to_first_frame_ms": timing["firstFrame"] - timing["start"],
        "browser_tick_ms": game["tickMs"] / game["frames"],
        "ticks": game["ticks"],
        "frames": game["frames"],
    }


def native_ticks_ms(slug: str, frames: int, fps: float | None) -> list[float]:
    """The same loop (step + render + JSON, through mug.loop.tick) in this CPython process, each call timed.

    With `fps`, one call per period as the worker's clock makes them (the core idles between frames, so caches and
    branch predictors are cold at each call, in CPython as in the browser); without, back to back (hot).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mugsite.settings")
    import django

    django.setup()
    from examples.cartpole.experiment import CARTPOLE
    from examples.tag.experiment import TAG
    from mug import loop

    keys = KEYS[slug]
    loop.boot(json.dumps({"cartpole": CARTPOLE, "tag": TAG}[slug].loop_config()))
    loop.start(0, 1)
    times: list[float] = []
    next_at = time.perf_counter()
    while len(times) < frames:
        if fps:
            next_at += 1 / fps
            time.sleep(max(0.0, next_at - time.perf_counter()))
        began = time.perf_counter()
        out = json.loads(loop.tick(json.dumps({"held": [keys[len(times) % len(keys)]], "presses": []})))
        times.append(1000 * (time.perf_counter() - began))
        if out["over"]:
            loop.start(0, len(times))
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--experiment", choices=sorted(KEYS), default="cartpole")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = {"cold": [], "preload": []}
    with mug_server() as base, sync_playwright() as playwright:
        for run in range(args.runs):  # interleaved, so machine noise hits both alike
            results["cold"].append(play_once(playwright, base, args.experiment, run, preload=False))
            results["preload"].append(play_once(playwright, base, args.experiment, run, preload=True))
    all_runs = results["cold"] + results["preload"]
    frames = sum(r["frames"] for r in all_runs)
    browser = statistics.median(r["browser_tick_ms"] for r in all_runs)
    browser_ticks = [t for r in all_runs for t in r["ticks"]]
    native_hot = native_ticks_ms(args.experiment, max(frames, 500), None)
    native_paced = native_ticks_ms(args.experiment, max(frames, 300), 30)
    native = statistics.fmean(native_hot)
    med = lambda kind, key: statistics.median(r[key] for r in results[kind])  # noqa: E731
    print(f"runs: {args.runs} cold + {args.runs} preloaded, {args.experiment}, headless Chromium, Pyodide 0.27.7")
    cold, warm = med("cold", "wait_ms"), med("preload", "wait_ms")
    print(f"wait on the game page for the runtime: cold {cold:.0f} ms, after 4 s on the consent page {warm:.0f} ms")
    print(
        f"runtime boot (worker start -> ready): cold {med('cold', 'load_ms'):.0f} ms, "
        f"preloaded {med('preload', 'load_ms'):.0f} ms"
    )
    first_cold, first_warm = med("cold", "start_to_first_frame_ms"), med("preload", "start_to_first_frame_ms")
    print(
        f"click Start -> first frame (3 s countdown included): cold {first_cold:.0f} ms, preloaded {first_warm:.0f} ms"
    )
    print(
        f"per-frame Python call (step + render + JSON): browser {browser:.3f} ms, native CPython {native:.3f} ms, "
        f"ratio {browser / native:.1f}x ({frames} browser frames)"
    )
    # The browser's frames run 1/30 s apart on the worker's clock: compare with CPython called the same way. The
    # worker's clock is coarse (100 us steps without cross-origin isolation), so medians move in such steps.
    b_med, n_med = statistics.median(browser_ticks), statistics.median(native_paced)
    b_mean, n_mean = statistics.fmean(browser_ticks), statistics.fmean(native_paced)
    print(
        f"per-frame call, both at 30 fps: browser median {b_med:.3f} / mean {b_mean:.3f} ms, native CPython median "
        f"{n_med:.3f} / mean {n_mean:.3f} ms: ratio of medians {b_med / n_med:.1f}x, of means {b_mean / n_mean:.1f}x"
    )
    print(
        f"browser first frame {all_runs[0]['ticks'][0]:.3f} ms; native back to back median "
        f"{statistics.median(native_hot):.3f} ms"
    )


if __name__ == "__main__":
    main()
