"""AI inference benchmark: the ONNX chaser of the human–AI demo, per step in the browser (onnxruntime-web in the
game worker) vs native onnxruntime in this process, on the same feeds; and the frame's Python call beside it.

Run: .venv/bin/python bench/ai_inference.py [--runs 3]. Needs bin/setup --dev (Chromium, var/pyodide, the model).
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
from bench.browser_runtime import FLAGS, start_in_page  # noqa: E402


def flee_once(playwright, base: str, run: int) -> dict:
    """One participant through the chase scene to the flee scene; the flee scene's timings from the page."""
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True, args=FLAGS
        )
        page = context.new_page()
        start_in_page(page, f"{base}/x/tagai/?PROLIFIC_PID=aibench{run}")
        page.check("input[name=consent]")
        page.click("button[value=agree]")
        page.wait_for_selector(".scene-instructions")
        page.click("button[type=submit]")
        for scene in ("chase", "flee"):
            page.wait_for_selector(f".scene-gym[data-scene={scene}]")
            page.wait_for_selector("#start-button:enabled", timeout=180_000)
            page.click("#start-button")
            for i in range(30):  # some play
                page.keyboard.press(["ArrowUp", "ArrowLeft", "ArrowDown", "ArrowRight"][i % 4])
                page.wait_for_timeout(80)
            handle = page.wait_for_function(
                "window.mugGame.played && JSON.stringify(window.mugGame)", polling=20, timeout=120_000
            )
        game = json.loads(handle.json_value())
        context.close()
    return {
        "infer_ms": game["inferMs"] / game["inferences"],
        "inferences": game["inferences"],
        "tick_ms": game["tickMs"] / game["frames"],
        "frames": game["frames"],
    }


def native_infer_ms(count: int) -> float:
    """The same model and loop on this CPU: onnxruntime on the queries the loop produces."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mugsite.settings")
    import django

    django.setup()
    from experiments.definition.model_runtime import ServerModels
    from experiments.definition.registry import get_experiment
    from mug.loop import GameLoop, LoopConfig

    flee = get_experiment("tagai").scene("flee")  # loaded and checked like the server does

    config = LoopConfig.from_dict({**flee.loop_config(), "render_mode": None})
    loop, models = GameLoop(config), ServerModels(flee.model_files())
    loop.start_episode(0, 1)
    total, done = 0.0, 0
    while done < count:
        began = time.perf_counter()
        inference = models.run(loop.queries, config.agents)
        total += time.perf_counter() - began
        done += len(inference)
        loop.step_frame(loop.actions_for([], [], inference))
        if loop.over:
            loop.start_episode(0, done)
    return 1000 * total / done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with mug_server() as base, sync_playwright() as playwright:
        runs = [flee_once(playwright, base, run) for run in range(args.runs)]
    inferences = sum(r["inferences"] for r in runs)
    browser = statistics.median(r["infer_ms"] for r in runs)
    native = native_infer_ms(max(inferences, 500))
    print(f"runs: {args.runs}, tagai flee scene (ONNX chaser: recurrent, sampled, frame_skip 2), headless Chromium")
    print(
        f"ONNX inference per query: browser (onnxruntime-web 1.30.0 wasm, 1 thread) {browser:.3f} ms, "
        f"native onnxruntime {native:.3f} ms, ratio {browser / native:.1f}x ({inferences} browser queries)"
    )
    tick = statistics.median(r["tick_ms"] for r in runs)
    print(f"per-frame Python call beside it (step + render + policy bookkeeping): {tick:.3f} ms in the browser")


if __name__ == "__main__":
    main()
