"""Browser runtime benchmark, one runtime per visit: the start of the second game scene of a visit beside the first
(testkit.runtime_experiments:two_games: CartPole, a page, then Tag, which adds the PettingZoo wheel).

For each game scene: the wait on the scene's page for its runtime (mount -> ready), the runtime's load (the worker's
load message -> ready; the second scene's starts on the page between the games), and click Start -> first frame minus
the countdown. Run: .venv/bin/python bench/browser_second_scene.py [--runs 3] [--between-ms 0].
Needs bin/setup --dev (Chromium, var/pyodide).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import mug_server  # noqa: E402
from bench.browser_runtime import FLAGS, start_in_page  # noqa: E402

EXPERIMENT = "testkit.runtime_experiments:two_games"
KEYS = {"first": ["ArrowRight", "ArrowLeft"], "second": ["ArrowUp", "ArrowRight", "ArrowDown", "ArrowLeft"]}


def play_scene(page, scene_id: str) -> dict:
    """Wait for the scene's runtime, press Start, play a little; the page's timings for this scene."""
    page.wait_for_selector(f"[data-scene={scene_id}] #start-button:enabled", timeout=240_000)
    page.click("#start-button")
    for i in range(10):
        page.keyboard.press(KEYS[scene_id][i % len(KEYS[scene_id])])
    # Read the timings the moment play ends: the page moves on once the data is stored.
    handle = page.wait_for_function(
        "() => window.mugGame.played && JSON.stringify(window.mugGame)", polling=20, timeout=240_000
    )
    game = json.loads(handle.json_value())
    timing, countdown_ms = game["timing"], 1000 * 1  # the fixture's countdown_seconds
    return {
        "wait_ms": max(0.0, timing["ready"] - timing["mount"]),
        "load_ms": timing["ready"] - timing["boot"],
        "start_ms": timing["firstFrame"] - timing["start"] - countdown_ms,
        "boots": game["interpreter"]["boots"],
    }


def visit(playwright, base: str, run: int, between_ms: int) -> dict:
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True, args=FLAGS
        )
        page = context.new_page()
        start_in_page(page, f"{base}/x/two-games/?PROLIFIC_PID=second{run}")
        first = play_scene(page, "first")
        page.wait_for_selector("[data-scene=between] button[type=submit]", timeout=240_000)
        page.wait_for_timeout(between_ms)  # reading the page between the games (0: the participant clicks on at once)
        page.click("[data-scene=between] button[type=submit]")
        second = play_scene(page, "second")
        context.close()
    return {"first": first, "second": second}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--between-ms", type=int, default=0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with mug_server({"MUG_EXPERIMENTS": EXPERIMENT}) as base, sync_playwright() as playwright:
        visits = [visit(playwright, base, run, args.between_ms) for run in range(args.runs)]
    med = lambda scene, key: statistics.median(v[scene][key] for v in visits)  # noqa: E731
    print(f"runs: {args.runs} visits, two game scenes each, headless Chromium, Pyodide 0.27.7, local files")
    print(f"Pyodide boots per visit: {max(v['second']['boots'] for v in visits)}")
    for key, label in (
        ("wait_ms", "wait on the game page for the runtime"),
        ("load_ms", "runtime load (load message -> ready)"),
        ("start_ms", "click Start -> first frame, minus the countdown"),
    ):
        print(f"{label}: first scene {med('first', key):.0f} ms, second scene {med('second', key):.0f} ms")


if __name__ == "__main__":
    main()
